"""回访 as practised (zhenwu.concerns.callbacks): unanswered attempts, 联系不上 after attempts on
different working days (or at once without a phone), 不满意 only with its reason and a fresh 重办
deadline; the call-back list and the concern page offer only what the services accept.

Dates (2026): Fri 30 Oct; Mon 2 – Fri 6 Nov; Sat 7, Sun 8; Mon 9 – Fri 13; Mon 16, Tue 17 Nov."""

import datetime

import pytest

from zhenwu.concerns import access, callbacks, services
from zhenwu.concerns.models import (
    AttemptChannel,
    CallBack,
    CallBackAttempt,
    CallBackChannel,
    CallBackResult,
    Concern,
    ConcernEvent,
    ConcernFollower,
    Status,
)
from zhenwu.workdays.calendar import end_of_day

from .conftest import local
from .staff_helpers import in_state, text

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def resolved(submit, world, time_machine):
    """A road concern (城建办, 5 working days) resolved on Fri 30 Oct 2026, phone 13800138000."""
    time_machine.move_to(local(2026, 10, 29, 9, 0), tick=False)
    concern = in_state("in_progress", submit=submit, world=world)
    time_machine.move_to(local(2026, 10, 30, 16, 0), tick=False)
    return services.resolve_concern(concern, by=world.users.handler, outcome="fixed", text="已修复。")


def attempt(concern, world, time_machine, at, note="无人接听"):
    time_machine.move_to(at, tick=False)
    return callbacks.record_call_back_attempt(concern, by=world.users.dispatcher, note=note)


def refreshed(concern):
    return Concern.objects.get(pk=concern.pk)


def test_unreachable_needs_attempts_on_three_different_working_days(resolved, world, time_machine):
    d = world.users.dispatcher
    attempt(resolved, world, time_machine, local(2026, 11, 2, 10, 0))
    attempt(resolved, world, time_machine, local(2026, 11, 2, 15, 0), note="关机")  # the same day again
    attempt(resolved, world, time_machine, local(2026, 11, 7, 10, 0))  # a Saturday: recorded, not counted
    progress = callbacks.call_back_progress(refreshed(resolved))
    assert (len(progress.attempts), progress.days, progress.days_left) == (3, 1, 2)
    with pytest.raises(services.TransitionNotAllowed, match="目前在1个工作日尝试过，还需2个工作日"):
        callbacks.record_unreachable(resolved, by=d)
    assert "unreachable" not in access.allowed_actions(d, refreshed(resolved))

    attempt(resolved, world, time_machine, local(2026, 11, 9, 9, 30))
    assert "unreachable" not in access.allowed_actions(d, refreshed(resolved))
    attempt(resolved, world, time_machine, local(2026, 11, 10, 9, 30))
    assert "unreachable" in access.allowed_actions(d, refreshed(resolved))

    concern = callbacks.record_unreachable(resolved, by=d)
    assert concern.status == Status.CLOSED and concern.closed_at == local(2026, 11, 10, 9, 30)
    assert (concern.callback_result, concern.callback_solved) == ("unreachable", None)
    call_back = CallBack.objects.get(concern=concern)
    assert (call_back.result, call_back.solved, call_back.round) == ("unreachable", None, 1)
    assert call_back.note == "3个工作日共5次回访均未联系上"
    kinds = list(ConcernEvent.objects.filter(concern=concern).values_list("kind", "is_public"))
    assert kinds[-7:] == [("call_attempt", False)] * 5 + [("called_back", True), ("closed", True)]
    public = ConcernEvent.objects.get(concern=concern, kind="called_back").public_text
    assert public == "回访结果：联系不上（3个工作日多次回访未接通）"
    assert not Concern.objects.awaiting_call_back().filter(pk=concern.pk).exists()


def test_the_number_of_attempts_is_a_setting(resolved, world, time_machine, settings):
    settings.ZHENWU_CALLBACK_ATTEMPTS = 2
    attempt(resolved, world, time_machine, local(2026, 11, 2, 10, 0))
    attempt(resolved, world, time_machine, local(2026, 11, 3, 10, 0))
    assert callbacks.record_unreachable(resolved, by=world.users.dispatcher).status == Status.CLOSED


def test_without_any_phone_unreachable_is_recorded_at_once_with_a_reason(submit, world):
    concern = in_state("resolved", submit=submit, world=world, reporter_phone="")
    d = world.users.dispatcher
    assert "unreachable" in access.allowed_actions(d, concern)
    with pytest.raises(services.ConcernError, match="请填写无法回访的原因") as refused:
        callbacks.record_unreachable(concern, by=d, reason="  ")
    assert refused.value.error_dict.keys() == {"reason"}
    concern = callbacks.record_unreachable(concern, by=d, reason="来电未留电话")
    assert concern.status == Status.CLOSED and concern.callback_result == CallBackResult.UNREACHABLE
    assert ConcernEvent.objects.get(concern=concern, kind="called_back").public_text == (
        "回访结果：联系不上（诉求人未留联系电话，无法回访）"
    )


def test_a_follower_who_left_a_phone_can_be_called_back(submit, world):
    concern = in_state("resolved", submit=submit, world=world, reporter_phone="")
    ConcernFollower.objects.create(concern=concern, token_hash="f" * 64, phone="13900139000")
    assert "unreachable" not in access.allowed_actions(world.users.dispatcher, concern)
    with pytest.raises(services.TransitionNotAllowed, match="须在3个不同工作日"):
        callbacks.record_unreachable(concern, by=world.users.dispatcher, reason="未留电话")


def test_attempts_are_for_the_dispatcher_on_a_resolved_concern_only(resolved, submit, world):
    with pytest.raises(services.ConcernPermissionDenied):
        callbacks.record_call_back_attempt(resolved, by=world.users.handler)
    with pytest.raises(services.TransitionNotAllowed, match="当前状态为办理中，不能登记回访"):
        callbacks.record_call_back_attempt(in_state("in_progress", submit=submit, world=world),
                                           by=world.users.dispatcher)
    with pytest.raises(services.ConcernError, match="请选择回访方式"):
        callbacks.record_call_back_attempt(resolved, by=world.users.dispatcher, channel="fax")
    made = callbacks.record_call_back_attempt(resolved, by=world.users.dispatcher, channel=AttemptChannel.VISIT)
    assert (made.round, made.channel, made.by) == (1, "visit", world.users.dispatcher)


def test_unsatisfied_needs_its_reason_on_the_phone_and_on_the_follow_page(resolved, world):
    for by, channel in ((world.users.dispatcher, CallBackChannel.PHONE), (None, CallBackChannel.FOLLOW_PAGE)):
        with pytest.raises(services.ConcernError, match="选择“不满意”时请填写不满意的原因") as refused:
            services.record_call_back(resolved, by=by, channel=channel, result="unsatisfied", solved=False, note=" ")
        assert refused.value.error_dict.keys() == {"note"}
    with pytest.raises(services.ConcernError, match="请选择满意度"):  # 联系不上 is not a verdict
        services.record_call_back(resolved, by=world.users.dispatcher, result="unreachable", solved=False)
    assert refreshed(resolved).status == Status.RESOLVED


def test_unsatisfied_reopens_with_a_new_deadline_from_the_reopening_and_a_new_round(resolved, world, time_machine):
    """The concern was due on Fri 6 Nov (5 working days from 30 Oct); reopened on Tue 10 Nov it
    is due at the end of Tue 17 Nov (11, 12, 13, 16, 17 Nov), not overdue before then."""
    attempt(resolved, world, time_machine, local(2026, 11, 2, 10, 0))
    attempt(resolved, world, time_machine, local(2026, 11, 3, 10, 0))
    time_machine.move_to(local(2026, 11, 10, 10, 0), tick=False)
    concern = services.record_call_back(
        resolved, by=world.users.dispatcher, result="unsatisfied", solved=False, note="路面又塌了"
    )
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1
    assert concern.resolution_due == end_of_day(datetime.date(2026, 11, 17))
    assert not concern.is_overdue(local(2026, 11, 17, 17, 0)) and concern.is_overdue(local(2026, 11, 18, 9, 0))
    reopened = ConcernEvent.objects.get(concern=concern, kind="reopened")
    assert reopened.reason == "路面又塌了"
    assert CallBack.objects.get(concern=concern).note == "路面又塌了"

    # Resolved again: the second round counts its own attempts.
    time_machine.move_to(local(2026, 11, 11, 10, 0), tick=False)
    concern = services.resolve_concern(concern, by=world.users.handler, outcome="fixed", text="已重新铺筑。")
    progress = callbacks.call_back_progress(concern)
    assert (progress.attempts, progress.days) == ((), 0)
    attempt(concern, world, time_machine, local(2026, 11, 12, 10, 0))
    assert [a.round for a in CallBackAttempt.objects.filter(concern=concern)] == [1, 1, 2]


def test_a_resident_still_unsatisfied_after_the_redo_is_recorded_and_the_concern_closes(
    resolved, world, time_machine, settings
):
    """ZHENWU_MAX_REOPENINGS (default 1): the first 不满意 reopens, the second stands and closes
    the concern; it counts as assessed and not satisfied, and a dispatcher may still reopen it."""
    from zhenwu.concerns.rates import concern_rates

    assert settings.ZHENWU_MAX_REOPENINGS == 1
    d = world.users.dispatcher
    time_machine.move_to(local(2026, 11, 2, 10, 0), tick=False)
    assert services.reopens_on_unsatisfied(resolved)
    concern = services.record_call_back(resolved, by=d, result="unsatisfied", solved=False, note="路面又塌了")
    time_machine.move_to(local(2026, 11, 4, 10, 0), tick=False)
    concern = services.resolve_concern(concern, by=world.users.handler, outcome="partly", text="已临时修补。")
    assert not services.reopens_on_unsatisfied(concern)
    time_machine.move_to(local(2026, 11, 5, 10, 0), tick=False)
    concern = services.record_call_back(concern, by=d, result="unsatisfied", solved=False, note="还是坑坑洼洼")
    assert concern.status == Status.CLOSED and concern.reopen_count == 1
    assert concern.callback_result == CallBackResult.UNSATISFIED
    closing = ConcernEvent.objects.filter(concern=concern, kind="closed").get()
    assert closing.reason == "还是坑坑洼洼" and "已重新办理1次，不再退回重办" in closing.public_text
    row = concern_rates(queryset=Concern.objects.filter(pk=concern.pk))[0]
    assert (row.assessed, row.unsatisfied, row.satisfaction_rate) == (1, 1, 0)
    concern = services.reopen_concern(concern, by=d, reason="领导批示再查")
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 2

    settings.ZHENWU_MAX_REOPENINGS = 3
    assert services.reopens_on_unsatisfied(concern)


# --- pages ---------------------------------------------------------------------------------------


def test_the_list_shows_the_attempts_and_offers_unreachable_only_when_allowed(
    client, login, resolved, world, time_machine
):
    def at(when):  # days pass between the calls: a fresh login each time (30 minutes idle logout)
        time_machine.move_to(when, tick=False)
        login(world.users.dispatcher)

    at(local(2026, 11, 2, 9, 0))
    body = text(client.get("/concerns/callbacks/"))
    assert "尚未登记回访" in body and "登记未联系上" in body and "登记联系不上" not in body

    for day in (2, 3):
        at(local(2026, 11, day, 10, 0))
        response = client.post(f"/concerns/{resolved.pk}/call-attempt/",
                               {"channel": "phone", "note": "无人接听", "from": "callback_list"}, **HTMX)
    body = text(response)
    assert "已登记未联系上（本轮第2次，2个工作日）" in body
    assert "本轮已回访未联系上2次（2个工作日），再有1个工作日未联系上可登记“联系不上”" in body
    assert "登记联系不上" not in body

    # Posted anyway (an old page): refused with the reason, nothing changes.
    response = client.post(f"/concerns/{resolved.pk}/unreachable/", {"from": "callback_list"}, **HTMX)
    assert "还需1个工作日" in text(response) and refreshed(resolved).status == Status.RESOLVED

    at(local(2026, 11, 4, 10, 0))
    body = text(client.post(f"/concerns/{resolved.pk}/call-attempt/",
                            {"channel": "phone", "note": "关机", "from": "callback_list"}, **HTMX))
    assert "可登记“联系不上”" in body and "登记联系不上" in body
    body = text(client.post(f"/concerns/{resolved.pk}/unreachable/", {"reason": "", "from": "callback_list"},
                            **HTMX))
    assert "已登记联系不上，诉求已关闭" in body and "已关闭" in body
    assert refreshed(resolved).callback_result == "unreachable"
    assert resolved.reference not in text(client.get("/concerns/callbacks/"))


def test_the_list_reads_the_attempts_in_a_fixed_number_of_queries(
    client, login, submit, world, django_assert_max_num_queries
):
    login(world.users.dispatcher)
    first = in_state("resolved", submit=submit, world=world)
    callbacks.record_call_back_attempt(first, by=world.users.dispatcher)
    with django_assert_max_num_queries(30) as one:
        client.get("/concerns/callbacks/")
    for _ in range(3):
        concern = in_state("resolved", submit=submit, world=world, reporter_phone="")
        callbacks.record_call_back_attempt(concern, by=world.users.dispatcher)
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = text(client.get("/concerns/callbacks/"))
    assert body.count("诉求人未留联系电话") == 3


def test_unsatisfied_without_a_reason_shows_a_chinese_field_error_on_the_list(client, login, resolved, world):
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{resolved.pk}/call-back/",
                            {"solved": "0", "result": "unsatisfied", "note": "", "from": "callback_list"}, **HTMX))
    assert "选择“不满意”时请填写不满意的原因" in body
    assert refreshed(resolved).status == Status.RESOLVED


def test_the_concern_page_records_the_reason_and_the_attempts(client, login, resolved, world, time_machine):
    attempt(resolved, world, time_machine, local(2026, 11, 2, 10, 0), note="无人接听")
    login(world.users.dispatcher)
    body = text(client.get(f"/concerns/{resolved.pk}/"))
    assert "本轮已回访未联系上1次（1个工作日）" in body and "登记联系不上" not in body
    client.post(f"/concerns/{resolved.pk}/call-back/", {"solved": "0", "result": "unsatisfied", "note": "又坏了"})
    body = text(client.get(f"/concerns/{resolved.pk}/"))
    assert "未联系上</td><td data-label=\"记录\">无人接听" in body
    assert "不满意（未解决）</td><td data-label=\"记录\">又坏了" in body and "记录\">—" not in body
