"""The concern page's actions through the client: each transition's happy path, the Chinese
message (with the user's input kept) when the state does not allow it, and 403 for a role that
may see the concern but not act on it. Also: the buttons offered agree with the services."""

import datetime

import pytest
from django.db import transaction

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.concerns import access, callbacks, deadlines, services
from zhenwu.concerns.models import (
    CallBack,
    Concern,
    ConcernEvent,
    ConcernPhoto,
    Notification,
    Project,
    ReplyTemplate,
    Status,
    Supervision,
)
from zhenwu.workdays import calendar as workdays

from .staff_helpers import STATES, in_state, jpeg_with_gps, png, text

HTMX = {"HTTP_HX_REQUEST": "true"}


def refreshed(concern):
    return Concern.objects.get(pk=concern.pk)


@pytest.fixture
def make(submit, world):
    def _make(state, **kwargs):
        return in_state(state, submit=submit, world=world, **kwargs)

    return _make


# --- the buttons offered agree with what the services allow ---------------------------------------


class _Rollback(Exception):
    pass


def _service_calls(world, original):
    return {
        "accept": lambda c, u: services.accept_concern(c, by=u),
        "decline": lambda c, u: services.decline_concern(c, by=u, reason="理由"),
        "dispatch": lambda c, u: services.dispatch_concern(c, by=u, department=world.cast.urban),
        "recategorise": lambda c, u: services.recategorise_concern(c, by=u, category=world.sanitation),
        "duplicate": lambda c, u: services.link_duplicate(c, original, by=u),
        "sign": lambda c, u: services.sign_for_concern(c, by=u),
        "return": lambda c, u: services.return_concern(c, by=u, reason="理由"),
        "update": lambda c, u: services.post_update(c, by=u, text="进展", public=True),
        "note": lambda c, u: services.post_update(c, by=u, text="备注", public=False),
        "resolve": lambda c, u: services.resolve_concern(c, by=u, outcome="fixed", text="答复"),
        "call_back": lambda c, u: services.record_call_back(c, by=u, result="satisfied", solved=True),
        "call_attempt": lambda c, u: callbacks.record_call_back_attempt(c, by=u, note="无人接听"),
        "unreachable": lambda c, u: callbacks.record_unreachable(c, by=u, reason="未留电话"),
        "reopen": lambda c, u: services.reopen_concern(c, by=u, reason="重办"),
        "supervise": lambda c, u: services.supervise_concern(c, by=u, note="抓紧办理"),
        "project": lambda c, u: services.start_or_join_project(c, by=u, name="岸山路贯通工程"),
        "photos": lambda c, u: services.add_photos(c, by=u, photos=[png()]),
        "extend": lambda c, u: deadlines.request_extension(
            c, by=u, reason="等待配合", new_date=workdays.next_workday(workdays.local_date(c.resolution_due))
        ),
        "decide_extension": lambda c, u: deadlines.decide_extension(c, by=u, approve=True),
        "suspend": lambda c, u: deadlines.suspend_concern(
            c, by=u, reason="等待法院判决", expected_resume=datetime.date(2099, 1, 1)
        ),
        "resume": lambda c, u: deadlines.resume_concern(c, by=u),
        "refer_up": lambda c, u: services.escalate_concern_to_county(c, by=u, reason="涉及县直部门职责"),
        "hand_down": lambda c, u: services.hand_down_concern(c, by=u, reason="属本镇职责"),
    }


def _service_allows(call, concern, user):
    try:
        with transaction.atomic():
            call(concern, user)
            raise _Rollback
    except _Rollback:
        return True
    except services.ConcernError:
        return False


def test_the_actions_offered_are_exactly_those_the_services_accept_in_every_state(
    make, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    original = make("received")
    concerns = {state: make(state) for state in STATES}
    calls = _service_calls(world, original)
    assert set(calls) == set(access.ACTION_STATES)
    u = world.users
    mismatches = []
    for role in ("town_admin", "dispatcher", "handler", "leader", "secretary", "grid_worker"):
        user = getattr(u, role)
        for state, concern in concerns.items():
            concern = refreshed(concern)
            offered = access.allowed_actions(user, concern)
            for action, call in calls.items():
                if (action in offered) != _service_allows(call, refreshed(concern), user):
                    mismatches.append((role, state, action, action in offered))
    assert mismatches == [], mismatches


def test_a_handler_is_offered_only_the_department_actions_on_a_dispatched_concern(make, world):
    concern = make("dispatched")
    assert access.allowed_actions(world.users.handler, concern) == {
        "sign", "return", "update", "note", "resolve", "project", "photos", "extend",
    }
    assert access.allowed_actions(world.users.leader, concern) == {"supervise", "suspend"}


# --- the concern page -----------------------------------------------------------------------------


def test_the_page_shows_the_masked_phone_due_dates_history_and_this_users_buttons(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    body = text(client.get(f"/concerns/{concern.pk}/"))
    assert "138****8000" in body and "13800138000" not in body
    assert "李*" in body and "李四" not in body
    assert f"{concern.resolution_due.astimezone().date():%Y-%m-%d}" in body
    assert "dispatch1" in body and "派单" in body and "已受理 → 已派单" in body
    for label in ("签收派单", "退回受理员", "办结"):
        assert label in body
    assert "不予受理" not in body and "登记回访结果" not in body


def test_a_leader_sees_the_concern_but_only_the_supervise_action(client, login, make, world):
    concern = make("dispatched")
    login(world.users.leader)
    body = text(client.get(f"/concerns/{concern.pk}/"))
    assert 'id="action-supervise"' in body
    assert 'id="action-sign"' not in body and 'id="action-dispatch"' not in body
    assert "显示完整" not in body  # leaders read; they do not contact residents


def test_internal_notes_and_the_overdue_flag_show_on_the_staff_page(client, login, make, world, time_machine):
    from .conftest import local

    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    concern = make("dispatched")
    services.post_update(concern, by=world.users.handler, text="需协调水务公司", public=False)
    time_machine.move_to(local(2026, 4, 1, 9, 0), tick=False)
    login(world.users.dispatcher)
    body = text(client.get(f"/concerns/{concern.pk}/"))
    assert "需协调水务公司" in body and "内部" in body
    assert '<span class="tag danger">超期</span>' in body


@pytest.mark.parametrize("role", ["member", "instructor", "other_grid_worker"])
def test_people_outside_the_scope_get_404_for_the_page_and_its_actions(client, login, make, world, role):
    concern = make("received", area=world.cast.jiulong_grid)
    login(getattr(world.users, role))
    assert client.get(f"/concerns/{concern.pk}/").status_code == 404
    assert client.post(f"/concerns/{concern.pk}/accept/", {}).status_code == 404
    assert refreshed(concern).status == Status.RECEIVED


# --- accept / decline / dispatch ---------------------------------------------------------------------


def test_a_dispatcher_accepts_a_concern_with_a_reply(client, login, make, world):
    concern = make("received")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/accept/", {"public_text": "已收到，马上安排。"})
    assert response.status_code == 302 and response["Location"] == f"/concerns/{concern.pk}/"
    concern = refreshed(concern)
    assert concern.status == Status.ACCEPTED
    assert ConcernEvent.objects.get(concern=concern, kind="accepted").public_text == "已收到，马上安排。"
    assert "已受理" in text(client.get(response["Location"]))


def test_accepting_twice_says_why_in_chinese_and_keeps_the_text(client, login, make, world):
    concern = make("accepted")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/accept/", {"public_text": "我写的答复"})
    assert response.status_code == 200
    body = text(response)
    assert "当前状态为已受理，不能受理" in body
    assert "我写的答复" in body
    assert ConcernEvent.objects.filter(concern=concern, kind="accepted").count() == 1


def test_a_leader_who_posts_accept_gets_403_and_nothing_changes(client, login, make, world):
    concern = make("received")
    login(world.users.leader)
    response = client.post(f"/concerns/{concern.pk}/accept/", {"public_text": ""})
    assert response.status_code == 403
    assert "只有民情受理员可以受理诉求" in text(response)
    assert refreshed(concern).status == Status.RECEIVED


def test_declining_needs_a_reason_and_keeps_the_rest(client, login, make, world):
    concern = make("received")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/decline/", {"reason": "   "})
    assert response.status_code == 200
    assert "请填写不予受理的理由" in text(response)
    assert refreshed(concern).status == Status.RECEIVED

    response = client.post(f"/concerns/{concern.pk}/decline/", {"reason": "属于法院审理事项"})
    assert response.status_code == 302
    concern = refreshed(concern)
    assert concern.status == Status.DECLINED
    assert ConcernEvent.objects.get(concern=concern, kind="declined").reason == "属于法院审理事项"


def test_declining_a_dispatched_concern_is_refused_with_a_message(client, login, make, world):
    concern = make("dispatched")
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/decline/", {"reason": "误派"}))
    assert "当前状态为已派单，不能作不予受理处理" in body and "误派" in body
    assert refreshed(concern).status == Status.DISPATCHED


def test_a_reply_template_fills_the_decline_reason_for_this_concern(client, login, make, world):
    concern = make("received")
    template = ReplyTemplate.objects.create(
        status=Status.DECLINED, title="不属受理范围", text="您反映的{reference}（{category}）不属本镇受理范围。"
    )
    ReplyTemplate.objects.create(status=Status.RESOLVED, title="办结", text="已办结")
    login(world.users.dispatcher)
    page = text(client.get(f"/concerns/{concern.pk}/"))
    assert "不属受理范围" in page  # offered in the decline panel
    response = client.get(f"/concerns/{concern.pk}/reply/decline/", {"template": template.pk}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert f"您反映的{concern.reference}（道路交通）不属本镇受理范围。" in body
    assert 'name="reason"' in body and 'id="id_decline_reason"' in body


def test_a_reply_template_of_another_state_is_not_used(client, login, make, world):
    concern = make("received")
    resolved = ReplyTemplate.objects.create(status=Status.RESOLVED, title="办结", text="已办结答复")
    login(world.users.dispatcher)
    body = text(client.get(f"/concerns/{concern.pk}/reply/decline/", {"template": resolved.pk}))
    assert "已办结答复" not in body


def test_the_dispatch_form_preselects_the_categorys_department(client, login, make, world):
    concern = make("accepted")
    login(world.users.dispatcher)
    body = text(client.get(f"/concerns/{concern.pk}/"))
    assert f'<option value="{world.cast.urban.pk}" selected>城建办</option>' in body


def test_a_dispatcher_dispatches_to_another_department(client, login, make, world):
    concern = make("accepted")
    login(world.users.dispatcher)
    response = client.post(
        f"/concerns/{concern.pk}/dispatch/", {"department": world.env.pk, "note": "涉及排污"}, follow=True
    )
    assert "已派单至环保办" in text(response)
    concern = refreshed(concern)
    assert concern.status == Status.DISPATCHED and concern.department == world.env
    assert Notification.objects.filter(recipient=world.env_handler, concern=concern).exists()


def test_dispatching_a_category_without_a_default_department_asks_for_one(client, login, make, world):
    concern = make("received", category=world.lamp)
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/dispatch/", {"department": "", "note": "夜间无灯"}))
    assert "请选择承办部门（该类别没有默认承办部门）" in body and "夜间无灯" in body
    assert refreshed(concern).status == Status.RECEIVED


def test_a_secretary_may_not_dispatch(client, login, make, world):
    concern = make("received")
    login(world.users.secretary)
    assert client.post(f"/concerns/{concern.pk}/dispatch/", {"department": ""}).status_code == 403
    assert refreshed(concern).status == Status.RECEIVED


def test_recategorising_a_dispatched_concern_reroutes_it(client, login, make, world):
    concern = make("dispatched")
    login(world.users.dispatcher)
    response = client.post(
        f"/concerns/{concern.pk}/recategorise/", {"category": world.sanitation.pk, "reason": "实为排污问题"}
    )
    assert response.status_code == 302
    concern = refreshed(concern)
    assert concern.category == world.sanitation and concern.department == world.env
    event = ConcernEvent.objects.get(concern=concern, kind="recategorised")
    assert event.reason == "实为排污问题" and event.data["from_department"] == "城建办"


# --- duplicates ------------------------------------------------------------------------------------------


def test_a_dispatcher_links_a_duplicate_to_its_original_by_reference(client, login, make, world):
    original = make("dispatched")
    duplicate = make("received")
    login(world.users.dispatcher)
    page = text(client.get(f"/concerns/{duplicate.pk}/"))
    assert original.reference in page  # offered among the similar concerns
    response = client.post(
        f"/concerns/{duplicate.pk}/duplicate/", {"original": original.reference.lower(), "note": "同一处污水"}
    )
    assert response.status_code == 302
    duplicate = refreshed(duplicate)
    assert duplicate.status == Status.DUPLICATE and duplicate.duplicate_of == original
    assert original.followers.filter(source="duplicate").count() == 1


def test_a_similar_concern_picked_from_the_list_becomes_the_original(client, login, make, world):
    original = make("accepted")
    duplicate = make("received")
    login(world.users.dispatcher)
    client.post(f"/concerns/{duplicate.pk}/duplicate/", {"original_pick": original.reference, "original": ""})
    assert refreshed(duplicate).duplicate_of == original


def test_an_unknown_original_reference_is_reported_and_the_note_kept(client, login, make, world):
    duplicate = make("received")
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{duplicate.pk}/duplicate/", {"original": "GQ-2026-999999", "note": "我的说明"}))
    assert "未找到编号为GQ-2026-999999的诉求" in body and "我的说明" in body
    assert refreshed(duplicate).status == Status.RECEIVED


def test_a_leader_may_not_link_duplicates(client, login, make, world):
    original, duplicate = make("accepted"), make("received")
    login(world.users.leader)
    response = client.post(f"/concerns/{duplicate.pk}/duplicate/", {"original": original.reference})
    assert response.status_code == 403
    assert refreshed(duplicate).status == Status.RECEIVED


# --- the department: sign, return, update, resolve -----------------------------------------------------


def test_the_handler_signs_for_a_dispatched_concern(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    assert client.post(f"/concerns/{concern.pk}/sign/").status_code == 302
    concern = refreshed(concern)
    assert concern.status == Status.IN_PROGRESS and concern.responded_at is None
    event = ConcernEvent.objects.filter(concern=concern).latest("id")
    assert event.is_public and event.public_text == "城建办已签收，正在办理。"
    assert event.actor == world.users.handler


def test_signing_twice_is_refused_with_a_message(client, login, make, world):
    concern = make("in_progress")
    login(world.users.handler)
    response = client.post(f"/concerns/{concern.pk}/sign/")
    assert response.status_code == 200 and "当前状态为办理中，不能签收" in text(response)


def test_a_dispatcher_cannot_sign_for_the_department(client, login, make, world):
    concern = make("dispatched")
    login(world.users.dispatcher)
    assert client.post(f"/concerns/{concern.pk}/sign/").status_code == 403
    assert refreshed(concern).status == Status.DISPATCHED


def test_the_handler_returns_a_concern_and_lands_back_on_the_queue(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    response = client.post(f"/concerns/{concern.pk}/return/", {"reason": "属于供电公司"})
    assert response.status_code == 302 and response["Location"] == "/concerns/queue/"
    concern = refreshed(concern)
    assert concern.status == Status.RETURNED and concern.department is None
    assert Notification.objects.filter(recipient=world.users.dispatcher, concern=concern).exists()
    # The department no longer holds it, so its handler no longer sees it.
    assert client.get(f"/concerns/{concern.pk}/").status_code == 404


def test_returning_without_a_reason_is_refused(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    body = text(client.post(f"/concerns/{concern.pk}/return/", {"reason": ""}))
    assert "请填写退单理由" in body
    assert refreshed(concern).status == Status.DISPATCHED


def test_a_leader_may_not_return_a_concern(client, login, make, world):
    concern = make("dispatched")
    login(world.users.leader)
    assert client.post(f"/concerns/{concern.pk}/return/", {"reason": "x"}).status_code == 403


def test_a_public_update_is_the_departments_response(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    client.post(f"/concerns/{concern.pk}/update/", {"text": "已到现场查看", "public": "1"})
    concern = refreshed(concern)
    assert concern.status == Status.IN_PROGRESS and concern.responded_at is not None
    assert ConcernEvent.objects.get(concern=concern, kind="updated").public_text == "已到现场查看"


def test_an_internal_note_stays_internal(client, login, make, world):
    concern = make("dispatched")
    login(world.users.secretary)  # village secretaries may add notes on their village's concerns
    response = client.post(f"/concerns/{concern.pk}/update/", {"text": "户主常年在外", "public": "0"})
    assert response.status_code == 302
    event = ConcernEvent.objects.get(concern=concern, kind="note")
    assert not event.is_public and event.internal_note == "户主常年在外"
    assert refreshed(concern).responded_at is None


def test_a_public_update_on_a_resolved_concern_is_refused_and_kept(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/update/", {"text": "补充说明一下", "public": "1"}))
    assert "当前状态为已办结，不能发布办理进展" in body and "补充说明一下" in body


def test_a_secretary_may_not_post_a_public_update(client, login, make, world):
    concern = make("dispatched")
    login(world.users.secretary)
    assert client.post(f"/concerns/{concern.pk}/update/", {"text": "x", "public": "1"}).status_code == 403


def test_the_handler_resolves_with_an_honest_outcome(client, login, make, world):
    concern = make("in_progress")
    login(world.users.handler)
    client.post(f"/concerns/{concern.pk}/resolve/", {"outcome": "partly", "text": "已清淤，管道改造需立项"})
    concern = refreshed(concern)
    assert concern.status == Status.RESOLVED and concern.outcome == "partly"
    assert concern.resolution_text == "已清淤，管道改造需立项"


def test_resolving_without_an_outcome_asks_for_one_and_keeps_the_answer(client, login, make, world):
    concern = make("in_progress")
    login(world.users.handler)
    body = text(client.post(f"/concerns/{concern.pk}/resolve/", {"outcome": "", "text": "我写好的答复"}))
    assert "请选择办理结果" in body and "我写好的答复" in body
    assert refreshed(concern).status == Status.IN_PROGRESS


def test_resolving_a_received_concern_is_refused(client, login, make, world):
    concern = make("received")
    login(world.users.town_admin)
    body = text(client.post(f"/concerns/{concern.pk}/resolve/", {"outcome": "fixed", "text": "答复"}))
    assert "当前状态为待受理，不能办结" in body


def test_a_dispatcher_may_not_resolve_for_the_department(client, login, make, world):
    concern = make("in_progress")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/resolve/", {"outcome": "fixed", "text": "答复"})
    assert response.status_code == 403
    assert refreshed(concern).status == Status.IN_PROGRESS


# --- call-back, close, reopen ---------------------------------------------------------------------------


def test_a_satisfied_call_back_closes_the_concern(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    client.post(f"/concerns/{concern.pk}/call-back/", {"solved": "1", "result": "satisfied", "note": "很满意"})
    concern = refreshed(concern)
    assert concern.status == Status.CLOSED and concern.callback_result == "satisfied"
    assert CallBack.objects.get(concern=concern).by == world.users.dispatcher


def test_an_unsatisfied_call_back_reopens_the_concern(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    client.post(f"/concerns/{concern.pk}/call-back/", {"solved": "0", "result": "unsatisfied", "note": "还在漏"})
    concern = refreshed(concern)
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1
    assert Notification.objects.filter(recipient=world.users.handler, concern=concern).exists()


def test_a_call_back_needs_both_answers(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/call-back/", {"result": "satisfied", "note": "记录"}))
    assert "请选择问题是否已解决" in body and "记录" in body
    assert refreshed(concern).status == Status.RESOLVED


def test_a_call_back_before_resolution_is_refused(client, login, make, world):
    concern = make("in_progress")
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/call-back/", {"solved": "1", "result": "satisfied"}))
    assert "当前状态为办理中，不能回访" in body


def test_the_handler_may_not_record_the_call_back(client, login, make, world):
    concern = make("resolved")
    login(world.users.handler)
    response = client.post(f"/concerns/{concern.pk}/call-back/", {"solved": "1", "result": "satisfied"})
    assert response.status_code == 403
    assert refreshed(concern).status == Status.RESOLVED


def test_a_dispatcher_closes_an_unreachable_resolved_concern_only_by_the_call_back_rule_and_reopens_it(
    client, login, make, world
):
    concern = make("resolved")
    login(world.users.dispatcher)
    page = text(client.get(f"/concerns/{concern.pk}/"))
    assert "关闭（无法回访）" not in page and "联系不上（结束回访）" not in page  # no attempts yet
    assert client.post(f"/concerns/{concern.pk}/close/", {"reason": "三次联系不上"}).status_code == 404
    for day in (2, 3, 4):  # three different working days
        callbacks.record_call_back_attempt(
            concern, by=world.users.dispatcher, now=datetime.datetime(2026, 11, day, 9, tzinfo=datetime.UTC)
        )
    assert "联系不上（结束回访）" in text(client.get(f"/concerns/{concern.pk}/"))
    client.post(f"/concerns/{concern.pk}/unreachable/", {"reason": ""})
    assert refreshed(concern).status == Status.CLOSED
    client.post(f"/concerns/{concern.pk}/reopen/", {"reason": "居民来电称仍未解决"})
    concern = refreshed(concern)
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1


def test_reopening_an_open_concern_is_refused(client, login, make, world):
    concern = make("dispatched")
    login(world.users.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/reopen/", {"reason": "重办原因"}))
    assert "当前状态为已派单，不能重新办理" in body and "重办原因" in body


def test_a_leader_may_not_reopen(client, login, make, world):
    concern = make("closed")
    login(world.users.leader)
    assert client.post(f"/concerns/{concern.pk}/reopen/", {"reason": "x"}).status_code == 403


# --- supervision ----------------------------------------------------------------------------------------


def test_a_leader_supervises_with_a_note(client, login, make, world):
    concern = make("in_progress")
    login(world.users.leader)
    client.post(f"/concerns/{concern.pk}/supervise/", {"note": "本周内办结"})
    concern = refreshed(concern)
    assert concern.is_supervised
    assert Supervision.objects.get(concern=concern).note == "本周内办结"
    assert Notification.objects.filter(recipient=world.users.handler, text__contains="本周内办结").exists()


def test_supervising_needs_a_note(client, login, make, world):
    concern = make("in_progress")
    login(world.users.leader)
    assert "请填写督办意见" in text(client.post(f"/concerns/{concern.pk}/supervise/", {"note": ""}))


def test_supervising_a_closed_concern_is_refused(client, login, make, world):
    concern = make("closed")
    login(world.users.leader)
    body = text(client.post(f"/concerns/{concern.pk}/supervise/", {"note": "督办意见"}))
    assert "当前状态为已关闭，不能督办" in body and "督办意见" in body


def test_a_dispatcher_may_not_supervise(client, login, make, world):
    concern = make("in_progress")
    login(world.users.dispatcher)
    assert client.post(f"/concerns/{concern.pk}/supervise/", {"note": "x"}).status_code == 403
    assert not refreshed(concern).is_supervised


# --- projects and photos from the concern page ------------------------------------------------------------


def test_the_handler_starts_a_project_and_another_concern_joins_it(client, login, make, world):
    first, second = make("in_progress"), make("dispatched")
    login(world.users.handler)
    client.post(f"/concerns/{first.pk}/project/", {"name": "岸山路贯通工程", "description": "打通断头路"})
    project = Project.objects.get()
    assert refreshed(first).project == project and project.stages.count() == 8
    body = text(client.get(f"/concerns/{second.pk}/"))
    assert f'<option value="{project.pk}">岸山路贯通工程</option>' in body
    client.post(f"/concerns/{second.pk}/project/", {"project": project.pk})
    assert refreshed(second).project == project


def test_a_project_needs_a_name(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    body = text(client.post(f"/concerns/{concern.pk}/project/", {"name": "", "description": "概况文字"}))
    assert "请填写项目名称" in body and "概况文字" in body


def test_staff_add_a_photo_and_see_it_through_the_checked_view(client, login, make, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    concern = make("dispatched")
    login(world.users.handler)
    response = client.post(f"/concerns/{concern.pk}/photos/", {"photos": [png("a.png"), png("b.png")]})
    assert response.status_code == 302
    photos = list(ConcernPhoto.objects.filter(concern=concern))
    assert len(photos) == 2
    image = client.get(f"/concerns/{concern.pk}/photos/{photos[0].pk}/")
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    client.logout()
    login(world.users.other_grid_worker)
    assert client.get(f"/concerns/{concern.pk}/photos/{photos[0].pk}/").status_code == 404


def test_a_file_that_is_not_an_image_is_refused_by_name(client, login, make, world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    concern = make("dispatched")
    login(world.users.handler)
    fake = SimpleUploadedFile("照片.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    body = text(client.post(f"/concerns/{concern.pk}/photos/", {"photos": [fake]}))
    assert "“照片.jpg”不是有效的图片" in body
    assert not ConcernPhoto.objects.filter(concern=concern).exists()


def test_a_photo_added_by_staff_loses_its_gps_position_like_a_residents(
    client, login, make, world, settings, tmp_path
):
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    concern = make("dispatched")
    login(world.users.handler)
    upload = jpeg_with_gps()
    assert Image.open(upload).getexif().get_ifd(0x8825)  # the fixture really carries a position
    upload.seek(0)
    assert client.post(f"/concerns/{concern.pk}/photos/", {"photos": [upload]}).status_code == 302
    photo = ConcernPhoto.objects.get(concern=concern)
    with photo.file.open("rb") as stored, Image.open(stored) as image:
        assert image.format == "JPEG"
        assert not image.getexif().get_ifd(0x8825)


def test_sending_the_photo_form_without_a_photo_asks_for_one(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    assert "请选择要上传的照片" in text(client.post(f"/concerns/{concern.pk}/photos/", {}))
    assert not ConcernEvent.objects.filter(concern=concern, kind="photo_added").exists()


def test_a_photo_of_another_concern_is_not_served_under_this_one(client, login, make, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    mine = make("dispatched")
    other = make("received", area=world.cast.jizhen_grid, photos=[png()])
    login(world.users.handler)
    photo = ConcernPhoto.objects.get(concern=other)
    assert client.get(f"/concerns/{mine.pk}/photos/{photo.pk}/").status_code == 404


# --- revealing the reporter's phone -----------------------------------------------------------------------


def test_revealing_the_reporters_phone_is_audited(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/reveal/phone/", **HTMX)
    assert response.status_code == 200
    assert "13800138000" in text(response)
    assert response["Cache-Control"].startswith("max-age=0")
    entry = AuditEntry.objects.get(action=AuditAction.REVEAL, object_id=str(concern.pk))
    assert entry.actor_id == world.users.dispatcher.pk and entry.note == "查看完整诉求人电话"
    assert entry.object_type == "concerns.Concern"


def test_the_handler_of_the_concern_may_reveal_the_name(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    assert "李四" in text(client.post(f"/concerns/{concern.pk}/reveal/name/"))


def test_a_secretary_who_sees_the_concern_may_not_reveal_and_nothing_is_logged(client, login, make, world):
    concern = make("dispatched")
    login(world.users.secretary)
    response = client.post(f"/concerns/{concern.pk}/reveal/phone/")
    assert response.status_code == 403
    assert "13800138000" not in text(response)
    assert not AuditEntry.objects.filter(action=AuditAction.REVEAL).exists()


def test_revealing_needs_a_post_and_a_known_field(client, login, make, world):
    concern = make("received")
    login(world.users.dispatcher)
    assert client.get(f"/concerns/{concern.pk}/reveal/phone/").status_code == 405
    assert client.post(f"/concerns/{concern.pk}/reveal/address/").status_code == 404


# --- htmx -------------------------------------------------------------------------------------------------


def test_an_htmx_action_answers_with_the_refreshed_panel(client, login, make, world):
    concern = make("received")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/accept/", {"public_text": ""}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body and 'id="concern-panel"' in body
    assert "已受理" in body and 'id="action-dispatch"' in body and 'id="action-accept"' not in body


def test_an_htmx_action_refused_in_this_state_answers_with_the_panel_and_the_input(client, login, make, world):
    concern = make("dispatched")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/decline/", {"reason": "我填的理由"}, **HTMX)
    assert response.status_code == 200
    body = text(response)
    assert 'id="concern-panel"' in body and "<html" not in body
    assert "当前状态为已派单，不能作不予受理处理" in body and "我填的理由" in body
    assert 'id="action-decline" open' in body


def test_an_htmx_return_sends_the_handler_back_to_the_queue(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    response = client.post(f"/concerns/{concern.pk}/return/", {"reason": "非本部门职责"}, **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == "/concerns/queue/"


# --- bad input --------------------------------------------------------------------------------------------


def test_script_in_an_update_is_shown_as_text(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    client.post(f"/concerns/{concern.pk}/update/", {"text": "<script>alert('x')</script>", "public": "1"})
    body = client.get(f"/concerns/{concern.pk}/").content.decode()
    assert "<script>alert(" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body


def test_a_hundred_thousand_character_update_is_refused_and_kept(client, login, make, world):
    concern = make("dispatched")
    login(world.users.handler)
    long_text = "路" * 100_000
    response = client.post(f"/concerns/{concern.pk}/update/", {"text": long_text, "public": "1"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "进展内容不能超过2000字（现为100000字）" in body and long_text in body
    assert not ConcernEvent.objects.filter(concern=concern, kind="updated").exists()
