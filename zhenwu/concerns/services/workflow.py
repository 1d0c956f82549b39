"""The workflow of a concern held by the town: accept, decline, dispatch, 签收, return, update,
resolve, call back, close, reopen, re-categorise, merge duplicates; the reporter's contact revealed
to staff (audited); staff notifications read."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import record_reveal, snapshot
from zhenwu.lib.request_context import acting_as
from zhenwu.org.models import Department
from zhenwu.workdays import calendar as workdays
from zhenwu.workdays.calendar import workday_overrides

from .. import access, notify
from ..models import (
    OPEN_STATUSES,
    RESOLUTION_PHOTO_KINDS,
    VERDICT_RESULTS,
    CallBack,
    CallBackChannel,
    CallBackResult,
    Category,
    Concern,
    ConcernFollower,
    DeadlineExtension,
    EventKind,
    ExtensionStatus,
    FollowerSource,
    Outcome,
    Status,
    Suspension,
)
from .catalogue import category_setting_for, check_category_in_town
from .common import (
    MAX_REASON_LENGTH,
    ConcernError,
    TransitionNotAllowed,
    _actor,
    _audit,
    _check_state,
    _clean_text,
    _close_supervisions,
    _event,
    _label,
    _lock,
    _require,
    _save_photos,
    response_limit_days,
    validate_photos,
)
from .county import dispatch_departments


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
    rules = category_setting_for(concern.category, town_id=concern.town_id)
    if concern.held_at_county:
        # The county centre dispatches to the county's own departments only; the category's
        # default is a town's, so it names one every time.
        if department is None:
            raise ConcernError("请选择县级承办部门", field="department")
        if not isinstance(department, Department) or not department.is_active:
            raise ConcernError("承办部门不存在或已停用", field="department")
        if not dispatch_departments(concern).filter(pk=department.pk).exists():
            raise ConcernError(f"{department.name}不是县直部门，县级受理中心只能派给县直部门", field="department")
    department = department or rules.default_department
    if department is None:
        raise ConcernError("请选择承办部门（该类别没有默认承办部门）", field="department")
    if not isinstance(department, Department) or not department.is_active:
        raise ConcernError("承办部门不存在或已停用", field="department")
    if not concern.held_at_county and concern.town_id is not None and department.town_id != concern.town_id:
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
        now, response_limit_days(rules, concern.urgency), workday_overrides()
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
        notify.dispatchers_for(concern),
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
    rules = category_setting_for(concern.category, town_id=concern.town_id)
    concern.resolution_due = workdays.add_workdays(now, rules.resolution_limit_days, workday_overrides())
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
    """Shared by satisfied call-backs and 联系不上 (callbacks.record_unreachable): resolved → closed."""
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


def reopens_on_unsatisfied(concern):
    """Whether a 不满意 verdict sends the concern back for 重办: while it has been reopened fewer
    than settings.ZHENWU_MAX_REOPENINGS times (12345 practice: 重办 is limited; a resident still
    unsatisfied after it is recorded as such, and the 不满意 counts in 满意率)."""
    return concern.reopen_count < settings.ZHENWU_MAX_REOPENINGS


def unsatisfied_closing_text(reopen_count):
    return f"回访仍不满意。本诉求已重新办理{reopen_count}次，不再退回重办，诉求关闭；如有新情况可再次反映。"


@transaction.atomic
def record_call_back(concern, *, result, solved, channel=CallBackChannel.PHONE, by=None, note="", now=None):
    """回访: the resident's verdict, by phone (a dispatcher records it) or on the follow page
    (by=None; the view checked the private link). 满意/基本满意 close the concern; 不满意 needs its
    reason and reopens it (重办, a fresh deadline from now) and counts a reopening, unless the
    concern was already reopened settings.ZHENWU_MAX_REOPENINGS times: then the 不满意 stands
    and the concern closes (reopens_on_unsatisfied)."""
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
    if result == CallBackResult.UNSATISFIED and reopens_on_unsatisfied(concern):
        _reopen(concern, by=by, now=now, reason=note, kind_label="回访不满意")
        audit_note = "回访不满意，重办"
    elif result == CallBackResult.UNSATISFIED:
        _close(
            concern,
            by=by,
            now=now,
            actor_label=_label(by, default="诉求人"),
            reason=note,
            public_text=unsatisfied_closing_text(concern.reopen_count),
        )
        audit_note = f"回访不满意（已重办{concern.reopen_count}次，不再重办），关闭"
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


def approved_extension_due(concern, *, overrides=None):
    """The resolution deadline the concern's latest approved 延期 granted (end of the requested
    day), moved on by the working days of any suspension since it was approved, as resuming moved
    the deadline then; None without an approved extension."""
    extension = (
        DeadlineExtension.objects.filter(concern=concern, status=ExtensionStatus.APPROVED)
        .order_by("-decided_at", "-id")
        .first()
    )
    if extension is None:
        return None
    since = Suspension.objects.filter(
        concern=concern, started_at__gte=extension.decided_at, ended_at__isnull=False
    ).values_list("workdays", flat=True)
    days = sum(d or 0 for d in since)
    day = extension.requested_date
    if days:
        day = workdays.add_workdays_date(day, days, overrides)
    return workdays.end_of_day(day)


def recategorised_resolution_due(concern, *, category, overrides=None):
    """The rule for the resolution deadline when a concern changes category: the receipt plus the
    new category's working days (and the working days it was suspended), but never earlier than
    what an approved extension granted: the later of the two. Re-categorising corrects the
    classification; it does not take back a decision on the deadline."""
    rules = category_setting_for(category, town_id=concern.town_id)
    recomputed = workdays.add_workdays(
        concern.received_at, rules.resolution_limit_days + concern.suspended_workdays, overrides
    )
    extended = approved_extension_due(concern, overrides=overrides)
    return max(recomputed, extended) if extended is not None else recomputed


@transaction.atomic
def recategorise_concern(concern, *, by, category, reason="", now=None):
    """Change the category: deadlines follow the new limits (the resolution deadline by
    recategorised_resolution_due, so an approved extension stands), and a concern already with a
    department is re-routed to the new category's default department (history kept)."""
    concern = _lock(concern)
    _require(access.can_dispatch(by, concern), "只有民情受理员可以调整类别")
    _check_state(concern, OPEN_STATUSES, "调整类别")
    if category is None or not isinstance(category, Category) or not category.is_active:
        raise ConcernError("请选择诉求类别", field="category")
    if category.pk == concern.category_id:
        raise ConcernError(f"诉求已属于“{category.name}”类别", field="category")
    check_category_in_town(category, town_id=concern.town_id)
    reason = _clean_text(reason, label="调整理由", required=False, max_length=MAX_REASON_LENGTH)
    before = snapshot(concern)
    now = now or timezone.now()
    overrides = workday_overrides()
    old_category, old_department = concern.category, concern.department
    concern.category = category
    if concern.reopen_count == 0 and concern.project_id is None:  # a project's plan sets its own
        concern.resolution_due = recategorised_resolution_due(concern, category=category, overrides=overrides)
    rules = category_setting_for(category, town_id=concern.town_id)
    new_department = rules.default_department
    rerouted = (
        concern.status in (Status.DISPATCHED, Status.IN_PROGRESS)
        and new_department is not None
        and new_department.is_active
        and new_department.pk != concern.department_id
        and new_department.town_id == concern.town_id
        and not concern.held_at_county  # a county department keeps what the county gave it
    )
    from_status = concern.status
    if rerouted:
        concern.department = new_department
        concern.status = Status.DISPATCHED
        concern.dispatched_at = now
        concern.responded_at = None
    clock_start = concern.dispatched_at or concern.received_at
    concern.response_due = workdays.add_workdays(
        clock_start, response_limit_days(rules, concern.urgency), overrides
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
