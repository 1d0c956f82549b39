"""What every concern service shares: the errors (ConcernError and its kinds), the limits, the
row lock and state checks, the event and audit writers, phone and photo validation, places and
reference numbers. The topic modules beside it and zhenwu.concerns.deadlines / callbacks build on it."""

import logging
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Subquery
from django.utils import timezone
from django.utils.crypto import salted_hmac

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import diff, record_event, snapshot
from zhenwu.core.errors import DomainError
from zhenwu.lib import uploads
from zhenwu.lib.coords import CoordSystem, PointError, parse_point
from zhenwu.lib.phone import InvalidPhone, normalise_phone
from zhenwu.lib.request_context import Actor, current_actor
from zhenwu.org.models import Area, AreaLevel

from ..models import (
    MAX_PHOTOS_PER_CONCERN,
    Channel,
    Concern,
    ConcernEvent,
    ConcernPhoto,
    PhotoKind,
    PhotoSettings,
    ReferenceCounter,
    Supervision,
    Urgency,
)

log = logging.getLogger(__name__)


MAX_TEXT_LENGTH = 2000


MAX_REASON_LENGTH = 500


STAFF_CHANNELS = (Channel.HOTLINE, Channel.WALK_IN, Channel.VISIT, Channel.TEA_ROOM)


PHOTO_TYPES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}


DOCUMENT_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".docx", ".xlsx", ".doc", ".xls")


class ConcernError(DomainError):
    """A refused request, with a message for the user (Chinese)."""


class TransitionNotAllowed(ConcernError):
    pass


class ConcernPermissionDenied(ConcernError):
    pass


@dataclass
class SubmitResult:
    concern: Concern
    follow_token: str  # give it to the resident once; only its hash is stored
    created: bool


def response_limit_days(setting, urgency):
    """The response limit in working days for a concern of this urgency; `setting` is the rules
    in force (catalogue.category_setting_for) or anything with `response_limit_days`."""
    days = setting.response_limit_days
    if urgency == Urgency.CRITICAL:
        return 0
    if urgency == Urgency.URGENT:
        return min(days, 1)
    return days


def _actor(by):
    """The audit actor: the request's (with address and request id) when it is the same user."""
    current = current_actor()
    if by is None:
        return current
    if current is not None and current.user_id == by.pk:
        return current
    return Actor(user_id=by.pk, label=by.get_username())


def _label(by, default="系统"):
    if by is None:
        return default
    return getattr(by, "display_name", None) or by.get_username()


def _lock(concern):
    """Re-read the concern under a row lock; the state checks then see the committed truth."""
    return (
        Concern.objects.select_for_update(of=("self",))
        .select_related("category", "department", "area", "village", "town")
        .get(pk=concern.pk)
    )


def _require(allowed, message="没有办理此诉求的权限"):
    if not allowed:
        raise ConcernPermissionDenied(message)


def _check_state(concern, allowed, action):
    if concern.status not in allowed:
        raise TransitionNotAllowed(f"当前状态为{concern.get_status_display()}，不能{action}")


def _clean_text(value, *, label, required=True, max_length=MAX_TEXT_LENGTH, field=None):
    value = (value or "").strip()
    if required and not value:
        raise ConcernError(f"请填写{label}", field=field)
    if len(value) > max_length:
        raise ConcernError(f"{label}不能超过{max_length}字（现为{len(value)}字）", field=field)
    return value


def _event(concern, *, kind, by, from_status="", to_status="", at=None, actor_label=None, **fields):
    return ConcernEvent.objects.create(
        concern=concern,
        at=at or timezone.now(),
        actor=by,
        actor_label=actor_label if actor_label is not None else _label(by),
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        **fields,
    )


def _audit(obj, before, *, by, note):
    changes = diff(before, snapshot(obj)) if before is not None else diff({}, snapshot(obj))
    action = AuditAction.UPDATE if before is not None else AuditAction.CREATE
    return record_event(action=action, obj=obj, changes=changes, note=note, actor=_actor(by))


def _close_supervisions(concern, now):
    Supervision.objects.filter(concern=concern, closed_at__isnull=True).update(closed_at=now)


def clean_reporter_phone(value):
    """A resident's phone number as stored and indexed (zhenwu.lib.phone); ConcernError if malformed."""
    try:
        return normalise_phone(value)
    except InvalidPhone as exc:
        raise ConcernError(str(exc), field="reporter_phone") from None


def _point(latitude, longitude, coord_system):
    """A reported point as stored: WGS-84 degrees (zhenwu.lib.coords.parse_point) and the system
    it came in (WGS-84 when no point was given)."""
    try:
        latitude, longitude = parse_point(latitude, longitude, coord_system)
    except PointError as exc:
        raise ConcernError(exc.message, field=exc.field) from None
    return latitude, longitude, (coord_system or CoordSystem.WGS84) if latitude is not None else CoordSystem.WGS84


def _photo_type(upload):
    head = upload.read(16)
    upload.seek(0)
    for magic, content_type in PHOTO_TYPES.items():
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftypmsf1"):
        return "image/heic"
    return None


def max_photo_bytes():
    return getattr(settings, "ZHENWU_CONCERN_PHOTO_MAX_BYTES", None) or uploads.max_photo_bytes()


def validate_photos(photos, *, existing=0):
    """Check count, size and real image type (by content, not name); returns [(upload, type)]."""
    photos = list(photos or [])
    if existing + len(photos) > MAX_PHOTOS_PER_CONCERN:
        raise ConcernError(
            f"每条诉求最多{MAX_PHOTOS_PER_CONCERN}张照片（已有{existing}张，本次{len(photos)}张）",
            field="photos",
        )
    limit = max_photo_bytes()
    checked = []
    for upload in photos:
        name = getattr(upload, "name", "照片")
        if upload.size > limit:
            raise ConcernError(f"照片“{name}”超过{limit // (1024 * 1024)}MB，请压缩后再上传", field="photos")
        content_type = _photo_type(upload)
        if content_type is None:
            raise ConcernError(f"“{name}”不是图片，请上传JPG、PNG、GIF、WebP或HEIC照片", field="photos")
        checked.append((upload, content_type))
    return checked


def _save_photos(concern, checked, *, by, kinds=None):
    """Store checked photos; `kinds` (one per photo) defaults to the resident's. Whether each
    starts public on the board is the town's setting (PhotoSettings: not until chosen)."""
    if not checked:
        return
    public = PhotoSettings.public_by_default_for(concern.town_id)
    kinds = kinds or [PhotoKind.REPORTED] * len(checked)
    for (upload, content_type), kind in zip(checked, kinds, strict=True):
        photo = ConcernPhoto(
            concern=concern, content_type=content_type, size=upload.size, uploaded_by=by, kind=kind, is_public=public
        )
        photo.file.save(getattr(upload, "name", "photo"), upload, save=False)
        photo.save()


def _village_and_town(area):
    """The ids of the village (or community) and town containing `area`, `area` being freshly
    read. Kept per process by (area, path): ancestors only change when the area moves in the
    tree, which changes its path, so a moved area misses the map and is looked up again."""
    key = (area.pk, area.path)
    found = _PLACES.get(key)
    if found is None:
        found = _read_village_and_town(area)
        if len(_PLACES) >= 50_000:
            _PLACES.clear()
        _PLACES[key] = found
    return found


_PLACES = {}


def _read_village_and_town(area):
    # One query: the ancestors-or-self of the area's current path (read in the same statement;
    # inserting a sibling into the ordered tree may have renumbered it since `area` was loaded).
    current = Area.objects.filter(pk=area.pk).values("path")[:1]
    village = town = None
    nodes = (
        Area.objects.filter(level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.TOWN))
        .annotate(target=Subquery(current))
        .filter(target__startswith=F("path"))
        .values_list("pk", "level")
    )
    for pk, level in nodes:
        if level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
            village = pk
        elif level == AreaLevel.TOWN:
            town = pk
    return village, town


def _follow_token_for(idempotency_key):
    """A fresh random token, or for a keyed submission one derived from the key with the server
    secret, so that a retried submission hands the resident the same private link again."""
    if not idempotency_key:
        return secrets.token_urlsafe(32)
    return salted_hmac("zhenwu.concerns.follow-token", idempotency_key, algorithm="sha256").hexdigest()


def reference_prefix():
    return getattr(settings, "ZHENWU_CONCERN_PREFIX", "GQ")


def allocate_references(count, *, year):
    """Allocate `count` consecutive reference numbers of the year (a list, oldest first). The
    counter row stays locked by our UPDATE until the transaction ends, so concurrent intakes get
    distinct, gap-free numbers. Loaders writing many concerns at once take a block in one query."""
    if count < 1:
        return []
    prefix = reference_prefix()
    table = connection.ops.quote_name(ReferenceCounter._meta.db_table)
    # UPDATE ... RETURNING (PostgreSQL, SQLite 3.35+): the increment and its value in one query.
    sql = f'UPDATE {table} SET "last" = "last" + %s WHERE "prefix" = %s AND "year" = %s RETURNING "last"'
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql, [count, prefix, year])
            row = cursor.fetchone()
        if row is not None:
            return [f"{prefix}-{year}-{n:06d}" for n in range(row[0] - count + 1, row[0] + 1)]
        try:
            with transaction.atomic():
                ReferenceCounter.objects.create(prefix=prefix, year=year, last=0)
        except IntegrityError:
            pass  # another intake created the year's row first; update it on the next pass
    raise RuntimeError("could not allocate a reference number")


def next_reference(year):
    """Allocate the next reference number of the year (see allocate_references)."""
    return allocate_references(1, year=year)[0]
