"""The concern workflow: one function per transition of the 12345 closed loop.

    received 待受理 ─accept→ accepted 已受理 ─dispatch→ dispatched 已派单 ─(first action)→ in_progress 办理中
        │decline                 │decline      ↑            │return (by the department)   │resolve
        ↓                        ↓             └─ returned 已退回 ←┘                          ↓
    declined 不予受理 ─reopen→ received          (dispatch / decline)                   resolved 已办结
                                                                                            │call-back
                        in_progress ←── 不满意 (重办, reopen_count + 1) ───────────────────┤
                                                                           满意/基本满意 → closed 关闭
    Any open concern may be re-categorised, merged into an original (duplicate 已合并), supervised
    (督办) or attached to a project. Resolved or closed ones may be reopened by a dispatcher.
    A dispatched or in-progress concern may be suspended (挂起 → suspended 已挂起, its clock stopped)
    and resumed to its earlier state, and its department may ask for an extension (延期); those
    and a project's plan as deadline live in zhenwu.concerns.deadlines.

Every function is atomic, locks the concern row (SELECT ... FOR UPDATE) before reading its state,
checks the allowed from-states and the acting user's rights, records a ConcernEvent and an audit
entry, and queues notifications. A refused transition raises ConcernError with a Chinese message
for the user; nothing is changed.

Deadlines (zhenwu.workdays.calendar, end of the due day, Asia/Shanghai):
- resolution_due = receipt + category.resolution_limit_days working days; re-computed when the
  category changes; restarted from the reopening when a concern is reopened (重办).
- response_due = the department's deadline for its first contact with the resident: set from
  the dispatch time at each dispatch (a new department gets a fresh clock). Before dispatch it
  holds the same limit counted from receipt, as the town's own target. 紧急 caps the limit at
  one working day and 特急 at the same working day.
"""

import logging
import re
import secrets
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.utils import timezone
from django.utils.crypto import salted_hmac

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import diff, record_event, record_reveal, snapshot
from zhenwu.core.errors import DomainError
from zhenwu.jobs.services import follow_up_task
from zhenwu.lib import uploads
from zhenwu.lib.crypto import blind_index
from zhenwu.lib.masking import mask_numbers
from zhenwu.lib.request_context import Actor, acting_as, current_actor
from zhenwu.org.models import Area, AreaLevel, Department
from zhenwu.workdays import calendar as workdays
from zhenwu.workdays.calendar import workday_overrides

from . import access, notify, signals
from .models import (
    MAX_PHOTOS_PER_CONCERN,
    OPEN_STATUSES,
    PROJECT_STAGE_ORDER,
    RESOLUTION_PHOTO_KINDS,
    VERDICT_RESULTS,
    CallBack,
    CallBackChannel,
    CallBackResult,
    Category,
    Channel,
    Concern,
    ConcernEvent,
    ConcernFollower,
    ConcernPhoto,
    EventKind,
    FollowerSource,
    Notification,
    Outcome,
    PhotoKind,
    PhotoSettings,
    Project,
    ProjectDocument,
    ProjectStage,
    ProjectStageKind,
    ReferenceCounter,
    Status,
    Supervision,
    SupervisionKind,
    Urgency,
    hash_token,
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


@dataclass
class EscalationReport:
    supervisions: int = 0
    notifications: int = 0
    references: list = field(default_factory=list)


# --- helpers ---------------------------------------------------------------------------------


def response_limit_days(category, urgency):
    days = category.response_limit_days
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


_PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def normalise_phone(value):
    """Digits of a mobile (11 digits) or landline (区号-号码) number; ConcernError if malformed."""
    value = re.sub(r"[\s()（）]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    if not value:
        return ""
    if not _PHONE_RE.match(value):
        raise ConcernError("联系电话格式不正确，请填写11位手机号或带区号的固定电话", field="reporter_phone")
    return value.replace("-", "") if value.startswith("1") else value


def _coordinate(value, *, label, limit, field):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        raise ConcernError(f"{label}格式不正确", field=field) from None
    if not (-limit <= number <= limit):
        raise ConcernError(f"{label}超出范围", field=field)
    return number


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


# --- intake ----------------------------------------------------------------------------------


@transaction.atomic
def submit_concern(
    *,
    text,
    category,
    area,
    channel,
    by=None,
    title="",
    urgency=Urgency.NORMAL,
    reporter_name="",
    reporter_phone="",
    latitude=None,
    longitude=None,
    address="",
    photos=(),
    idempotency_key=None,
    received_at=None,
):
    """Register a concern from any channel; returns SubmitResult(concern, follow_token, created).

    A resident (by=None) submits through the web form; staff register calls, walk-ins, visits and
    tea-room meetings for residents. With an `idempotency_key` (the form's one-time key) a repeated
    submission returns the first concern and the same follow token instead of a second concern:
    the key's unique constraint refuses the second row (no look-up first; repeats are rare).

    The request writes the concern, its reference number, its submitted event and its audit entry
    in one transaction, marked `intake_pending`; the worker then notifies the town's dispatchers
    and announces the batch to the apps above (complete_pending_intakes).
    """
    if idempotency_key is not None:
        idempotency_key = str(idempotency_key).strip()[:64] or None

    text = _clean_text(text, label="诉求内容", field="text")
    title = _clean_text(title, label="标题", required=False, max_length=60, field="title")
    if channel not in Channel.values:
        raise ConcernError("来源渠道不正确", field="channel")
    if by is None and channel not in (Channel.WEB, Channel.API):
        raise ConcernError("电话、来访、走访和民情茶室的诉求须由工作人员登记", field="channel")
    if by is not None:
        _require(access.can_register(by), "当前账号不能登记诉求")
    if urgency not in Urgency.values:
        raise ConcernError("紧急程度不正确", field="urgency")
    if category is None or not isinstance(category, Category) or not category.is_active:
        raise ConcernError("请选择诉求类别", field="category")
    if area is None or area.level not in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID):
        raise ConcernError("请选择所在村(社区)或网格", field="area")
    reporter_name = _clean_text(
        reporter_name, label="姓名", required=False, max_length=50, field="reporter_name"
    )
    reporter_phone = normalise_phone(reporter_phone)
    latitude = _coordinate(latitude, label="纬度", limit=90, field="latitude")
    longitude = _coordinate(longitude, label="经度", limit=180, field="longitude")
    address = _clean_text(address, label="地点", required=False, max_length=200, field="address")
    checked_photos = validate_photos(photos)

    now = received_at or timezone.now()
    village_id, town_id = _village_and_town(area)
    overrides = workday_overrides()
    token = _follow_token_for(idempotency_key)
    concern = Concern(
        channel=channel,
        title=title or _title_from(text),
        text=text,
        category=category,
        urgency=urgency,
        area=area,
        village_id=village_id,
        town_id=town_id,
        latitude=latitude,
        longitude=longitude,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_phone_hash=blind_index(reporter_phone, purpose="concern_phone"),
        registered_by=by,
        follow_token_hash=hash_token(token),
        idempotency_key=idempotency_key,
        status=Status.RECEIVED,
        intake_pending=True,
        received_at=now,
        received_month=workdays.local_date(now).replace(day=1),
        response_due=workdays.add_workdays(now, response_limit_days(category, urgency), overrides),
        resolution_due=workdays.add_workdays(now, category.resolution_limit_days, overrides),
    )
    try:
        with transaction.atomic():
            concern.reference = next_reference(workdays.local_date(now).year)
            concern.save(force_insert=True)
    except IntegrityError:
        # An earlier or concurrent submission with the same key holds it: answer with its concern.
        # (The savepoint rolled back the number too; on PostgreSQL the transaction stays usable.)
        existing = idempotency_key and Concern.objects.filter(idempotency_key=idempotency_key).first()
        if not existing:
            raise
        return SubmitResult(existing, token, False)

    _save_photos(concern, checked_photos, by=by)
    who = _label(by, default="居民")
    _event(
        concern,
        kind=EventKind.SUBMITTED,
        by=by,
        at=now,
        actor_label=who,
        to_status=Status.RECEIVED,
        is_public=True,
        public_text=f"诉求已登记（{concern.get_channel_display()}），编号{concern.reference}",
        data={"photos": len(checked_photos)},
    )
    _audit(concern, None, by=by, note=f"登记诉求{concern.reference}")
    notify.sms_after_commit(
        [reporter_phone],
        f"您反映的诉求已登记，编号{concern.reference}，请保存查询链接查看办理进度。",
        link=notify.follow_link(concern, token),
    )
    return SubmitResult(concern, token, True)


# Concerns per pass: the transaction that completes them holds SQLite's write lock (BEGIN
# IMMEDIATE) for a few milliseconds, so a resident's request never waits long behind it.
INTAKE_BATCH = 25


@follow_up_task("concerns.complete_pending_intakes")
def complete_pending_intakes(*, limit=INTAKE_BATCH):
    """The worker's half of the intake, for a batch of new concerns (oldest first): notify each
    town's dispatchers (one INSERT for the batch), announce the batch (signals.intake_completed:
    the apps above, the router say, queue their own work) and clear `intake_pending`. The batch
    and the dispatchers are read first, outside any transaction; the writes then run in one short
    transaction for the rows still pending. Several workers may run it: PostgreSQL skips rows
    another worker holds, SQLite's write lock serialises them, and a row another worker completed
    meanwhile is left out. Returns how many concerns were done."""
    if not Concern.objects.filter(intake_pending=True).exists():
        return 0  # the idle pass reads the partial index and takes no write lock
    candidates = list(
        Concern.objects.filter(intake_pending=True)
        .select_related("category", "town", "registered_by")
        .order_by("id")[:limit]
    )
    dispatchers = {}
    for concern in candidates:
        if concern.town_id not in dispatchers:
            dispatchers[concern.town_id] = list(notify.town_dispatchers(concern))
    with transaction.atomic():
        pending = Concern.objects.filter(pk__in=[c.pk for c in candidates], intake_pending=True)
        if connection.vendor == "postgresql":
            pending = pending.select_for_update(of=("self",), skip_locked=True)
        still = set(pending.values_list("pk", flat=True))
        concerns = [c for c in candidates if c.pk in still]
        if not concerns:
            return 0
        _notify_dispatchers_of_new(concerns, dispatchers)
        signals.intake_completed.send(sender=Concern, concerns=concerns)
        Concern.objects.filter(pk__in=[c.pk for c in concerns]).update(intake_pending=False)
    return len(concerns)


def _notify_dispatchers_of_new(concerns, dispatchers):
    rows = []
    for concern in concerns:
        for user in dispatchers[concern.town_id]:
            if user.pk != concern.registered_by_id:
                rows.append(notify.notification_for(user, text=f"新诉求{concern.reference}：{concern.title}",
                                                    concern=concern))
    Notification.objects.bulk_create(rows)


def _title_from(text):
    """The concern's title: its first sentence, at most 30 characters, with phone and ID numbers
    masked (titles are shown in every list and notification, to staff who may not reveal the
    reporter's contact; the full text is revealed on the concern's page by an audited action)."""
    first = mask_numbers(re.split(r"[。！？!?\n]", text, maxsplit=1)[0].strip() or text)
    return first[:30] + ("…" if len(first) > 30 else "")


@transaction.atomic
def follow_concern(concern, *, phone="", note="", now=None):
    """A resident follows a concern (e.g. offered as a likely duplicate before submitting).
    Returns the plain token of their private link. `note`: what the resident had written about the
    matter (kept for the handlers as 诉求人补充, never public). (`now`: for loaders writing the past.)"""
    concern = _lock(concern)
    if concern.status == Status.DUPLICATE:
        concern = _lock(concern.duplicate_of)
    if concern.status == Status.DECLINED:
        raise TransitionNotAllowed("该诉求不予受理，不能关注")
    token = secrets.token_urlsafe(32)
    phone = normalise_phone(phone)
    ConcernFollower.objects.create(
        concern=concern,
        token_hash=hash_token(token),
        phone=phone,
        phone_hash=blind_index(phone, purpose="concern_phone"),
        source=FollowerSource.FOLLOW,
        created_at=now or timezone.now(),
    )
    note = _clean_text(note, label="补充说明", required=False, field="note")
    if note:
        _event(concern, kind=EventKind.REPORTER_ADDED, by=None, at=now, actor_label="跟进人", internal_note=note)
        notify.notify_users(
            notify.concern_handlers(concern), text=f"诉求{concern.reference}有跟进人补充情况", concern=concern
        )
    record_event(action=AuditAction.UPDATE, obj=concern, note="居民关注诉求", actor=_actor(None))
    notify.sms_after_commit(
        [phone],
        f"您已关注诉求{concern.reference}，请保存查询链接查看办理进度。",
        link=notify.follow_link(concern, token),
    )
    return token


@transaction.atomic
def add_photos(concern, *, photos, by=None, kind=PhotoKind.REPORTED):
    """Add photos to a concern (the reporter on the follow page, or staff); at most nine of the
    resident's kind, and nine 办理前/办理后 ones, which only the department holding the concern adds
    (`kind`: PhotoKind)."""
    concern = _lock(concern)
    if by is not None:
        _require(access.can_note(by, concern) or access.can_handle(by, concern))
    if kind not in PhotoKind.values or (kind != PhotoKind.REPORTED and (by is None or not access.can_handle(by, concern))):
        raise ConcernPermissionDenied("只有承办部门可以上传办理前后照片")
    if concern.status in (Status.DECLINED, Status.DUPLICATE, Status.CLOSED):
        raise TransitionNotAllowed(f"当前状态为{concern.get_status_display()}，不能补充照片")
    group = [PhotoKind.REPORTED] if kind == PhotoKind.REPORTED else list(RESOLUTION_PHOTO_KINDS)
    checked = validate_photos(photos, existing=concern.photos.filter(kind__in=group).count())
    _save_photos(concern, checked, by=by, kinds=[kind] * len(checked))
    _event(
        concern,
        kind=EventKind.PHOTO_ADDED,
        by=by,
        actor_label=_label(by, default="诉求人"),
        data={"photos": len(checked)},
    )
    record_event(action=AuditAction.UPDATE, obj=concern, note=f"补充照片{len(checked)}张", actor=_actor(by))
    return concern


@transaction.atomic
def add_reporter_update(concern, *, text):
    """The resident adds to their concern from the private follow page (the view checked the
    token). Staff see it on the timeline; it is not shown on the public board."""
    concern = _lock(concern)
    if concern.status in (Status.DECLINED, Status.DUPLICATE, Status.CLOSED):
        raise TransitionNotAllowed(f"当前状态为{concern.get_status_display()}，不能补充内容")
    text = _clean_text(text, label="补充内容", field="text")
    _event(concern, kind=EventKind.REPORTER_ADDED, by=None, actor_label="诉求人", internal_note=text)
    record_event(action=AuditAction.UPDATE, obj=concern, note="诉求人补充内容", actor=_actor(None))
    recipients = notify.concern_handlers(concern)
    notify.notify_users(recipients, text=f"诉求{concern.reference}有诉求人补充内容", concern=concern)
    return concern


# --- the workflow ----------------------------------------------------------------------------


@transaction.atomic
def accept_concern(concern, *, by, public_text="", now=None):
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern), "只有民情受理员可以受理诉求")
    _check_state(concern, (Status.RECEIVED,), "受理")
    before = snapshot(concern)
    now = now or timezone.now()
    concern.status = Status.ACCEPTED
    concern.accepted_at = now
    concern.save()
    public_text = (
        _clean_text(public_text, label="答复", required=False)
        or "您的诉求已受理，我们将尽快转交承办部门办理。"
    )
    _event(
        concern,
        kind=EventKind.ACCEPTED,
        by=by,
        at=now,
        from_status=Status.RECEIVED,
        to_status=Status.ACCEPTED,
        public_text=public_text,
        is_public=True,
    )
    _audit(concern, before, by=by, note="受理")
    notify.tell_residents(concern, f"您的诉求{concern.reference}已受理。")
    return concern


@transaction.atomic
def decline_concern(concern, *, by, reason, now=None):
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern), "只有民情受理员可以作不予受理处理")
    _check_state(concern, (Status.RECEIVED, Status.ACCEPTED, Status.RETURNED), "作不予受理处理")
    reason = _clean_text(reason, label="不予受理的理由", max_length=MAX_REASON_LENGTH, field="reason")
    before = snapshot(concern)
    now = now or timezone.now()
    from_status = concern.status
    concern.status = Status.DECLINED
    concern.closed_at = now
    concern.department = None
    concern.save()
    _close_supervisions(concern, now)
    _event(
        concern,
        kind=EventKind.DECLINED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=Status.DECLINED,
        reason=reason,
        public_text=f"不予受理：{reason}",
        is_public=True,
    )
    _audit(concern, before, by=by, note=f"不予受理：{reason}")
    notify.tell_residents(concern, f"您的诉求{concern.reference}不予受理，原因：{reason[:60]}")
    return concern


@transaction.atomic
def dispatch_concern(concern, *, by, department=None, note="", now=None):
    """Send the concern to a department (the category's default one if none is named). A concern
    still 待受理 is accepted on the way (both steps are recorded)."""
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern), "只有民情受理员可以派单")
    _check_state(concern, (Status.RECEIVED, Status.ACCEPTED, Status.RETURNED), "派单")
    department = department or concern.category.default_department
    if department is None:
        raise ConcernError("请选择承办部门（该类别没有默认承办部门）", field="department")
    if not isinstance(department, Department) or not department.is_active:
        raise ConcernError("承办部门不存在或已停用", field="department")
    if concern.town_id is not None and department.town_id != concern.town_id:
        raise ConcernError(f"{department.name}不是本镇的部门，不能承办", field="department")
    note = _clean_text(note, label="派单说明", required=False, max_length=MAX_REASON_LENGTH)
    before = snapshot(concern)
    now = now or timezone.now()
    from_status = concern.status
    if from_status == Status.RECEIVED:
        concern.accepted_at = now
        _event(
            concern,
            kind=EventKind.ACCEPTED,
            by=by,
            at=now,
            from_status=Status.RECEIVED,
            to_status=Status.ACCEPTED,
            public_text="您的诉求已受理。",
            is_public=True,
        )
        from_status = Status.ACCEPTED
    concern.status = Status.DISPATCHED
    concern.department = department
    concern.dispatched_at = now
    concern.responded_at = None
    concern.response_due = workdays.add_workdays(
        now, response_limit_days(concern.category, concern.urgency), workday_overrides()
    )
    concern.save()
    _event(
        concern,
        kind=EventKind.DISPATCHED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=Status.DISPATCHED,
        department=department,
        public_text=f"已转交{department.name}办理。",
        internal_note=note,
        is_public=True,
    )
    _audit(concern, before, by=by, note=f"派单至{department.name}")
    notify.notify_users(
        notify.department_handlers(department),
        text=f"新派单{concern.reference}：{concern.title}（响应截止{timezone.localtime(concern.response_due):%m月%d日}）",
        concern=concern,
    )
    return concern


@dataclass
class BulkDispatchResult:
    dispatched: list = field(default_factory=list)  # the dispatched concerns
    refused: list = field(default_factory=list)  # (reference, message) per concern left as it was


def dispatch_concerns(concerns, *, by, department=None):
    """Bulk dispatch from the inbox: each concern is dispatched in its own transaction (to
    `department`, or else its category's default one); refusals are reported, not raised, so one
    concern in the wrong state does not hold up the rest."""
    result = BulkDispatchResult()
    for concern in concerns:
        try:
            result.dispatched.append(dispatch_concern(concern, by=by, department=department))
        except ConcernError as exc:
            result.refused.append((concern.reference, exc.message))
    return result


@transaction.atomic
def return_concern(concern, *, by, reason, now=None):
    """退单: the department hands the concern back to the dispatcher, with its reason."""
    concern = _lock(concern)
    _require(access.can_handle(by, concern), "只有承办部门可以退单")
    _check_state(concern, (Status.DISPATCHED, Status.IN_PROGRESS), "退单")
    reason = _clean_text(reason, label="退单理由", max_length=MAX_REASON_LENGTH, field="reason")
    before = snapshot(concern)
    now = now or timezone.now()
    department = concern.department
    from_status = concern.status
    concern.status = Status.RETURNED
    concern.department = None
    concern.save()
    _event(
        concern,
        kind=EventKind.RETURNED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=Status.RETURNED,
        department=department,
        reason=reason,
    )
    _audit(concern, before, by=by, note=f"{department.name}退单：{reason}")
    notify.notify_users(
        notify.town_dispatchers(concern),
        text=f"{department.name}退回诉求{concern.reference}：{reason[:80]}",
        concern=concern,
    )
    return concern


UPDATE_STATES_PUBLIC = (Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)


@transaction.atomic
def post_update(concern, *, by, text, public, now=None):
    """A public progress update (shown to the resident and on the board) or an internal note.

    The department's first action on a dispatched concern signs for it (办理中); its first public
    update is its response to the resident (responded_at, measured by 响应率)."""
    concern = _lock(concern)
    handles = access.can_handle(by, concern)
    if public:
        _require(handles or access.can_dispatch(by, concern), "只有承办部门或受理员可以发布办理进展")
        _check_state(concern, UPDATE_STATES_PUBLIC, "发布办理进展")
    else:
        _require(access.can_note(by, concern), "没有在此诉求上备注的权限")
        if concern.status == Status.DUPLICATE:
            raise TransitionNotAllowed("当前状态为已合并，不能备注，请在原诉求上备注")
    text = _clean_text(text, label="进展内容" if public else "备注内容", field="text")
    before = snapshot(concern)
    now = now or timezone.now()
    from_status = concern.status
    changed = False
    if handles and concern.status == Status.DISPATCHED:
        concern.status = Status.IN_PROGRESS
        changed = True
    if public and handles and concern.responded_at is None and concern.department_id:
        concern.responded_at = now
        changed = True
    if changed:
        concern.save()
    _event(
        concern,
        kind=EventKind.UPDATED if public else EventKind.NOTE,
        by=by,
        at=now,
        from_status=from_status,
        to_status=concern.status,
        department=concern.department if handles else None,
        public_text=text if public else "",
        internal_note="" if public else text,
        is_public=public,
    )
    _audit(concern, before, by=by, note="发布办理进展" if public else "内部备注")
    if public:
        notify.tell_residents(concern, f"您的诉求{concern.reference}有新的办理进展，请查看。")
    return concern


@transaction.atomic
def resolve_concern(concern, *, by, outcome, text, photos=(), now=None):
    """办结 with an honest outcome and the answer to the resident; waits for the call-back.
    `photos` are (kind, upload) pairs, kind 办理前 or 办理后 (PhotoKind.BEFORE/AFTER), checked like
    the resident's (validate_photos; at most MAX_PHOTOS_PER_CONCERN resolution photos in all)."""
    concern = _lock(concern)
    _require(access.can_handle(by, concern), "只有承办部门可以办结")
    _check_state(concern, (Status.DISPATCHED, Status.IN_PROGRESS), "办结")
    if outcome not in Outcome.values:
        raise ConcernError("请选择办理结果", field="outcome")
    text = _clean_text(text, label="办结答复", field="text")
    photos = list(photos or ())
    if any(kind not in RESOLUTION_PHOTO_KINDS for kind, _upload in photos):
        raise ConcernError("办结照片只能是办理前或办理后的照片", field="photos")
    checked_photos = validate_photos(
        [upload for _kind, upload in photos],
        existing=concern.photos.filter(kind__in=RESOLUTION_PHOTO_KINDS).count() if photos else 0,
    )
    before = snapshot(concern)
    now = now or timezone.now()
    from_status = concern.status
    concern.status = Status.RESOLVED
    concern.outcome = outcome
    concern.resolution_text = text
    concern.resolved_at = now
    # 挂起 stops the clock: suspended working days do not count (zhenwu.concerns.deadlines).
    concern.resolution_workdays = max(
        0, workdays.workdays_between(concern.received_at, now, workday_overrides()) - concern.suspended_workdays
    )
    if concern.responded_at is None:
        concern.responded_at = now
    concern.save()
    _close_supervisions(concern, now)
    _save_photos(concern, checked_photos, by=by, kinds=[kind for kind, _upload in photos])
    _event(
        concern,
        kind=EventKind.RESOLVED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=Status.RESOLVED,
        department=concern.department,
        public_text=f"【{Outcome(outcome).label}】{text}",
        is_public=True,
        data={"outcome": outcome, "workdays": concern.resolution_workdays}
        | ({"photos": len(checked_photos)} if checked_photos else {}),
    )
    _audit(
        concern,
        before,
        by=by,
        note=f"办结（{Outcome(outcome).label}）" + (f"，附办理照片{len(checked_photos)}张" if checked_photos else ""),
    )
    notify.tell_residents(concern, f"您的诉求{concern.reference}已办结，稍后将回访，也可在查询页评价。")
    return concern


def _reopen(concern, *, by, now, reason, kind_label):
    """Shared by 不满意 call-backs and explicit reopening: back to the department, a fresh
    resolution clock, one more reopening counted."""
    from_status = concern.status
    concern.status = Status.IN_PROGRESS if concern.department_id else Status.ACCEPTED
    concern.reopen_count += 1
    concern.resolved_at = None
    concern.outcome = ""
    concern.resolution_workdays = None
    concern.closed_at = None
    concern.resolution_due = workdays.add_workdays(
        now, concern.category.resolution_limit_days, workday_overrides()
    )
    concern.save()
    _event(
        concern,
        kind=EventKind.REOPENED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=concern.status,
        department=concern.department,
        reason=reason,
        public_text=f"{kind_label}，重新办理。",
        is_public=True,
        data={"reopen_count": concern.reopen_count},
    )
    recipients = notify.concern_handlers(concern)
    notify.notify_users(
        recipients, text=f"诉求{concern.reference}{kind_label}，请重新办理：{reason[:60]}", concern=concern
    )


def _close(concern, *, by, now, public_text, reason="", actor_label=None):
    """Shared by satisfied call-backs and closing without a verdict: resolved → closed."""
    concern.status = Status.CLOSED
    concern.closed_at = now
    concern.save()
    _event(
        concern,
        kind=EventKind.CLOSED,
        by=by,
        at=now,
        actor_label=actor_label,
        from_status=Status.RESOLVED,
        to_status=Status.CLOSED,
        reason=reason,
        public_text=public_text,
        is_public=True,
    )


@transaction.atomic
def record_call_back(concern, *, result, solved, channel=CallBackChannel.PHONE, by=None, note="", now=None):
    """回访: the resident's verdict, by phone (a dispatcher records it) or on the follow page
    (by=None; the view checked the private link). 满意/基本满意 close the concern; 不满意 needs its
    reason and reopens it (重办, a fresh deadline from now) and counts a reopening."""
    concern = _lock(concern)
    if channel not in CallBackChannel.values:
        raise ConcernError("回访方式不正确", field="channel")
    if channel == CallBackChannel.PHONE:
        _require(by is not None and access.can_call_back(by, concern), "只有民情受理员可以登记电话回访")
    elif by is not None:
        raise ConcernError("在线评价只能由诉求人在查询页提交", field="channel")
    _check_state(concern, (Status.RESOLVED,), "回访")
    if result not in VERDICT_RESULTS:  # 联系不上 is not a verdict: callbacks.record_unreachable
        raise ConcernError("请选择满意度", field="result")
    if solved not in (True, False):
        raise ConcernError("请选择问题是否已解决", field="solved")
    note = _clean_text(note, label="回访记录", required=False, field="note")
    if result == CallBackResult.UNSATISFIED and not note:
        raise ConcernError("选择“不满意”时请填写不满意的原因", field="note")
    before = snapshot(concern)
    now = now or timezone.now()
    CallBack.objects.create(
        concern=concern,
        result=result,
        solved=solved,
        channel=channel,
        by=by,
        at=now,
        note=note,
        round=concern.reopen_count + 1,
    )
    concern.callback_result = result
    concern.callback_solved = solved
    concern.callback_at = now
    label = CallBackResult(result).label
    _event(
        concern,
        kind=EventKind.CALLED_BACK,
        by=by,
        at=now,
        actor_label=_label(by, default="诉求人"),
        from_status=Status.RESOLVED,
        to_status=Status.RESOLVED,
        public_text=f"回访结果：{label}（{'已解决' if solved else '未解决'}）",
        internal_note=note,
        is_public=True,
        data={"result": result, "solved": solved, "channel": channel},
    )
    if result == CallBackResult.UNSATISFIED:
        _reopen(concern, by=by, now=now, reason=note, kind_label="回访不满意")
        audit_note = "回访不满意，重办"
    else:
        _close(
            concern,
            by=by,
            now=now,
            actor_label=_label(by, default="诉求人"),
            public_text="诉求已办结关闭，感谢您的监督。",
        )
        audit_note = f"回访{label}，关闭"
    _audit(concern, before, by=by, note=audit_note)
    return concern


@transaction.atomic
def close_concern(concern, *, by, reason, now=None):
    """Close a resolved concern without a verdict (e.g. the resident could not be reached)."""
    concern = _lock(concern)
    _require(access.can_call_back(by, concern), "只有民情受理员可以关闭诉求")
    _check_state(concern, (Status.RESOLVED,), "关闭")
    reason = _clean_text(reason, label="关闭理由", max_length=MAX_REASON_LENGTH, field="reason")
    before = snapshot(concern)
    _close(concern, by=by, now=now or timezone.now(), reason=reason, public_text="诉求已办结关闭。")
    _audit(concern, before, by=by, note=f"关闭：{reason}")
    return concern


@transaction.atomic
def reopen_concern(concern, *, by, reason, now=None):
    """A dispatcher reopens a resolved or closed concern (重办, counted), or reconsiders a
    declined one (back to 待受理, not counted as a reopening)."""
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern), "只有民情受理员可以重新办理")
    _check_state(concern, (Status.RESOLVED, Status.CLOSED, Status.DECLINED), "重新办理")
    reason = _clean_text(reason, label="重办理由", max_length=MAX_REASON_LENGTH, field="reason")
    before = snapshot(concern)
    now = now or timezone.now()
    if concern.status == Status.DECLINED:
        concern.status = Status.RECEIVED
        concern.closed_at = None
        concern.save()
        _event(
            concern,
            kind=EventKind.REOPENED,
            by=by,
            at=now,
            from_status=Status.DECLINED,
            to_status=Status.RECEIVED,
            reason=reason,
            public_text="诉求重新进入受理。",
            is_public=True,
        )
    else:
        _reopen(concern, by=by, now=now, reason=reason, kind_label="重新办理")
    _audit(concern, before, by=by, note=f"重新办理：{reason}")
    return concern


@transaction.atomic
def recategorise_concern(concern, *, by, category, reason="", now=None):
    """Change the category: deadlines follow the new limits, and a concern already with a
    department is re-routed to the new category's default department (history kept)."""
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern), "只有民情受理员可以调整类别")
    _check_state(concern, OPEN_STATUSES, "调整类别")
    if category is None or not isinstance(category, Category) or not category.is_active:
        raise ConcernError("请选择诉求类别", field="category")
    if category.pk == concern.category_id:
        raise ConcernError(f"诉求已属于“{category.name}”类别", field="category")
    reason = _clean_text(reason, label="调整理由", required=False, max_length=MAX_REASON_LENGTH)
    before = snapshot(concern)
    now = now or timezone.now()
    overrides = workday_overrides()
    old_category, old_department = concern.category, concern.department
    concern.category = category
    if concern.reopen_count == 0 and concern.project_id is None:  # a project's plan sets its own
        concern.resolution_due = workdays.add_workdays(
            concern.received_at, category.resolution_limit_days + concern.suspended_workdays, overrides
        )
    new_department = category.default_department
    rerouted = (
        concern.status in (Status.DISPATCHED, Status.IN_PROGRESS)
        and new_department is not None
        and new_department.is_active
        and new_department.pk != concern.department_id
        and new_department.town_id == concern.town_id
    )
    from_status = concern.status
    if rerouted:
        concern.department = new_department
        concern.status = Status.DISPATCHED
        concern.dispatched_at = now
        concern.responded_at = None
    clock_start = concern.dispatched_at or concern.received_at
    concern.response_due = workdays.add_workdays(
        clock_start, response_limit_days(category, concern.urgency), overrides
    )
    concern.save()
    _event(
        concern,
        kind=EventKind.RECATEGORISED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=concern.status,
        department=concern.department,
        reason=reason,
        public_text=(
            f"类别调整为“{category.name}”" + (f"，改由{new_department.name}办理。" if rerouted else "。")
        ),
        is_public=concern.is_public,
        data={
            "from_category": old_category.code,
            "to_category": category.code,
            "from_department": old_department.name if old_department else "",
            "to_department": concern.department.name if concern.department_id else "",
        },
    )
    _audit(concern, before, by=by, note=f"类别由“{old_category.name}”调整为“{category.name}”")
    if rerouted:
        notify.notify_users(
            notify.department_handlers(new_department),
            text=f"改派诉求{concern.reference}：{concern.title}",
            concern=concern,
        )
    return concern


@transaction.atomic
def link_duplicate(duplicate, original, *, by, note="", now=None):
    """Mark `duplicate` as the same matter as `original`: it stops (已合并), its followers and its
    reporter follow the original, nothing is deleted. (`now`: for loaders writing the past.)"""
    if duplicate.pk == original.pk:
        raise ConcernError("不能把诉求与自身合并")
    # Lock both rows in a fixed order so two dispatchers merging crosswise cannot deadlock.
    first, second = sorted([duplicate.pk, original.pk])
    locked = {c.pk: c for c in (_lock(Concern(pk=first)), _lock(Concern(pk=second)))}
    duplicate, original = locked[duplicate.pk], locked[original.pk]
    _require(
        access.can_dispatch(by, duplicate) and access.can_dispatch(by, original),
        "只有民情受理员可以合并重复件",
    )
    _check_state(duplicate, OPEN_STATUSES, "合并为重复件")
    if original.status in (Status.DECLINED, Status.DUPLICATE):
        raise TransitionNotAllowed(
            f"{original.reference}当前状态为{original.get_status_display()}，不能作为原件"
        )
    note = _clean_text(note, label="合并说明", required=False, max_length=MAX_REASON_LENGTH)
    before = snapshot(duplicate)
    now = now or timezone.now()
    from_status = duplicate.status
    duplicate.status = Status.DUPLICATE
    duplicate.duplicate_of = original
    duplicate.closed_at = now
    duplicate.save()
    _close_supervisions(duplicate, now)

    taken_tokens = set(
        ConcernFollower.objects.filter(concern=original)
        .exclude(token_hash="")
        .values_list("token_hash", flat=True)
    )
    taken_users = set(
        ConcernFollower.objects.filter(concern=original, user__isnull=False).values_list("user_id", flat=True)
    )
    movable = ConcernFollower.objects.filter(concern=duplicate).exclude(token_hash__in=taken_tokens)
    movable = movable.exclude(user_id__in=taken_users)
    moved = movable.update(concern=original)
    if duplicate.follow_token_hash not in taken_tokens:
        ConcernFollower.objects.create(
            concern=original,
            token_hash=duplicate.follow_token_hash,
            phone=duplicate.reporter_phone,
            phone_hash=duplicate.reporter_phone_hash,
            source=FollowerSource.DUPLICATE,
            created_at=now,
        )
        moved += 1

    _event(
        duplicate,
        kind=EventKind.MERGED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=Status.DUPLICATE,
        reason=note,
        public_text=f"与{original.reference}反映的是同一事项，已合并办理，请关注{original.reference}的进展。",
        is_public=True,
        data={"original": original.reference},
    )
    _event(
        original,
        kind=EventKind.DUPLICATE_LINKED,
        by=by,
        at=now,
        from_status=original.status,
        to_status=original.status,
        internal_note=note,
        data={"duplicate": duplicate.reference, "followers_moved": moved},
    )
    _audit(duplicate, before, by=by, note=f"合并为{original.reference}的重复件")
    notify.tell_residents(duplicate, f"您的诉求{duplicate.reference}已与{original.reference}合并办理。")
    return duplicate


@transaction.atomic
def supervise_concern(concern, *, by, note, now=None):
    """A leader's 督办 on an open concern."""
    concern = _lock(concern)
    _require(access.can_supervise(by, concern), "只有镇领导可以督办")
    _check_state(concern, OPEN_STATUSES, "督办")
    note = _clean_text(note, label="督办意见", max_length=300, field="note")
    before = snapshot(concern)
    now = now or timezone.now()
    Supervision.objects.create(
        concern=concern, kind=SupervisionKind.LEADER, note=note, created_by=by, created_at=now
    )
    concern.is_supervised = True
    concern.save()
    _event(
        concern,
        kind=EventKind.SUPERVISED,
        by=by,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        internal_note=note,
        data={"kind": SupervisionKind.LEADER},
    )
    _audit(concern, before, by=by, note=f"领导督办：{note}")
    recipients = notify.concern_handlers(concern)
    notify.notify_users(recipients, text=f"督办：诉求{concern.reference}，{note[:80]}", concern=concern)
    return concern


def escalate_overdue_concerns(*, now=None, concern_ids=None):
    """Raise 督办 on every open concern past its response or resolution deadline that has not
    been escalated for that deadline yet, and notify its handlers (or the dispatchers when no
    department holds it) and the town's leaders. Safe to run as often as wanted. (`concern_ids`:
    only those concerns, for loaders replaying one concern's history at `now`.)"""
    now = now or timezone.now()
    report = EscalationReport()
    candidates = []
    for kind, queryset, due_field in (
        (SupervisionKind.OVERDUE_RESPONSE, Concern.objects.response_overdue(now), "response_due"),
        (SupervisionKind.OVERDUE_RESOLUTION, Concern.objects.overdue(now), "resolution_due"),
    ):
        done = Supervision.objects.filter(concern=OuterRef("pk"), kind=kind, due_at=OuterRef(due_field))
        if concern_ids is not None:
            queryset = queryset.filter(pk__in=concern_ids)
        ids = queryset.exclude(Exists(done)).order_by("id").values_list("id", flat=True)
        candidates.extend((concern_id, kind) for concern_id in ids)
    for concern_id, kind in candidates:
        created, sent, reference = _escalate_one(concern_id, kind, now)
        if created:
            report.supervisions += 1
            report.notifications += sent
            report.references.append(reference)
    return report


@transaction.atomic
def _escalate_one(concern_id, kind, now):
    concern = _lock(Concern(pk=concern_id))
    if kind == SupervisionKind.OVERDUE_RESPONSE:
        due_at, still = concern.response_due, concern.is_response_overdue(now)
        label = "超期未响应"
    else:
        due_at, still = concern.resolution_due, concern.is_overdue(now)
        label = "超期未办结"
    if not still:
        return False, 0, concern.reference
    try:
        with transaction.atomic():
            Supervision.objects.create(concern=concern, kind=kind, due_at=due_at, created_at=now)
    except IntegrityError:
        return False, 0, concern.reference  # another run escalated it a moment ago
    before = snapshot(concern)
    concern.is_supervised = True
    concern.save()
    due_text = f"{timezone.localtime(due_at):%m月%d日}"
    _event(
        concern,
        kind=EventKind.SUPERVISED,
        by=None,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        internal_note=f"{label}（截止{due_text}），系统自动督办",
        data={"kind": kind},
    )
    _audit(concern, before, by=None, note=f"自动督办：{label}")
    handlers = notify.concern_handlers(concern)
    text = f"督办：诉求{concern.reference}{label}（截止{due_text}）"
    sent = notify.notify_users(handlers + list(notify.town_leaders(concern)), text=text, concern=concern)
    return True, sent, concern.reference


# --- projects --------------------------------------------------------------------------------

PROJECT_JOIN_STATES = (Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)


def _project_progress(project, stages):
    if project.is_completed:
        return 100
    done = sum(1 for s in stages if s.is_done)
    current = next((s for s in stages if s.kind == project.stage), None)
    share = (current.progress if current and not current.is_done else 0) / 100
    return min(100, int((done + share) * 100 / len(PROJECT_STAGE_ORDER)))


@transaction.atomic
def start_or_join_project(
    concern, *, by, project=None, name="", description="", department=None, on_date=None, now=None
):
    """Attach a concern to a project: a new one (立项, with its eight stages) or an existing one
    that other concerns already share."""
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern) or access.can_handle(by, concern), "没有为此诉求立项的权限")
    _check_state(concern, PROJECT_JOIN_STATES, "立项")
    if not concern.category.may_become_project:
        raise ConcernError(f"“{concern.category.name}”类别的诉求不能立项")
    if concern.project_id is not None:
        raise ConcernError(f"该诉求已属于项目“{concern.project.name}”")
    before = snapshot(concern)
    now = now or timezone.now()
    today = on_date or workdays.local_date(now)
    if project is None:
        name = _clean_text(name, label="项目名称", max_length=100, field="name")
        description = _clean_text(description, label="项目概况", required=False)
        project = Project.objects.create(
            name=name,
            description=description,
            department=department or concern.department,
            town=concern.town,
            created_by=by,
            created_at=now,
        )
        ProjectStage.objects.bulk_create(
            ProjectStage(project=project, kind=kind, order=i + 1, actual_start=today if i == 0 else None)
            for i, kind in enumerate(PROJECT_STAGE_ORDER)
        )
        _audit(project, None, by=by, note=f"由诉求{concern.reference}立项")
        kind, public_text = EventKind.PROJECT_STARTED, f"已立项：{project.name}"
    else:
        project = Project.objects.select_for_update().get(pk=project.pk)
        if project.town_id != concern.town_id:
            raise ConcernError("只能并入本镇的项目", field="project")
        if project.is_completed:
            raise ConcernError(f"项目“{project.name}”已竣工，不能再并入诉求", field="project")
        kind = EventKind.PROJECT_JOINED
        public_text = f"并入项目“{project.name}”（当前阶段：{project.get_stage_display()}）"
    concern.project = project
    concern.save()
    _event(
        concern,
        kind=kind,
        by=by,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        public_text=public_text,
        is_public=True,
        data={"project": project.pk},
    )
    _audit(concern, before, by=by, note=public_text)
    from .deadlines import follow_project_plan  # deadlines builds on this module's helpers

    follow_project_plan(project, by=by, now=now, concerns=[concern])
    notify.tell_residents(concern, f"您的诉求{concern.reference}{public_text[:40]}")
    return project


@transaction.atomic
def advance_project_stage(project, *, by, on_date=None, note="", now=None):
    """Finish the current stage and start the next (the last one completes the project). Every
    open concern of the project gets a public timeline entry."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    _require(access.can_manage_project(by, project), "没有管理此项目的权限")
    if project.is_completed:
        raise TransitionNotAllowed("项目已竣工，不能再推进")
    note = _clean_text(note, label="说明", required=False)
    now = now or timezone.now()
    day = on_date or workdays.local_date(now)
    stages = list(project.stages.select_for_update().order_by("order"))
    current = next(s for s in stages if s.kind == project.stage)
    if current.actual_start and day < current.actual_start:
        raise ConcernError(f"完成日期不能早于本阶段开始日期{current.actual_start:%Y-%m-%d}", field="on_date")
    before = snapshot(project)
    current.actual_end = day
    current.progress = 100
    if note:
        current.note = (current.note + "\n" + note).strip()
    current.save()
    index = PROJECT_STAGE_ORDER.index(ProjectStageKind(project.stage))
    if index + 1 < len(PROJECT_STAGE_ORDER):
        nxt = stages[index + 1]
        nxt.actual_start = day
        nxt.save(update_fields=["actual_start"])
        project.stage = nxt.kind
        text = f"项目“{project.name}”{current.get_kind_display()}完成，进入{nxt.get_kind_display()}阶段。"
    else:
        project.is_completed = True
        text = f"项目“{project.name}”已竣工。"
    project.progress = _project_progress(project, stages)
    project.save()
    _audit(project, before, by=by, note=text)
    for concern in project.concerns.filter(status__in=OPEN_STATUSES + (Status.RESOLVED,)):
        _event(
            concern,
            kind=EventKind.PROJECT_STAGE,
            by=by,
            at=now,
            from_status=concern.status,
            to_status=concern.status,
            public_text=text,
            is_public=True,
            data={"project": project.pk, "stage": project.stage},
        )
    from .deadlines import follow_project_plan

    follow_project_plan(project, by=by, now=now)
    return project


@transaction.atomic
def update_project_stage(stage, *, by, planned_start=None, planned_end=None, progress=None, note=None, now=None):
    """Plan a stage's dates, report the current stage's progress, or annotate it. A new planned
    end moves the deadline of the project's concerns (zhenwu.concerns.deadlines)."""
    stage = ProjectStage.objects.select_for_update().select_related("project").get(pk=stage.pk)
    project = Project.objects.select_for_update().get(pk=stage.project_id)
    _require(access.can_manage_project(by, project), "没有管理此项目的权限")
    if planned_start and planned_end and planned_end < planned_start:
        raise ConcernError("计划完成日期不能早于计划开始日期", field="planned_end")
    before = snapshot(stage)
    if planned_start is not None:
        stage.planned_start = planned_start
    if planned_end is not None:
        stage.planned_end = planned_end
    if progress is not None:
        if stage.kind != project.stage or stage.is_done:
            raise ConcernError("只能填写当前阶段的进度", field="progress")
        if not (0 <= int(progress) <= 100):
            raise ConcernError("进度须在0到100之间", field="progress")
        stage.progress = int(progress)
    if note is not None:
        stage.note = _clean_text(note, label="说明", required=False)
    stage.save()
    project.progress = _project_progress(project, list(project.stages.order_by("order")))
    project.save(update_fields=["progress", "updated_at"])
    _audit(stage, before, by=by, note=f"更新项目阶段：{stage}")
    if planned_end is not None:
        from .deadlines import follow_project_plan

        follow_project_plan(project, by=by, now=now)
    return stage


@transaction.atomic
def add_project_document(stage, *, by, title, file, is_public=True):
    stage = ProjectStage.objects.select_related("project").get(pk=stage.pk)
    _require(access.can_manage_project(by, stage.project), "没有管理此项目的权限")
    title = _clean_text(title, label="附件名称", max_length=100, field="title")
    name = getattr(file, "name", "")
    if not name.lower().endswith(DOCUMENT_EXTENSIONS):
        raise ConcernError("附件须为PDF、图片、Word或Excel文件", field="file")
    try:
        uploads.check_size(file, limit=uploads.max_upload_bytes(), label="附件")
    except uploads.FileLimitExceeded as exc:
        raise ConcernError(exc.message, field="file") from None
    document = ProjectDocument(stage=stage, title=title, is_public=is_public, uploaded_by=by)
    document.file.save(name, file, save=False)
    document.save()
    _audit(document, None, by=by, note=f"上传项目附件：{title}")
    return document


def mark_notifications_read(*, user, ids=None):
    """Mark the user's unread notifications (all, or those in `ids`) read; returns how many.
    Only ever touches the user's own rows, whatever ids are passed."""
    qs = Notification.objects.for_user(user).unread()
    if ids is not None:
        qs = qs.filter(pk__in=[i for i in ids if str(i).isdigit()])
    return qs.update(read_at=timezone.now())


# --- staff pages -----------------------------------------------------------------------------


@transaction.atomic
def sign_for_concern(concern, *, by, now=None):
    """签收: the department takes up a dispatched concern (已派单 → 办理中). It is not the response
    to the resident (响应率 counts the first public update or the resolution), so responded_at is
    left alone; the resident's timeline says the department is on it."""
    concern = _lock(concern)
    _require(access.can_handle(by, concern), "只有承办部门可以签收")
    _check_state(concern, (Status.DISPATCHED,), "签收")
    before = snapshot(concern)
    now = now or timezone.now()
    concern.status = Status.IN_PROGRESS
    concern.save()
    _event(
        concern,
        kind=EventKind.UPDATED,
        by=by,
        at=now,
        from_status=Status.DISPATCHED,
        to_status=Status.IN_PROGRESS,
        department=concern.department,
        public_text=f"{concern.department.name}已签收，正在办理。",
        is_public=True,
        data={"signed": True},
    )
    _audit(concern, before, by=by, note=f"{concern.department.name}签收")
    return concern


REPORTER_FIELDS = {
    "phone": ("reporter_phone", "诉求人电话"),
    "name": ("reporter_name", "诉求人姓名"),
    # The text as written: the numbers and the name in it are masked on every page (redaction).
    "text": ("text", "诉求原文（含号码）"),
}


@transaction.atomic
def reveal_reporter(concern, *, field, by):
    """The reporter's full phone number or name, or the concern's text with the numbers and the
    name in it unmasked, for staff who must contact the resident; each look is written to the
    audit log (REVEAL). Raises ConcernPermissionDenied for anyone else."""
    if field not in REPORTER_FIELDS:
        raise ConcernError("只能查看诉求人电话、姓名或诉求原文", field="field")
    _require(access.can_reveal_reporter(by, concern), "没有查看诉求人联系方式的权限")
    attname, label = REPORTER_FIELDS[field]
    with acting_as(_actor(by)):
        record_reveal(concern, field=label)
    return getattr(concern, attname)
