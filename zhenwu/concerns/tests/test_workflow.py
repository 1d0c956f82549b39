"""Each transition: allowed from-states, who may act, what is recorded and who is told."""

import datetime

import pytest
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import callbacks, services
from zhenwu.concerns.models import (
    CallBack,
    CallBackChannel,
    CallBackResult,
    ConcernEvent,
    Notification,
    Outcome,
    ReplyTemplate,
    Status,
)
from zhenwu.concerns.services import ConcernError, ConcernPermissionDenied, TransitionNotAllowed
from zhenwu.org.models import Area, AreaLevel, Department
from zhenwu.workdays import calendar as workdays
from zhenwu.workdays.calendar import end_of_day

from .conftest import local


def kinds(concern):
    return list(ConcernEvent.objects.filter(concern=concern).order_by("id").values_list("kind", flat=True))


def audit_notes(concern):
    return list(
        AuditEntry.objects.filter(object_type="concerns.Concern", object_id=str(concern.pk))
        .order_by("id")
        .values_list("note", flat=True)
    )


@pytest.fixture
def dispatched(submit, world):
    concern = submit().concern
    services.accept_concern(concern, by=world.users.dispatcher)
    return services.dispatch_concern(concern, by=world.users.dispatcher)


def test_the_whole_loop_from_intake_to_a_satisfied_call_back(submit, world, time_machine):
    u = world.users
    time_machine.move_to(local(2026, 9, 29, 9, 0), tick=False)  # Tuesday
    concern = submit().concern
    concern = services.accept_concern(concern, by=u.dispatcher)
    assert concern.status == Status.ACCEPTED and concern.accepted_at == local(2026, 9, 29, 9, 0)

    time_machine.move_to(local(2026, 9, 29, 11, 0), tick=False)
    concern = services.dispatch_concern(concern, by=u.dispatcher)
    assert concern.status == Status.DISPATCHED and concern.department == world.cast.urban
    assert concern.response_due == end_of_day(datetime.date(2026, 9, 30))

    time_machine.move_to(local(2026, 9, 30, 15, 0), tick=False)
    concern = services.post_update(concern, by=u.handler, text="已到现场查看，安排清淤。", public=True)
    assert concern.status == Status.IN_PROGRESS
    assert concern.responded_at == local(2026, 9, 30, 15, 0)

    time_machine.move_to(local(2026, 10, 9, 16, 0), tick=False)
    concern = services.resolve_concern(concern, by=u.handler, outcome=Outcome.FIXED, text="污水管道已疏通。")
    assert concern.status == Status.RESOLVED
    assert concern.resolution_workdays == 3  # 30 Sep, 8 Oct, 9 Oct
    assert concern.resolved_at <= concern.resolution_due

    concern = services.record_call_back(
        concern, by=u.dispatcher, result=CallBackResult.SATISFIED, solved=True, note="居民表示满意"
    )
    assert (
        concern.status == Status.CLOSED and concern.callback_result == "satisfied" and concern.callback_solved
    )
    assert kinds(concern) == [
        "submitted",
        "accepted",
        "dispatched",
        "updated",
        "resolved",
        "called_back",
        "closed",
    ]
    assert audit_notes(concern) == [
        f"登记诉求{concern.reference}",
        "受理",
        "派单至城建办",
        "发布办理进展",
        "办结（已解决）",
        "回访满意，关闭",
    ]
    entry = AuditEntry.objects.filter(object_id=str(concern.pk), note="派单至城建办").get()
    assert entry.actor == u.dispatcher
    assert entry.changes["status"] == ["accepted", "dispatched"]


def test_a_loader_replays_a_past_history_with_now_while_the_clock_is_elsewhere(submit, world, time_machine):
    """Every transition takes `now=` (the demo loader writes the past through the services)."""
    u = world.users
    time_machine.move_to(local(2026, 12, 1, 9, 0), tick=False)
    concern = submit(received_at=local(2026, 9, 29, 9, 0)).concern
    concern = services.accept_concern(concern, by=u.dispatcher, now=local(2026, 9, 29, 10, 0))
    concern = services.dispatch_concern(concern, by=u.dispatcher, now=local(2026, 9, 29, 11, 0))
    assert concern.response_due == end_of_day(datetime.date(2026, 9, 30))
    concern = services.post_update(concern, by=u.handler, text="已到现场。", public=True, now=local(2026, 9, 30, 15))
    concern = services.resolve_concern(
        concern, by=u.handler, outcome=Outcome.FIXED, text="已疏通。", now=local(2026, 10, 9, 16, 0)
    )
    assert concern.resolution_workdays == 3
    concern = services.record_call_back(
        concern, by=u.dispatcher, result=CallBackResult.UNSATISFIED, solved=False, note="仍堵",
        now=local(2026, 10, 12, 9),
    )
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1
    assert concern.resolution_due == end_of_day(datetime.date(2026, 10, 19))  # 5 working days from 12 Oct
    concern = services.resolve_concern(
        concern, by=u.handler, outcome=Outcome.PARTLY, text="已部分处理。", now=local(2026, 10, 14, 10, 0)
    )
    for day in (15, 16, 19):  # three working days without an answer, then 联系不上
        callbacks.record_call_back_attempt(concern, by=u.dispatcher, note="未接通", now=local(2026, 10, day, 9, 0))
    concern = callbacks.record_unreachable(concern, by=u.dispatcher, now=local(2026, 10, 20, 9, 0))
    assert (concern.accepted_at, concern.dispatched_at, concern.responded_at, concern.resolved_at, concern.closed_at) == (
        local(2026, 9, 29, 10, 0), local(2026, 9, 29, 11, 0), local(2026, 9, 30, 15, 0), local(2026, 10, 14, 10, 0),
        local(2026, 10, 20, 9, 0),
    )
    times = list(ConcernEvent.objects.filter(concern=concern).order_by("id").values_list("at", flat=True))
    assert times == sorted(times) and times[-1] == local(2026, 10, 20, 9, 0)
    assert CallBack.objects.get(concern=concern, result=CallBackResult.UNSATISFIED).at == local(2026, 10, 12, 9, 0)


def test_dispatching_a_resolved_concern_is_refused_with_the_current_state(dispatched, world):
    services.resolve_concern(dispatched, by=world.users.handler, outcome=Outcome.EXPLAINED, text="已答复。")
    with pytest.raises(TransitionNotAllowed) as caught:
        services.dispatch_concern(dispatched, by=world.users.dispatcher)
    assert caught.value.message == "当前状态为已办结，不能派单"


def test_a_refused_transition_changes_nothing(dispatched, world):
    before = kinds(dispatched)
    with pytest.raises(TransitionNotAllowed):
        services.accept_concern(dispatched, by=world.users.dispatcher)
    dispatched.refresh_from_db()
    assert dispatched.status == Status.DISPATCHED and kinds(dispatched) == before


@pytest.mark.parametrize("who", ["secretary", "grid_worker", "leader", "handler", "member", "instructor"])
def test_only_dispatchers_and_town_admins_accept(submit, world, who):
    concern = submit().concern
    with pytest.raises(ConcernPermissionDenied):
        services.accept_concern(concern, by=getattr(world.users, who))


def test_a_town_admin_may_accept(submit, world):
    assert services.accept_concern(submit().concern, by=world.users.town_admin).status == Status.ACCEPTED


def test_dispatching_a_new_concern_accepts_it_on_the_way(submit, world):
    concern = services.dispatch_concern(submit().concern, by=world.users.dispatcher)
    assert concern.status == Status.DISPATCHED and concern.accepted_at is not None
    assert kinds(concern) == ["submitted", "accepted", "dispatched"]


def test_dispatch_notifies_the_departments_handlers(dispatched, world):
    assert Notification.objects.filter(recipient=world.users.handler, concern=dispatched).exists()
    notice = Notification.objects.get(recipient=world.users.handler, concern=dispatched)
    assert notice.link == f"/concerns/{dispatched.pk}/"
    assert not Notification.objects.filter(recipient=world.env_handler, concern=dispatched).exists()


def test_a_category_without_a_default_department_needs_one_named(submit, world):
    concern = submit(category=world.lamp).concern
    with pytest.raises(ConcernError, match="请选择承办部门"):
        services.dispatch_concern(concern, by=world.users.dispatcher)
    concern = services.dispatch_concern(concern, by=world.users.dispatcher, department=world.env)
    assert concern.department == world.env


def test_a_department_of_another_town_cannot_take_the_concern(submit, world):
    concern = submit().concern
    other_town = Area.objects.add_child(world.cast.county, dict(name="北盛镇", level=AreaLevel.TOWN))
    foreign = Department.objects.create(name="城建办", town=other_town)
    with pytest.raises(ConcernError, match="不是本镇的部门"):
        services.dispatch_concern(concern, by=world.users.dispatcher, department=foreign)


def test_decline_needs_a_reason_and_is_shown_to_the_resident(submit, world):
    concern = submit().concern
    with pytest.raises(ConcernError, match="请填写不予受理的理由"):
        services.decline_concern(concern, by=world.users.dispatcher, reason=" ")
    concern = services.decline_concern(
        concern, by=world.users.dispatcher, reason="属于司法诉讼事项，请依法起诉。"
    )
    assert concern.status == Status.DECLINED and concern.closed_at is not None
    event = ConcernEvent.objects.get(concern=concern, kind="declined")
    assert event.is_public and event.reason == "属于司法诉讼事项，请依法起诉。"


def test_a_declined_concern_can_be_reconsidered_without_counting_a_reopening(submit, world):
    concern = submit().concern
    services.decline_concern(concern, by=world.users.dispatcher, reason="信息不全")
    concern = services.reopen_concern(concern, by=world.users.dispatcher, reason="居民补充了地点")
    assert concern.status == Status.RECEIVED and concern.reopen_count == 0 and concern.closed_at is None


def test_the_department_returns_a_concern_with_its_reason_and_the_dispatcher_is_told(dispatched, world):
    concern = services.return_concern(dispatched, by=world.users.handler, reason="属于环保办职责")
    assert concern.status == Status.RETURNED and concern.department is None
    event = ConcernEvent.objects.get(concern=concern, kind="returned")
    assert event.department == world.cast.urban and event.reason == "属于环保办职责" and not event.is_public
    assert Notification.objects.filter(recipient=world.users.dispatcher, text__contains="退回").exists()
    concern = services.dispatch_concern(concern, by=world.users.dispatcher, department=world.env)
    assert concern.department == world.env and concern.status == Status.DISPATCHED


def test_another_departments_handler_cannot_return_resolve_or_update(dispatched, world):
    for action in (
        lambda: services.return_concern(dispatched, by=world.env_handler, reason="不归我们"),
        lambda: services.resolve_concern(dispatched, by=world.env_handler, outcome="fixed", text="好了"),
        lambda: services.post_update(dispatched, by=world.env_handler, text="看看", public=True),
    ):
        with pytest.raises(ConcernPermissionDenied):
            action()


def test_redispatch_after_a_return_gives_the_new_department_a_fresh_response_clock(
    submit, world, time_machine
):
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    concern = services.dispatch_concern(submit().concern, by=world.users.dispatcher)
    assert concern.response_due == end_of_day(datetime.date(2026, 9, 29))
    time_machine.move_to(local(2026, 9, 30, 9, 0), tick=False)
    services.return_concern(concern, by=world.users.handler, reason="非本部门职责")
    concern = services.dispatch_concern(concern, by=world.users.dispatcher, department=world.env)
    assert concern.response_due == end_of_day(datetime.date(2026, 10, 8))
    # unchanged, the resident's clock: 29, 30 Sep, 8, 9, 10 (调休 Saturday) Oct
    assert concern.resolution_due == end_of_day(datetime.date(2026, 10, 10))


def test_an_internal_note_signs_for_the_concern_but_is_not_a_response(dispatched, world):
    concern = services.post_update(dispatched, by=world.users.handler, text="已电话联系村干部", public=False)
    assert concern.status == Status.IN_PROGRESS and concern.responded_at is None
    event = ConcernEvent.objects.filter(concern=concern).last()
    assert event.kind == "note" and not event.is_public and event.internal_note == "已电话联系村干部"


def test_secretaries_and_grid_workers_may_note_but_leaders_only_read(dispatched, world):
    services.post_update(dispatched, by=world.users.secretary, text="村里已知晓", public=False)
    services.post_update(dispatched, by=world.users.grid_worker, text="已到现场", public=False)
    with pytest.raises(ConcernPermissionDenied):
        services.post_update(dispatched, by=world.users.leader, text="阅", public=False)
    with pytest.raises(ConcernPermissionDenied):
        services.post_update(dispatched, by=world.users.secretary, text="公开说明", public=True)
    dispatched.refresh_from_db()
    assert dispatched.status == Status.DISPATCHED


def test_a_grid_worker_of_another_grid_cannot_touch_the_concern(dispatched, world):
    with pytest.raises(ConcernPermissionDenied):
        services.post_update(dispatched, by=world.users.other_grid_worker, text="看看", public=False)


def test_a_dispatchers_public_update_is_not_the_departments_response(dispatched, world):
    concern = services.post_update(dispatched, by=world.users.dispatcher, text="已催办", public=True)
    assert concern.responded_at is None and concern.status == Status.DISPATCHED


def test_resolve_needs_an_outcome_and_an_answer(dispatched, world):
    with pytest.raises(ConcernError, match="请选择办理结果"):
        services.resolve_concern(dispatched, by=world.users.handler, outcome="done", text="好了")
    with pytest.raises(ConcernError, match="请填写办结答复"):
        services.resolve_concern(dispatched, by=world.users.handler, outcome=Outcome.FIXED, text="")


def test_resolving_counts_as_the_response_when_there_was_none(dispatched, world):
    concern = services.resolve_concern(
        dispatched, by=world.users.handler, outcome=Outcome.NOT_OURS, text="该路段属省道，已转交公路部门。"
    )
    assert concern.responded_at == concern.resolved_at
    assert ConcernEvent.objects.get(concern=concern, kind="resolved").public_text.startswith(
        "【不属本镇职责】"
    )


def test_an_unsatisfied_call_back_reopens_the_concern_and_counts_a_reopening(dispatched, world, time_machine):
    u = world.users
    time_machine.move_to(local(2026, 10, 9, 10, 0), tick=False)
    services.resolve_concern(dispatched, by=u.handler, outcome=Outcome.PARTLY, text="已部分清理")
    time_machine.move_to(local(2026, 10, 12, 10, 0), tick=False)
    concern = services.record_call_back(
        dispatched, by=u.dispatcher, result=CallBackResult.UNSATISFIED, solved=False, note="污水仍在"
    )
    assert concern.status == Status.IN_PROGRESS and concern.department == world.cast.urban
    assert concern.reopen_count == 1
    assert concern.resolved_at is None and concern.outcome == ""
    assert concern.callback_result == "unsatisfied"
    assert concern.resolution_due == end_of_day(datetime.date(2026, 10, 19))  # 5 working days from 12 Oct
    assert Notification.objects.filter(recipient=u.handler, text__contains="回访不满意").exists()

    services.resolve_concern(concern, by=u.handler, outcome=Outcome.FIXED, text="管道已更换")
    concern = services.record_call_back(
        concern, result=CallBackResult.BASICALLY_SATISFIED, solved=True, channel=CallBackChannel.FOLLOW_PAGE
    )
    assert concern.status == Status.CLOSED and concern.callback_result == "basically_satisfied"
    rounds = list(CallBack.objects.filter(concern=concern).values_list("round", "result", "channel"))
    assert rounds == [(1, "unsatisfied", "phone"), (2, "basically_satisfied", "follow_page")]
    assert kinds(concern)[-6:] == ["resolved", "called_back", "reopened", "resolved", "called_back", "closed"]


def test_call_back_rules(dispatched, world):
    with pytest.raises(TransitionNotAllowed, match="当前状态为已派单，不能回访"):
        services.record_call_back(dispatched, by=world.users.dispatcher, result="satisfied", solved=True)
    services.resolve_concern(dispatched, by=world.users.handler, outcome=Outcome.FIXED, text="好了")
    with pytest.raises(ConcernPermissionDenied):
        services.record_call_back(dispatched, by=world.users.handler, result="satisfied", solved=True)
    with pytest.raises(ConcernPermissionDenied):
        services.record_call_back(dispatched, result="satisfied", solved=True)  # phone, but by nobody
    with pytest.raises(ConcernError, match="请选择满意度"):
        services.record_call_back(dispatched, by=world.users.dispatcher, result="great", solved=True)
    with pytest.raises(ConcernError, match="是否已解决"):
        services.record_call_back(dispatched, by=world.users.dispatcher, result="satisfied", solved=None)


def test_a_resolved_concern_closes_without_a_verdict_only_as_unreachable_and_reopens_later(dispatched, world):
    d = world.users.dispatcher
    services.resolve_concern(dispatched, by=world.users.handler, outcome=Outcome.FIXED, text="好了")
    assert not hasattr(services, "close_concern")  # no way around the call-back rule
    with pytest.raises(TransitionNotAllowed, match="须在3个不同工作日"):
        callbacks.record_unreachable(dispatched, by=d, reason="打不通")
    for day in (2, 3, 4):
        callbacks.record_call_back_attempt(dispatched, by=d, note="无人接听", now=local(2026, 11, day, 9, 0))
    concern = callbacks.record_unreachable(dispatched, by=d)
    assert concern.status == Status.CLOSED and concern.callback_result == CallBackResult.UNREACHABLE
    concern = services.reopen_concern(concern, by=world.users.dispatcher, reason="居民来电反映问题复发")
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1
    event = ConcernEvent.objects.filter(concern=concern, kind="reopened").get()
    assert (event.from_status, event.to_status) == ("closed", "in_progress")


def test_recategorising_a_dispatched_concern_reroutes_it_with_history(dispatched, world, time_machine):
    concern = services.recategorise_concern(
        dispatched, by=world.users.dispatcher, category=world.sanitation, reason="实为垃圾堆放"
    )
    assert concern.category == world.sanitation and concern.department == world.env
    assert concern.status == Status.DISPATCHED and concern.responded_at is None
    event = ConcernEvent.objects.get(concern=concern, kind="recategorised")
    assert event.data == {
        "from_category": "road",
        "to_category": "sanitation",
        "from_department": "城建办",
        "to_department": "环保办",
    }
    assert Notification.objects.filter(recipient=world.env_handler, text__contains="改派").exists()
    assert concern.resolution_due == workdays.add_workdays(concern.received_at, 10)


def test_recategorising_before_dispatch_only_changes_the_category(submit, world):
    concern = services.recategorise_concern(
        submit().concern, by=world.users.dispatcher, category=world.sanitation
    )
    assert concern.department is None and concern.status == Status.RECEIVED
    assert services.dispatch_concern(concern, by=world.users.dispatcher).department == world.env


def test_recategorising_to_the_same_category_is_refused(submit, world):
    with pytest.raises(ConcernError, match="已属于"):
        services.recategorise_concern(submit().concern, by=world.users.dispatcher, category=world.road)


def test_residents_are_texted_after_commit_on_accept_and_resolve(
    submit, world, outbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://zw.example.gov.cn"
    concern = submit().concern
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_concern(concern, by=world.users.dispatcher)
        services.dispatch_concern(concern, by=world.users.dispatcher)
        services.resolve_concern(concern, by=world.users.handler, outcome=Outcome.FIXED, text="好了")
    texts = [text for _, text in outbox]
    mine = "详情：https://zw.example.gov.cn/concerns/mine/"  # the private token is not kept; 我的反映 is
    assert texts == [
        f"您的诉求{concern.reference}已受理。{mine}",
        f"您的诉求{concern.reference}已办结，稍后将回访，也可在查询页评价。{mine}",
    ]
    assert all(phone == "13800138000" for phone, _ in outbox)


def test_the_reporter_adds_to_the_concern_and_staff_are_told(dispatched, world):
    services.add_reporter_update(dispatched, text="今天下雨后更严重了")
    event = ConcernEvent.objects.filter(concern=dispatched).last()
    assert event.kind == "reporter_added" and event.actor_label == "诉求人" and not event.is_public
    assert Notification.objects.filter(recipient=world.users.handler, text__contains="补充").exists()


def test_reply_templates_fill_in_the_concern(dispatched):
    template = ReplyTemplate.objects.create(
        status=Status.DISPATCHED,
        title="派单告知",
        text="您的诉求{reference}（{category}）已转{department}办理，预计{due_date}前办结。{unknown}",
    )
    text = template.render(dispatched)
    due = timezone.localtime(dispatched.resolution_due)
    assert (
        text
        == f"您的诉求{dispatched.reference}（道路交通）已转城建办办理，预计{due:%Y年%m月%d日}前办结。{{unknown}}"
    )


def test_bulk_dispatch_sends_each_to_its_default_department_and_reports_refusals(submit, world):
    u = world.users
    road = submit().concern
    sewage = submit(category=world.sanitation).concern
    lamp = submit(category=world.lamp).concern
    closed = submit().concern
    services.decline_concern(closed, by=u.dispatcher, reason="重复来电")
    result = services.dispatch_concerns([road, sewage, lamp, closed], by=u.dispatcher)
    assert [(c.reference, c.department.name) for c in result.dispatched] == [
        (road.reference, "城建办"),
        (sewage.reference, "环保办"),
    ]
    assert result.refused == [
        (lamp.reference, "请选择承办部门（该类别没有默认承办部门）"),
        (closed.reference, "当前状态为不予受理，不能派单"),
    ]


def test_notifications_are_marked_read_only_for_their_recipient(dispatched, world):
    services.complete_pending_intakes()  # the worker tells the dispatchers of the new concern
    mine = Notification.objects.get(recipient=world.users.handler, concern=dispatched)
    others = list(Notification.objects.exclude(recipient=world.users.handler).values_list("pk", flat=True))
    assert services.mark_notifications_read(user=world.users.handler, ids=[mine.pk, *others, "x"]) == 1
    assert Notification.objects.for_user(world.users.handler).unread().count() == 0
    assert Notification.objects.filter(pk__in=others, read_at__isnull=True).count() == len(others) > 0


def test_the_public_timeline_names_units_and_the_resident_never_a_person(dispatched, world):
    services.post_update(dispatched, by=world.users.handler, text="已到现场", public=True)
    services.resolve_concern(dispatched, by=world.users.handler, outcome=Outcome.FIXED, text="好了")
    services.record_call_back(
        dispatched, result="satisfied", solved=True, channel=CallBackChannel.FOLLOW_PAGE
    )
    labels = [
        (e.kind, e.public_actor_label)
        for e in ConcernEvent.objects.filter(concern=dispatched, is_public=True).select_related("department")
    ]
    assert labels == [
        ("submitted", "诉求人"),
        ("accepted", "民情受理中心"),
        ("dispatched", "民情受理中心"),
        ("updated", "城建办"),
        ("resolved", "城建办"),
        ("called_back", "诉求人"),
        ("closed", "诉求人"),
    ]
