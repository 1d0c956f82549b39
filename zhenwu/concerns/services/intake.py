"""Intake: a concern comes in (web and phone forms, staff registering a call or a visit, the API,
Open311), the worker's follow-up for new concerns, residents following a concern and adding to it."""

import re
import secrets

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.jobs.services import follow_up_task
from zhenwu.lib.coords import CoordSystem
from zhenwu.lib.crypto import blind_index, hash_token
from zhenwu.lib.masking import mask_numbers
from zhenwu.org.models import AreaLevel
from zhenwu.workdays import calendar as workdays
from zhenwu.workdays.calendar import workday_overrides

from .. import access, notify, signals
from ..models import (
    RESOLUTION_PHOTO_KINDS,
    Category,
    Channel,
    Concern,
    ConcernFollower,
    EventKind,
    FollowerSource,
    Notification,
    PhotoKind,
    Status,
    Urgency,
)
from .catalogue import category_setting_for, check_category_in_town
from .common import (
    ConcernError,
    ConcernPermissionDenied,
    SubmitResult,
    TransitionNotAllowed,
    _actor,
    _audit,
    _clean_text,
    _event,
    _follow_token_for,
    _label,
    _lock,
    _point,
    _require,
    _save_photos,
    _village_and_town,
    clean_reporter_phone,
    next_reference,
    response_limit_days,
    validate_photos,
)


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
    coord_system=CoordSystem.WGS84,
    address="",
    photos=(),
    idempotency_key=None,
    received_at=None,
):
    """Register a concern from any channel; returns SubmitResult(concern, follow_token, created).

    The point (`latitude`, `longitude`) may come in WGS-84, GCJ-02 or BD-09 (`coord_system`); it
    is stored converted to WGS-84, with the system it came in.

    A resident (by=None) submits through the web form; staff register calls, walk-ins, visits and
    tea-room meetings for residents. With an `idempotency_key` (the form's one-time key) a repeated
    submission returns the first concern and the same follow token instead of a second concern:
    the key's unique constraint refuses the second row (no look-up first; repeats are rare).

    The request writes the concern, its reference number, its submitted event and its audit entry
    in one transaction, marked `intake_pending`; the worker then notifies the town's dispatchers
    and announces the batch to the apps above (complete_pending_intakes). Everything that only
    reads or computes (checking the input and the photos, the place, the deadlines, the tokens)
    runs before that transaction: on SQLite it starts with BEGIN IMMEDIATE, and other writers wait
    for as long as it lasts.
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
    reporter_phone = clean_reporter_phone(reporter_phone)
    latitude, longitude, coord_system = _point(latitude, longitude, coord_system)
    address = _clean_text(address, label="地点", required=False, max_length=200, field="address")
    checked_photos = validate_photos(photos)

    now = received_at or timezone.now()
    village_id, town_id = _village_and_town(area)
    check_category_in_town(category, town_id=town_id)
    rules = category_setting_for(category, town_id=town_id)
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
        coord_system=coord_system,
        address=address,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_phone_hash=blind_index(reporter_phone, purpose="concern_phone"),
        registered_by=by,
        # Registered by the county centre (a 12345 call taken at the county): the county holds
        # it, and dispatches it to a county department or hands it down (下派) to the town.
        held_at_county=by is not None and access.works_at_county(by),
        follow_token_hash=hash_token(token),
        idempotency_key=idempotency_key,
        status=Status.RECEIVED,
        intake_pending=True,
        received_at=now,
        received_month=workdays.local_date(now).replace(day=1),
        response_due=workdays.add_workdays(now, response_limit_days(rules, urgency), overrides),
        resolution_due=workdays.add_workdays(now, rules.resolution_limit_days, overrides),
    )
    with transaction.atomic():
        return _store_submission(concern, token, checked_photos, by=by, now=now,
                                 idempotency_key=idempotency_key, reporter_phone=reporter_phone)


def _store_submission(concern, token, checked_photos, *, by, now, idempotency_key, reporter_phone):
    """submit_concern's writes, inside its transaction."""
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
    meanwhile is left out. Returns how many concerns were done. The town's own dispatchers are
    told, the county's only when the town has none (the county centre sees every town's inbox and
    is not paged for each town's new concern); a concern the county centre registered, and so
    holds, is announced to the county's dispatchers."""
    if not Concern.objects.filter(intake_pending=True).exists():
        return 0  # the idle pass reads the partial index and takes no write lock
    candidates = list(
        Concern.objects.filter(intake_pending=True)
        .select_related("category", "town", "registered_by")
        .order_by("id")[:limit]
    )
    dispatchers = {}
    for concern in candidates:
        holder = (concern.town_id, concern.held_at_county)
        if holder not in dispatchers:
            dispatchers[holder] = list(
                notify.county_dispatchers(concern) if concern.held_at_county else notify.own_town_dispatchers(concern)
            )
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
        for user in dispatchers[(concern.town_id, concern.held_at_county)]:
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
    phone = clean_reporter_phone(phone)
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
