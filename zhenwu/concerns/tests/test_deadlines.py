"""延期, 挂起 and a project's plan (zhenwu.concerns.deadlines), through the services, with the
deadlines and the rates worked out by hand on the March 2026 calendar (no holidays: Monday 2 to
Friday 6, Monday 9 to Friday 13 are working days)."""

import datetime
from decimal import Decimal

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import access, deadlines, services
from zhenwu.concerns.models import (
    Concern,
    ConcernEvent,
    DeadlineExtension,
    EventKind,
    ExtensionStatus,
    Outcome,
    Status,
    Supervision,
    Suspension,
)
from zhenwu.concerns.rates import concern_rates
from zhenwu.workdays import calendar as workdays

from .conftest import local

D = datetime.date
RECEIVED = local(2026, 3, 2, 10, 0)  # Monday
DISPATCHED = local(2026, 3, 2, 11, 0)


def end(*args):
    return workdays.end_of_day(D(*args))


def fresh(concern):
    return Concern.objects.get(pk=concern.pk)


@pytest.fixture
def dispatched(submit, world):
    """A road concern (response 1, resolution 5 working days) received Monday 2 March at 10:00 and
    dispatched to 城建办 at 11:00: response due Tuesday 3, resolution due Monday 9."""

    def _make():
        concern = submit(received_at=RECEIVED).concern
        concern = services.dispatch_concern(concern, by=world.users.dispatcher, now=DISPATCHED)
        assert concern.response_due == end(2026, 3, 3)
        assert concern.resolution_due == end(2026, 3, 9)
        return concern

    return _make


def kinds(concern):
    return list(ConcernEvent.objects.filter(concern=concern).values_list("kind", flat=True))


# --- 延期 -----------------------------------------------------------------------------------------


def test_an_approved_extension_moves_the_resolution_deadline_with_history_and_audit(dispatched, world):
    concern = dispatched()
    u = world.users
    extension = deadlines.request_extension(
        concern,
        by=u.handler,
        reason="需等待电力公司迁改线杆",
        new_date=D(2026, 3, 13),
        now=local(2026, 3, 4, 9),
    )
    assert extension.status == ExtensionStatus.PENDING
    assert list(deadlines.pending_extensions_for(u.dispatcher)) == [extension]
    assert "decide_extension" in access.allowed_actions(u.dispatcher, fresh(concern))
    assert "extend" not in access.allowed_actions(u.handler, fresh(concern))  # one pending at a time

    deadlines.decide_extension(concern, by=u.dispatcher, approve=True, note="同意", now=local(2026, 3, 5, 9))
    concern = fresh(concern)
    assert concern.resolution_due == end(2026, 3, 13)
    assert not concern.is_overdue(local(2026, 3, 10, 12))
    assert not Concern.objects.overdue(local(2026, 3, 10, 12)).filter(pk=concern.pk).exists()
    assert Concern.objects.overdue(local(2026, 3, 14, 0, 1)).filter(pk=concern.pk).exists()
    assert EventKind.EXTENSION_REQUESTED in kinds(concern) and EventKind.EXTENDED in kinds(concern)
    extended = ConcernEvent.objects.get(concern=concern, kind=EventKind.EXTENDED)
    assert extended.is_public and "2026年3月13日" in extended.public_text
    assert AuditEntry.objects.filter(object_id=str(concern.pk), note__contains="延期").exists()
    assert list(deadlines.pending_extensions_for(u.dispatcher)) == []


def test_a_refusal_needs_a_note_and_leaves_the_deadline(dispatched, world):
    concern = dispatched()
    u = world.users
    deadlines.request_extension(
        concern, by=u.handler, reason="人手不足", new_date=D(2026, 3, 11), now=local(2026, 3, 3, 9)
    )
    with pytest.raises(services.ConcernError, match="审批意见"):
        deadlines.decide_extension(concern, by=u.leader, approve=False, note="")
    deadlines.decide_extension(concern, by=u.leader, approve=False, note="人手不足不是延期理由")
    assert fresh(concern).resolution_due == end(2026, 3, 9)
    assert DeadlineExtension.objects.get(concern=concern).status == ExtensionStatus.REFUSED
    assert EventKind.EXTENSION_REFUSED in kinds(concern)


def test_extensions_are_asked_before_the_deadline_for_a_later_working_day(dispatched, world):
    concern = dispatched()
    handler = world.users.handler
    with pytest.raises(services.ConcernError, match="2026年3月14日不是工作日，可选2026年3月16日"):
        deadlines.request_extension(
            concern, by=handler, reason="理由", new_date=D(2026, 3, 14), now=local(2026, 3, 4, 9)
        )
    with pytest.raises(services.ConcernError, match="须晚于现办结期限"):
        deadlines.request_extension(
            concern, by=handler, reason="理由", new_date=D(2026, 3, 9), now=local(2026, 3, 4, 9)
        )
    with pytest.raises(services.ConcernError, match="已超过办结期限"):
        deadlines.request_extension(
            concern, by=handler, reason="理由", new_date=D(2026, 3, 20), now=local(2026, 3, 10, 9)
        )
    assert deadlines.extension_refusal(handler, fresh(concern), now=local(2026, 3, 10, 9)) is not None


def test_nobody_approves_their_own_request_and_handlers_do_not_approve(dispatched, world):
    concern = dispatched()
    u = world.users
    deadlines.request_extension(
        concern, by=u.town_admin, reason="理由", new_date=D(2026, 3, 11), now=local(2026, 3, 3)
    )
    assert "decide_extension" not in access.allowed_actions(u.town_admin, fresh(concern))
    with pytest.raises(services.ConcernError, match="本人"):
        deadlines.decide_extension(concern, by=u.town_admin, approve=True)
    with pytest.raises(services.ConcernPermissionDenied):
        deadlines.decide_extension(concern, by=u.handler, approve=True)


# --- 挂起 -----------------------------------------------------------------------------------------


def test_a_suspended_concern_is_never_overdue_and_its_deadlines_shift_on_resume(dispatched, world):
    concern = dispatched()
    u = world.users
    deadlines.suspend_concern(
        concern,
        by=u.dispatcher,
        reason="等待法院判决",
        expected_resume=D(2026, 3, 20),
        now=local(2026, 3, 3, 9),
    )
    concern = fresh(concern)
    assert concern.status == Status.SUSPENDED and concern.is_open
    later = local(2026, 3, 16, 12)  # both original deadlines long past
    assert not concern.is_overdue(later) and not concern.is_response_overdue(later)
    assert not Concern.objects.overdue(later).filter(pk=concern.pk).exists()
    report = services.escalate_overdue_concerns(now=later)
    assert concern.reference not in report.references
    assert not Supervision.objects.filter(concern=concern).exists()
    assert "resolve" not in access.allowed_actions(u.handler, concern)
    with pytest.raises(services.TransitionNotAllowed):
        services.resolve_concern(concern, by=u.handler, outcome=Outcome.FIXED, text="已办")

    # Suspended Tuesday 3, resumed Friday 6: 4, 5, 6 March are three working days.
    deadlines.resume_concern(concern, by=u.leader, now=local(2026, 3, 6, 10))
    concern = fresh(concern)
    assert concern.status == Status.DISPATCHED
    assert concern.response_due == end(2026, 3, 6)
    assert concern.resolution_due == end(2026, 3, 12)
    assert concern.suspended_workdays == 3
    assert Suspension.objects.get(concern=concern).workdays == 3
    assert Concern.objects.overdue(local(2026, 3, 13, 0, 1)).filter(pk=concern.pk).exists()
    assert [k for k in kinds(concern) if k in (EventKind.SUSPENDED, EventKind.RESUMED)] == [
        EventKind.SUSPENDED,
        EventKind.RESUMED,
    ]


def test_handlers_may_not_stop_their_own_clock(dispatched, world):
    concern = dispatched()
    assert "suspend" not in access.allowed_actions(world.users.handler, concern)
    with pytest.raises(services.ConcernPermissionDenied):
        deadlines.suspend_concern(
            concern, by=world.users.handler, reason="等待", expected_resume=D(2099, 1, 1)
        )


def test_suspended_working_days_do_not_count_in_the_time_to_resolve(dispatched, world):
    concern = dispatched()
    u = world.users
    deadlines.suspend_concern(
        concern,
        by=u.dispatcher,
        reason="等待汛期结束",
        expected_resume=D(2026, 3, 6),
        now=local(2026, 3, 3, 9),
    )
    deadlines.resume_concern(concern, by=u.dispatcher, now=local(2026, 3, 6, 10))
    services.resolve_concern(
        concern, by=u.handler, outcome=Outcome.FIXED, text="已修复", now=local(2026, 3, 12, 15)
    )
    # 3 to 12 March: eight working days, three of them suspended.
    assert fresh(concern).resolution_workdays == 5


# --- the rates over extensions and suspensions --------------------------------------------------


def test_rates_by_hand_over_an_extension_and_suspensions(dispatched, world):
    """A: suspended before its response deadline and still suspended: not due for a response.
    B: suspended Tuesday 3 to Friday 6, so its response is due Friday 6; responded at 11:00 (in
    time), resolved Thursday 12 (8 working days less 3 suspended = 5).
    C: responded Wednesday 4 (late: due Tuesday 3); extended to Friday 13 and resolved that day
    (9 working days). 响应率 = 1 in time / 2 due = 50.0%; median of 5 and 9 = 7."""
    u = world.users
    a, b, c = dispatched(), dispatched(), dispatched()
    for concern in (a, b):
        deadlines.suspend_concern(
            concern,
            by=u.dispatcher,
            reason="等待判决",
            expected_resume=D(2026, 4, 1),
            now=local(2026, 3, 3, 9),
        )
    deadlines.resume_concern(b, by=u.dispatcher, now=local(2026, 3, 6, 10))
    services.post_update(b, by=u.handler, text="已联系", public=True, now=local(2026, 3, 6, 11))
    services.resolve_concern(
        b, by=u.handler, outcome=Outcome.FIXED, text="已修复", now=local(2026, 3, 12, 15)
    )
    services.post_update(c, by=u.handler, text="已联系", public=True, now=local(2026, 3, 4, 10))
    deadlines.request_extension(
        c, by=u.handler, reason="迁改线杆", new_date=D(2026, 3, 13), now=local(2026, 3, 4, 11)
    )
    deadlines.decide_extension(c, by=u.dispatcher, approve=True, now=local(2026, 3, 5, 9))
    services.resolve_concern(
        c, by=u.handler, outcome=Outcome.FIXED, text="已修复", now=local(2026, 3, 13, 10)
    )

    (row,) = concern_rates(now=local(2026, 3, 16, 12))
    assert (row.received, row.due_for_response, row.responded_in_time, row.resolved) == (3, 2, 1, 2)
    assert row.response_rate == Decimal("50.0")
    assert row.median_workdays == Decimal("7")
    # The same counted independently from the rows.
    now = local(2026, 3, 16, 12)
    rows = list(Concern.objects.all())
    due = [
        x
        for x in rows
        if x.responded_at is not None or (x.response_due < now and x.status != Status.SUSPENDED)
    ]
    assert len(due) == row.due_for_response
    assert sum(1 for x in due if x.responded_at and x.responded_at <= x.response_due) == row.responded_in_time


# --- a project's plan -----------------------------------------------------------------------------


def test_a_project_concern_follows_the_plan_and_is_overdue_only_when_the_project_is_late(dispatched, world):
    concern = dispatched()
    handler = world.users.handler
    project = services.start_or_join_project(concern, by=handler, name="岸山路拉通", now=local(2026, 3, 3, 9))
    stages = {s.kind: s for s in project.stages.all()}
    services.update_project_stage(stages["initiation"], by=handler, planned_end=D(2026, 4, 30))
    services.update_project_stage(stages["design_review"], by=handler, planned_end=D(2026, 6, 30))
    concern = fresh(concern)
    assert concern.resolution_due == end(2026, 4, 30)  # the current stage's planned end
    assert not concern.is_overdue(local(2026, 4, 20, 12))  # long after the category's 5 days
    assert concern.is_overdue(local(2026, 5, 6, 12))  # 立项 late: the project is behind schedule
    services.advance_project_stage(project, by=handler, on_date=D(2026, 4, 28), now=local(2026, 4, 28, 16))
    concern = fresh(concern)
    assert concern.resolution_due == end(2026, 6, 30)
    assert not concern.is_overdue(local(2026, 5, 6, 12))
    assert EventKind.PROJECT_DEADLINE in kinds(concern)
    assert "extend" not in access.allowed_actions(handler, concern)  # the plan sets the deadline


# --- re-categorising keeps an approved extension ---------------------------------------------------


def test_recategorising_keeps_an_approved_extension_the_later_of_the_two_deadlines(dispatched, world):
    u = world.users
    concern = dispatched()  # road, 5 working days: due Monday 9
    deadlines.request_extension(concern, by=u.handler, reason="等待线杆迁改", new_date=D(2026, 3, 13),
                                now=local(2026, 3, 4, 9))
    deadlines.decide_extension(concern, by=u.dispatcher, approve=True, now=local(2026, 3, 5, 9))
    # 路灯照明 allows 3 working days (Thursday 5): the approved Friday 13 stands.
    assert services.recategorised_resolution_due(fresh(concern), category=world.lamp) == end(2026, 3, 13)
    services.recategorise_concern(concern, by=u.dispatcher, category=world.lamp, now=local(2026, 3, 5, 10))
    assert fresh(concern).resolution_due == end(2026, 3, 13)
    # 环境卫生 allows 10 working days (Monday 16), later than the extension: the new limit applies.
    services.recategorise_concern(concern, by=u.dispatcher, category=world.sanitation, now=local(2026, 3, 5, 11))
    assert fresh(concern).resolution_due == end(2026, 3, 16)


def test_an_extension_moved_on_by_a_later_suspension_survives_recategorising(dispatched, world):
    u = world.users
    concern = dispatched()
    deadlines.request_extension(concern, by=u.handler, reason="等待线杆迁改", new_date=D(2026, 3, 13),
                                now=local(2026, 3, 4, 9))
    deadlines.decide_extension(concern, by=u.dispatcher, approve=True, now=local(2026, 3, 5, 9))
    deadlines.suspend_concern(concern, by=u.dispatcher, reason="等待法院判决", expected_resume=D(2026, 3, 20),
                              now=local(2026, 3, 9, 9))
    deadlines.resume_concern(concern, by=u.dispatcher, now=local(2026, 3, 11, 9))
    # Suspended Monday 9 to Wednesday 11: 2 working days (10, 11); Friday 13 became Tuesday 17.
    assert fresh(concern).resolution_due == end(2026, 3, 17)
    # 路灯照明: receipt + 3 + 2 suspended = Wednesday 11, earlier than Tuesday 17, which stands.
    services.recategorise_concern(concern, by=u.dispatcher, category=world.lamp, now=local(2026, 3, 11, 10))
    assert fresh(concern).resolution_due == end(2026, 3, 17)


def test_without_an_approved_extension_recategorising_recomputes_the_deadline(dispatched, world):
    u = world.users
    concern = dispatched()
    deadlines.request_extension(concern, by=u.handler, reason="等待", new_date=D(2026, 3, 13), now=local(2026, 3, 4, 9))
    deadlines.decide_extension(concern, by=u.dispatcher, approve=False, note="按期办结", now=local(2026, 3, 4, 10))
    services.recategorise_concern(concern, by=u.dispatcher, category=world.lamp, now=local(2026, 3, 4, 11))
    assert fresh(concern).resolution_due == end(2026, 3, 5)
