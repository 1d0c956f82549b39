"""Overdue concerns are escalated to 督办 once per missed deadline, and the right people are told."""

from io import StringIO

import pytest
from django.core.management import call_command

from zhenwu.accounts.models import Role, User
from zhenwu.concerns import services
from zhenwu.concerns.models import ConcernEvent, Notification, Outcome, Supervision
from zhenwu.concerns.services import ConcernPermissionDenied, TransitionNotAllowed
from zhenwu.org.models import Area, AreaLevel

from .conftest import local


@pytest.fixture
def late(submit, world, time_machine):
    """Received and dispatched on Monday 28 September: response due 29 Sep, resolution due
    10 Oct (29, 30 Sep, 8, 9 Oct and the 调休 Saturday 10 Oct)."""
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    concern = submit().concern
    return services.dispatch_concern(concern, by=world.users.dispatcher)


def test_a_missed_response_deadline_is_escalated_once(late, world, time_machine):
    time_machine.move_to(local(2026, 9, 29, 23, 0), tick=False)
    assert services.escalate_overdue_concerns().supervisions == 0
    time_machine.move_to(local(2026, 9, 30, 8, 0), tick=False)
    report = services.escalate_overdue_concerns()
    assert report.supervisions == 1 and report.references == [late.reference]
    supervision = Supervision.objects.get()
    assert supervision.kind == "overdue_response" and supervision.due_at == late.response_due
    late.refresh_from_db()
    assert late.is_supervised
    recipients = set(
        Notification.objects.filter(text__startswith="督办").values_list("recipient__username", flat=True)
    )
    assert recipients == {"handler1", "leader1"}
    event = ConcernEvent.objects.get(concern=late, kind="supervised")
    assert "超期未响应" in event.internal_note and not event.is_public

    assert services.escalate_overdue_concerns().supervisions == 0
    assert Supervision.objects.count() == 1


def test_a_missed_resolution_deadline_is_escalated_separately(late, world, time_machine):
    services.post_update(late, by=world.users.handler, text="已联系", public=True)
    time_machine.move_to(local(2026, 10, 10, 23, 59), tick=False)
    assert services.escalate_overdue_concerns().supervisions == 0
    time_machine.move_to(local(2026, 10, 11, 0, 1), tick=False)
    assert services.escalate_overdue_concerns().supervisions == 1
    assert Supervision.objects.get().kind == "overdue_resolution"


def test_a_reopened_concern_is_escalated_again_when_its_new_deadline_passes(late, world, time_machine):
    u = world.users
    time_machine.move_to(local(2026, 10, 12, 9, 0), tick=False)
    services.escalate_overdue_concerns()  # response and resolution both missed
    services.resolve_concern(late, by=u.handler, outcome=Outcome.PARTLY, text="部分处理")
    assert Supervision.objects.filter(closed_at__isnull=True).count() == 0
    services.record_call_back(late, by=u.dispatcher, result="unsatisfied", solved=False, note="仍未修好")
    time_machine.move_to(local(2026, 10, 20, 9, 0), tick=False)  # due 19 Oct after reopening on 12 Oct
    assert services.escalate_overdue_concerns().supervisions == 1
    assert Supervision.objects.count() == 3


def test_a_concern_nobody_dispatched_alerts_the_dispatchers_and_leaders(submit, world, time_machine):
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    submit()
    time_machine.move_to(local(2026, 9, 30, 9, 0), tick=False)
    services.escalate_overdue_concerns()
    recipients = set(
        Notification.objects.filter(text__startswith="督办").values_list("recipient__username", flat=True)
    )
    assert recipients == {"dispatch1", "leader1"}


def test_dispatchers_and_leaders_above_the_town_are_told_but_not_another_towns_or_a_villages(
    submit, world, time_machine
):
    cast = world.cast
    other_town = Area.objects.add_child(
        Area.objects.get(pk=cast.county.pk), dict(name="沙市镇", level=AreaLevel.TOWN, code="430181111")
    )
    for username, role, area, active in (
        ("county_dispatch", Role.DISPATCHER, cast.county, True),
        ("county_leader", Role.LEADER, cast.county, True),
        ("other_dispatch", Role.DISPATCHER, other_town, True),
        ("village_dispatch", Role.DISPATCHER, cast.jiulong, True),
        ("gone_dispatch", Role.DISPATCHER, cast.town, False),
    ):
        User.objects.create(username=username, role=role, area=area, is_active=active)
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    submit()
    time_machine.move_to(local(2026, 9, 30, 9, 0), tick=False)
    services.escalate_overdue_concerns()
    recipients = set(
        Notification.objects.filter(text__startswith="督办").values_list("recipient__username", flat=True)
    )
    assert recipients == {"dispatch1", "leader1", "county_dispatch", "county_leader"}


def test_the_command_reports_what_it_did_and_is_idempotent(late, time_machine):
    time_machine.move_to(local(2026, 9, 30, 9, 0), tick=False)
    out = StringIO()
    call_command("escalate_overdue_concerns", stdout=out)
    assert "督办1件，发出通知2条" in out.getvalue() and late.reference in out.getvalue()
    out = StringIO()
    call_command("escalate_overdue_concerns", stdout=out)
    assert "督办0件" in out.getvalue()


def test_a_leader_supervises_an_open_concern(late, world):
    services.supervise_concern(late, by=world.users.leader, note="请本周内给出方案")
    supervision = Supervision.objects.get(kind="leader")
    assert supervision.created_by == world.users.leader
    assert Notification.objects.filter(
        recipient=world.users.handler, text__contains="请本周内给出方案"
    ).exists()
    with pytest.raises(ConcernPermissionDenied):
        services.supervise_concern(late, by=world.users.handler, note="自己督办自己")


def test_a_closed_concern_cannot_be_supervised(late, world):
    services.resolve_concern(late, by=world.users.handler, outcome=Outcome.FIXED, text="好了")
    with pytest.raises(TransitionNotAllowed, match="当前状态为已办结，不能督办"):
        services.supervise_concern(late, by=world.users.leader, note="再看看")
