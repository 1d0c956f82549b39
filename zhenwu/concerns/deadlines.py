"""Moving a concern's deadlines: 延期 (extension), 挂起 (suspension) and a project's plan.

- 延期: the department holding the concern asks, before its resolution deadline passes, to move
  it to a later working day (reason and date); a dispatcher, leader or town admin other than the
  requester approves (the deadline moves) or refuses (with a note). One request pending at a time.
- 挂起: a dispatcher, leader or town admin suspends a dispatched or in-progress concern that waits
  on something outside the town's hands (reason, expected resume date). While suspended
  (status 已挂起) its clock stops: it is never overdue, escalated or counted as due for a response.
  On resuming it returns to its earlier state and its deadlines move by the working days it was
  suspended, workdays_between(suspended, resumed) (zhenwu.workdays.calendar: the day of suspending
  counts as worked, the day of resuming does not); those days are also left out of the working
  days to resolve (Concern.suspended_workdays).
- A concern joined to a project takes its resolution deadline from the project's plan: the end
  of the planned end date of the project's current stage (or of the first later stage with a
  planned end). A project on schedule therefore never makes its concerns overdue, and one whose
  current stage is late does. The deadline follows the plan when a concern joins, a stage is
  finished or a stage's planned dates change (follow_project_plan).

Every change is one transaction with a ConcernEvent and an audit entry, as in services.py, whose
helpers this module shares.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import snapshot
from zhenwu.workdays import calendar as workdays
from zhenwu.workdays.calendar import workday_overrides

from . import access, notify
from .models import (
    CLOCK_STATUSES,
    PROJECT_STAGE_ORDER,
    Concern,
    DeadlineExtension,
    EventKind,
    ExtensionStatus,
    Project,
    Status,
    Suspension,
)
from .services.common import (
    MAX_REASON_LENGTH,
    ConcernError,
    ConcernPermissionDenied,
    TransitionNotAllowed,
    _audit,
    _check_state,
    _clean_text,
    _event,
    _label,
    _lock,
    _require,
)

EXTENSION_STATES = (Status.DISPATCHED, Status.IN_PROGRESS)
SUSPEND_STATES = (Status.DISPATCHED, Status.IN_PROGRESS)
# No extension further than this many working days past the current deadline: longer waits are
# a suspension (挂起) or a project.
MAX_EXTENSION_WORKDAYS = 30


def _day(value):
    day = workdays.local_date(value)
    return f"{day.year}年{day.month}月{day.day}日"


def pending_extension(concern):
    return DeadlineExtension.objects.filter(concern=concern, status=ExtensionStatus.PENDING).first()


def extension_refusal(user, concern, *, now=None):
    """Why `user` may not ask to extend `concern` now, or None when they may (the page offers the
    action exactly when this is None; the service raises the same message)."""
    if not access.can_handle(user, concern):
        return "只有承办部门可以申请延期"
    if concern.status not in EXTENSION_STATES:
        return f"当前状态为{concern.get_status_display()}，不能申请延期"
    if concern.project_id is not None:
        return "并入项目的诉求按项目计划确定办结期限，不能申请延期"
    if concern.resolution_due < (now or timezone.now()):
        return "已超过办结期限，不能再申请延期（延期须在期限内申请）"
    if DeadlineExtension.objects.filter(concern=concern, status=ExtensionStatus.PENDING).exists():
        return "已有待审批的延期申请"
    return None


def decision_refusal(user, concern, extension):
    """Why `user` may not decide `extension` (the pending one of `concern`, or None), or None."""
    if not access.can_decide_extension(user, concern):
        return "只有民情受理员或镇领导可以审批延期"
    if concern.status not in EXTENSION_STATES:
        return f"当前状态为{concern.get_status_display()}，不能审批延期"
    if extension is None:
        return "没有待审批的延期申请"
    if extension.requested_by_id == user.pk:
        return "不能审批本人提出的延期申请"
    return None


@transaction.atomic
def request_extension(concern, *, by, reason, new_date, now=None):
    """延期申请 by the department: `new_date` is a working day after the current deadline and at
    most MAX_EXTENSION_WORKDAYS working days past it. The town's dispatchers and leaders are told."""
    concern = _lock(concern)
    now = now or timezone.now()
    refusal = extension_refusal(by, concern, now=now)
    if refusal:
        _require(access.can_handle(by, concern), refusal)
        raise TransitionNotAllowed(refusal)  # the concern's state or deadline refuses it
    reason = _clean_text(reason, label="延期理由", max_length=MAX_REASON_LENGTH, field="reason")
    if not isinstance(new_date, datetime.date) or isinstance(new_date, datetime.datetime):
        raise ConcernError("请选择延至日期", field="new_date")
    overrides = workday_overrides()
    current = workdays.local_date(concern.resolution_due)
    if new_date <= current:
        raise ConcernError(f"延至日期须晚于现办结期限{_day(concern.resolution_due)}", field="new_date")
    if not workdays.is_workday(new_date, overrides):
        suggestion = workdays.next_workday(new_date, overrides)
        raise ConcernError(f"{_day(new_date)}不是工作日，可选{_day(suggestion)}", field="new_date")
    extra = workdays.workdays_between(current, new_date, overrides)
    if extra > MAX_EXTENSION_WORKDAYS:
        raise ConcernError(
            f"延期不能超过{MAX_EXTENSION_WORKDAYS}个工作日（现为{extra}个），需长期等待的请申请挂起",
            field="new_date",
        )
    extension = DeadlineExtension.objects.create(
        concern=concern,
        reason=reason,
        requested_date=new_date,
        previous_due=concern.resolution_due,
        requested_by=by,
        requested_at=now,
    )
    _event(
        concern,
        kind=EventKind.EXTENSION_REQUESTED,
        by=by,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        department=concern.department,
        reason=reason,
        data={"extension": extension.pk, "requested_date": new_date.isoformat(), "workdays": extra},
    )
    _audit(extension, None, by=by, note=f"申请延期至{_day(new_date)}：{reason}")
    notify.notify_users(
        list(notify.dispatchers_for(concern)) + list(notify.town_leaders(concern)),
        text=f"延期申请：诉求{concern.reference}申请延至{new_date:%m月%d日}（{reason[:40]}）",
        concern=concern,
        exclude=by,
    )
    return extension


@transaction.atomic
def decide_extension(concern, *, by, approve, note="", now=None):
    """Approve (the resolution deadline moves to the end of the requested day) or refuse (a note
    is required) the concern's pending extension request; its handlers are told."""
    concern = _lock(concern)
    extension = (
        DeadlineExtension.objects.select_for_update()
        .filter(concern=concern, status=ExtensionStatus.PENDING)
        .first()
    )
    refusal = decision_refusal(by, concern, extension)
    if refusal:
        _require(access.can_decide_extension(by, concern), refusal)
        if extension is not None and extension.requested_by_id == by.pk:
            raise ConcernPermissionDenied(refusal)
        raise TransitionNotAllowed(refusal)
    note = _clean_text(note, label="审批意见", required=not approve, max_length=300, field="note")
    now = now or timezone.now()
    before_extension = snapshot(extension)
    extension.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    extension.decided_by = by
    extension.decided_at = now
    extension.decision_note = note
    extension.save()
    _audit(extension, before_extension, by=by, note=f"延期申请{extension.get_status_display()}")
    if approve:
        before = snapshot(concern)
        old_due = concern.resolution_due
        concern.resolution_due = workdays.end_of_day(extension.requested_date)
        concern.save()
        text = f"经审批，办结期限由{_day(old_due)}延至{_day(concern.resolution_due)}。"
        _event(
            concern,
            kind=EventKind.EXTENDED,
            by=by,
            at=now,
            from_status=concern.status,
            to_status=concern.status,
            reason=extension.reason,
            internal_note=note,
            public_text=text,
            is_public=True,
            data={
                "extension": extension.pk,
                "from": old_due.isoformat(),
                "to": concern.resolution_due.isoformat(),
            },
        )
        _audit(concern, before, by=by, note=f"延期：{text}")
        message = f"诉求{concern.reference}延期已批准，办结期限{extension.requested_date:%m月%d日}"
        notify.tell_residents(concern, f"您的诉求{concern.reference}{text}")
    else:
        _event(
            concern,
            kind=EventKind.EXTENSION_REFUSED,
            by=by,
            at=now,
            from_status=concern.status,
            to_status=concern.status,
            internal_note=note,
            data={"extension": extension.pk},
        )
        message = f"诉求{concern.reference}延期未批准：{note[:60]}"
    notify.notify_users(notify.concern_handlers(concern), text=message, concern=concern, exclude=by)
    return extension


@transaction.atomic
def suspend_concern(concern, *, by, reason, expected_resume, now=None):
    """挂起: stop the concern's clock until it is resumed (reason and expected resume date)."""
    concern = _lock(concern)
    _require(access.can_suspend(by, concern), "只有民情受理员或镇领导可以挂起诉求")
    _check_state(concern, SUSPEND_STATES, "挂起")
    reason = _clean_text(reason, label="挂起理由", max_length=MAX_REASON_LENGTH, field="reason")
    now = now or timezone.now()
    if not isinstance(expected_resume, datetime.date) or isinstance(expected_resume, datetime.datetime):
        raise ConcernError("请选择预计恢复日期", field="expected_resume")
    if expected_resume <= workdays.local_date(now):
        raise ConcernError("预计恢复日期须晚于今天", field="expected_resume")
    before = snapshot(concern)
    suspension = Suspension.objects.create(
        concern=concern,
        reason=reason,
        expected_resume=expected_resume,
        from_status=concern.status,
        started_at=now,
        started_by=by,
    )
    from_status = concern.status
    concern.status = Status.SUSPENDED
    concern.save()
    text = f"诉求暂时挂起，预计{_day(expected_resume)}恢复办理，挂起期间不计入办理时限。"
    _event(
        concern,
        kind=EventKind.SUSPENDED,
        by=by,
        at=now,
        from_status=from_status,
        to_status=Status.SUSPENDED,
        reason=reason,
        public_text=text,
        is_public=True,
        data={"suspension": suspension.pk, "expected_resume": expected_resume.isoformat()},
    )
    _audit(concern, before, by=by, note=f"挂起：{reason}")
    notify.notify_users(
        notify.concern_handlers(concern),
        text=f"诉求{concern.reference}已挂起：{reason[:60]}",
        concern=concern,
    )
    notify.tell_residents(concern, f"您的诉求{concern.reference}{text}")
    return suspension


@transaction.atomic
def resume_concern(concern, *, by, note="", now=None):
    """Resume a suspended concern: back to its earlier state, deadlines moved by the working days
    it was suspended (a project's concern follows its project's plan instead)."""
    concern = _lock(concern)
    _require(access.can_suspend(by, concern), "只有民情受理员或镇领导可以恢复办理")
    _check_state(concern, (Status.SUSPENDED,), "恢复办理")
    note = _clean_text(note, label="说明", required=False, max_length=MAX_REASON_LENGTH, field="note")
    now = now or timezone.now()
    suspension = Suspension.objects.select_for_update().get(concern=concern, ended_at__isnull=True)
    overrides = workday_overrides()
    days = max(0, workdays.workdays_between(suspension.started_at, now, overrides))
    before = snapshot(concern)
    concern.status = suspension.from_status
    concern.suspended_workdays += days
    if concern.responded_at is None:
        concern.response_due = _shift(concern.response_due, days, overrides)
    plan_due = _plan_due_for(concern)
    if plan_due is not None:
        concern.resolution_due = plan_due
    else:
        concern.resolution_due = _shift(concern.resolution_due, days, overrides)
    concern.save()
    suspension.ended_at = now
    suspension.ended_by = by
    suspension.workdays = days
    suspension.save()
    text = f"恢复办理，挂起{days}个工作日，办结期限为{_day(concern.resolution_due)}。"
    _event(
        concern,
        kind=EventKind.RESUMED,
        by=by,
        at=now,
        from_status=Status.SUSPENDED,
        to_status=concern.status,
        internal_note=note,
        public_text=text,
        is_public=True,
        data={"suspension": suspension.pk, "workdays": days},
    )
    _audit(concern, before, by=by, note=text)
    notify.notify_users(
        notify.concern_handlers(concern), text=f"诉求{concern.reference}{text}", concern=concern
    )
    notify.tell_residents(concern, f"您的诉求{concern.reference}已{text}")
    return concern


def _shift(due, days, overrides):
    """`due` moved by `days` working days (end of the day), or unchanged for none."""
    if days <= 0:
        return due
    return workdays.end_of_day(workdays.add_workdays_date(due, days, overrides))


# --- a project's plan ----------------------------------------------------------------------------


def project_plan_date(project, stages):
    """The planned end date that the project's concerns must meet: that of its current stage, or,
    when the current stage has none, of the first later stage that has one; None without a plan
    or once the project is completed (its concerns are then resolved in the ordinary way)."""
    if project.is_completed:
        return None
    order = {kind: i for i, kind in enumerate(PROJECT_STAGE_ORDER)}
    current = order.get(project.stage, 0)
    for stage in sorted(stages, key=lambda s: order.get(s.kind, 0)):
        if order.get(stage.kind, 0) >= current and stage.planned_end is not None:
            return stage.planned_end
    return None


def _plan_due_for(concern):
    if concern.project_id is None:
        return None
    project = Project.objects.get(pk=concern.project_id)
    day = project_plan_date(project, list(project.stages.all()))
    return workdays.end_of_day(day) if day else None


def follow_project_plan(project, *, by, now=None, concerns=None):
    """Set the resolution deadline of the project's running concerns (or of `concerns`) to the
    plan's date, recording each change; called inside the services that join a concern to a
    project or change its stages. Returns how many deadlines moved."""
    now = now or timezone.now()
    stages = list(project.stages.all())
    day = project_plan_date(project, stages)
    if day is None:
        return 0
    due = workdays.end_of_day(day)
    stage = dict((s.kind, s) for s in stages).get(project.stage)
    stage_label = stage.get_kind_display() if stage else ""
    if concerns is None:
        concerns = Concern.objects.select_for_update(of=("self",)).filter(
            project=project, status__in=CLOCK_STATUSES
        )
    moved = 0
    for concern in concerns:
        if concern.status not in CLOCK_STATUSES or concern.resolution_due == due:
            continue
        before = snapshot(concern)
        old_due = concern.resolution_due
        concern.resolution_due = due
        concern.save()
        text = f"按项目计划（当前阶段：{stage_label}），办结期限为{_day(due)}。"
        _event(
            concern,
            kind=EventKind.PROJECT_DEADLINE,
            by=by,
            at=now,
            actor_label=_label(by),
            from_status=concern.status,
            to_status=concern.status,
            public_text=text,
            is_public=True,
            data={
                "project": project.pk,
                "stage": project.stage,
                "from": old_due.isoformat(),
                "to": due.isoformat(),
            },
        )
        _audit(concern, before, by=by, note=text)
        moved += 1
    return moved


# --- reads ---------------------------------------------------------------------------------------


def pending_extensions_for(user):
    """The pending extension requests `user` may decide (in their scope, not their own), oldest
    first, with their concerns."""
    if not access.may_decide_extensions(user):
        return DeadlineExtension.objects.none()
    return (
        DeadlineExtension.objects.filter(
            status=ExtensionStatus.PENDING,
            concern__in=Concern.objects.visible_to(user).held_by_level_of(user).filter(status__in=EXTENSION_STATES),
        )
        .exclude(requested_by=user)
        .select_related("concern", "concern__department", "concern__category", "requested_by")
        .order_by("requested_at", "id")
    )
