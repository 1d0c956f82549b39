"""The county centre (县级受理中心): a town hands a concern up (上报), the county dispatches it to a
county department or hands it back down (下派); county accounts' inbox, supervision list and
dashboard; and the county's figures (concerns.county.county_figures) against an independent count
derived from the concerns' history."""

import datetime
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from zhenwu.accounts.models import Role, User
from zhenwu.accounts.navigation import menu_for
from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import access, deadlines, services
from zhenwu.concerns.county import county_figures
from zhenwu.concerns.models import (
    CLOCK_STATUSES,
    OPEN_STATUSES,
    CallBackResult,
    Channel,
    Concern,
    ConcernEvent,
    EventKind,
    Notification,
    Status,
)
from zhenwu.concerns.rates import concern_rates
from zhenwu.concerns.services import ConcernError, ConcernPermissionDenied
from zhenwu.org.models import Department
from zhenwu.workdays import calendar as workdays

from .staff_helpers import text


@pytest.fixture
def county(world, second_town):
    """官桥镇 (the cast's) and 龙伏镇 under 浏阳市, each with its dispatcher and 城建办; the county
    centre's dispatcher and leader, and 县住建局 with its handler."""
    c = world.cast
    lf = second_town
    lf.urban = Department.objects.create(name="城建办", town=lf.town)
    housing = Department.objects.create(name="县住建局", town=c.county)

    def user(username, role, **scope):
        u = User(username=username, role=role, full_name=username, **scope)
        u.set_password("Zhenwu#2026")
        u.save()
        return u

    lf.dispatcher = user("dispatch_lf", Role.DISPATCHER, area=lf.town)
    lf.handler = user("handler_lf", Role.HANDLER, department=lf.urban)
    return SimpleNamespace(
        world=world,
        cast=c,
        gq=c.users,
        lf=lf,
        housing=housing,
        dispatcher=user("dispatch_ly", Role.DISPATCHER, area=c.county),
        leader=user("leader_ly", Role.LEADER, area=c.county, party_org=c.committee),
        housing_handler=user("handler_ly", Role.HANDLER, department=housing),
    )


def refreshed(concern):
    return Concern.objects.get(pk=concern.pk)


def kinds(concern):
    return list(ConcernEvent.objects.filter(concern=concern).order_by("at", "id").values_list("kind", flat=True))


def held(county, submit, **kwargs):
    """A concern of 官桥镇 accepted and handed up to the county centre by the town's dispatcher."""
    concern = services.accept_concern(submit(**kwargs).concern, by=county.gq.dispatcher)
    return services.escalate_concern_to_county(concern, by=county.gq.dispatcher, reason="涉及县级主管网")


# --- 上报 and 下派 ---------------------------------------------------------------------------------


def test_refer_up_and_hand_down_keep_the_full_history_audit_and_tell_the_right_dispatchers(county, submit):
    concern = held(county, submit)
    assert concern.held_at_county
    up = ConcernEvent.objects.get(concern=concern, kind=EventKind.REFERRED_UP)
    assert up.reason == "涉及县级主管网" and up.actor == county.gq.dispatcher
    assert Notification.objects.filter(recipient=county.dispatcher, concern=concern).exists()
    assert not Notification.objects.filter(recipient=county.lf.dispatcher, concern=concern).exists()

    concern = services.hand_down_concern(concern, by=county.dispatcher, reason="属本镇职责，请镇里派单")
    assert not concern.held_at_county
    down = ConcernEvent.objects.get(concern=concern, kind=EventKind.HANDED_DOWN)
    assert down.reason == "属本镇职责，请镇里派单" and down.actor == county.dispatcher
    told = Notification.objects.filter(recipient=county.gq.dispatcher, concern=concern, text__contains="下派")
    assert told.exists()

    services.dispatch_concern(concern, by=county.gq.dispatcher)
    assert kinds(concern) == [
        EventKind.SUBMITTED, EventKind.ACCEPTED, EventKind.REFERRED_UP, EventKind.HANDED_DOWN, EventKind.DISPATCHED,
    ]
    notes = list(AuditEntry.objects.filter(object_id=str(concern.pk)).values_list("note", flat=True))
    assert any(n.startswith("上报浏阳市") and "涉及县级主管网" in n for n in notes)
    assert any(n.startswith("下派官桥镇") for n in notes)


@pytest.mark.parametrize("reason", ["", "   "])
def test_refer_up_and_hand_down_need_a_reason(county, submit, reason):
    concern = submit().concern
    with pytest.raises(ConcernError) as up:
        services.escalate_concern_to_county(concern, by=county.gq.dispatcher, reason=reason)
    assert (up.value.message, up.value.field) == ("请填写上报理由", "reason")
    assert not refreshed(concern).held_at_county

    concern = held(county, submit)
    with pytest.raises(ConcernError) as down:
        services.hand_down_concern(concern, by=county.dispatcher, reason=reason)
    assert (down.value.message, down.value.field) == ("请填写下派理由", "reason")
    assert refreshed(concern).held_at_county


def test_the_page_says_in_chinese_that_the_reason_is_missing(county, submit, client, login):
    concern = submit().concern
    login(county.gq.dispatcher)
    body = text(client.post(f"/concerns/{concern.pk}/refer-up/", {"reason": ""}))
    assert "请填写上报理由" in body
    assert not refreshed(concern).held_at_county
    response = client.post(f"/concerns/{concern.pk}/refer-up/", {"reason": "跨镇事项"})
    assert response.status_code == 302
    assert refreshed(concern).held_at_county


def test_a_county_dispatcher_only_hands_down_and_a_town_only_refers_up(county, submit):
    concern = submit().concern
    with pytest.raises(ConcernPermissionDenied):
        services.hand_down_concern(concern, by=county.gq.dispatcher, reason="x")
    with pytest.raises(ConcernPermissionDenied):
        services.escalate_concern_to_county(concern, by=county.dispatcher, reason="x")
    with pytest.raises(ConcernPermissionDenied):  # another town's dispatcher
        services.escalate_concern_to_county(concern, by=county.lf.dispatcher, reason="x")
    concern = services.escalate_concern_to_county(concern, by=county.gq.leader, reason="县级统筹")
    with pytest.raises(ConcernPermissionDenied):  # already up
        services.escalate_concern_to_county(concern, by=county.gq.dispatcher, reason="x")


# --- who acts on a county-held concern -----------------------------------------------------------------


def test_town_staff_cannot_act_on_a_county_held_concern_and_are_not_offered_the_actions(county, submit, client,
                                                                                         login):
    concern = held(county, submit)
    gq = county.gq
    for user in (gq.dispatcher, gq.town_admin, gq.leader):
        offered = access.allowed_actions(user, refreshed(concern))
        assert not offered & {"accept", "decline", "dispatch", "refer_up", "hand_down", "suspend", "call_back",
                              "recategorise", "reopen"}, (user, offered)
    with pytest.raises(ConcernPermissionDenied):
        services.dispatch_concern(concern, by=gq.dispatcher, department=county.cast.urban)
    with pytest.raises(ConcernPermissionDenied):
        services.decline_concern(concern, by=gq.dispatcher, reason="不属本镇")

    login(gq.dispatcher)
    body = text(client.get(f"/concerns/{concern.pk}/"))
    assert "本件已上报县级受理中心" in body
    for action in ("dispatch", "decline", "refer_up", "hand_down", "accept"):
        assert f'id="action-{action}"' not in body
    assert client.post(f"/concerns/{concern.pk}/dispatch/", {"department": county.housing.pk}).status_code == 403
    assert client.post(f"/concerns/{concern.pk}/refer-up/", {"reason": "再报一次"}).status_code == 403
    assert refreshed(concern).department is None

    # Once with a county department and resolved: the call-back is the county's, as are 挂起 and 延期.
    concern = services.dispatch_concern(refreshed(concern), by=county.dispatcher, department=county.housing)
    assert "suspend" not in access.allowed_actions(gq.leader, refreshed(concern))
    assert "suspend" in access.allowed_actions(county.dispatcher, refreshed(concern))
    concern = services.resolve_concern(concern, by=county.housing_handler, outcome="fixed", text="栏杆已修复。")
    assert "call_back" not in access.allowed_actions(gq.dispatcher, refreshed(concern))
    assert "call_back" in access.allowed_actions(county.dispatcher, refreshed(concern))
    with pytest.raises(ConcernPermissionDenied):
        services.record_call_back(concern, by=gq.dispatcher, result=CallBackResult.SATISFIED, solved=True)
    services.record_call_back(concern, by=county.dispatcher, result=CallBackResult.SATISFIED, solved=True)
    assert refreshed(concern).status == Status.CLOSED


def test_the_call_back_and_extension_lists_hold_only_what_the_users_level_may_act_on(county, submit, client,
                                                                                    login):
    theirs = services.dispatch_concern(held(county, submit, title="县道桥梁栏杆损坏"), by=county.dispatcher,
                                       department=county.housing)
    ours = services.dispatch_concern(submit(title="九龙村路灯不亮").concern, by=county.gq.dispatcher)
    for concern, handler in ((theirs, county.housing_handler), (ours, county.gq.handler)):
        due = workdays.local_date(concern.resolution_due)
        deadlines.request_extension(concern, by=handler, reason="等待材料", new_date=workdays.next_workday(due))
    login(county.dispatcher)
    body = client.get("/concerns/extensions/").content.decode()
    assert "县道桥梁栏杆损坏" in body and "九龙村路灯不亮" not in body
    login(county.gq.dispatcher)
    body = client.get("/concerns/extensions/").content.decode()
    assert "九龙村路灯不亮" in body and "县道桥梁栏杆损坏" not in body

    for concern, handler in ((theirs, county.housing_handler), (ours, county.gq.handler)):
        deadlines.decide_extension(refreshed(concern), by=county.dispatcher if concern == theirs
                                   else county.gq.dispatcher, approve=True)
        services.resolve_concern(refreshed(concern), by=handler, outcome="fixed", text="已修复。")
    assert "九龙村路灯不亮" in client.get("/concerns/callbacks/").content.decode()
    assert "县道桥梁栏杆损坏" not in client.get("/concerns/callbacks/").content.decode()
    login(county.dispatcher)
    body = client.get("/concerns/callbacks/").content.decode()
    assert "县道桥梁栏杆损坏" in body and "九龙村路灯不亮" not in body


def test_the_county_dispatcher_dispatches_to_county_departments_only(county, submit, client, login):
    concern = held(county, submit)
    with pytest.raises(ConcernError) as refused:
        services.dispatch_concern(concern, by=county.dispatcher, department=county.cast.urban)
    assert refused.value.message == "城建办不是县直部门，县级受理中心只能派给县直部门"
    with pytest.raises(ConcernError) as none:
        services.dispatch_concern(concern, by=county.dispatcher)  # the category's default is the town's
    assert none.value.message == "请选择县级承办部门"

    login(county.dispatcher)
    body = text(client.get(f"/concerns/{concern.pk}/"))
    assert 'id="action-dispatch"' in body and 'id="action-hand_down"' in body
    dispatch_form = body.split('id="action-dispatch"', 1)[1].split("</details>", 1)[0]
    assert "县住建局" in dispatch_form and f'<option value="{county.cast.urban.pk}"' not in dispatch_form
    response = client.post(f"/concerns/{concern.pk}/dispatch/", {"department": county.housing.pk, "note": ""})
    assert response.status_code == 302
    concern = refreshed(concern)
    assert concern.department == county.housing and concern.held_at_county and concern.status == Status.DISPATCHED
    assert Notification.objects.filter(recipient=county.housing_handler, concern=concern).exists()
    assert list(Concern.objects.visible_to(county.housing_handler)) == [concern]


def test_a_county_dispatcher_leaves_the_towns_own_concerns_to_the_towns(county, submit):
    concern = submit().concern
    offered = access.allowed_actions(county.dispatcher, concern)
    assert not offered & {"accept", "dispatch", "decline", "hand_down", "refer_up"}
    with pytest.raises(ConcernPermissionDenied):
        services.dispatch_concern(concern, by=county.dispatcher, department=county.cast.urban)


# --- inbox, scope, notifications ------------------------------------------------------------------


def test_the_county_inbox_has_its_two_sections_and_a_town_filter(county, submit, client, login):
    up = held(county, submit, title="集镇污水主管网外溢")
    own = submit(title="九龙村路灯不亮").concern
    there = submit(area=county.lf.grid, title="新安村垃圾无人清运").concern
    login(county.dispatcher)
    body = client.get("/concerns/inbox/").content.decode()
    held_part, towns_part = body.split('data-testid="county-held"')[1].split('data-testid="towns-waiting"')
    assert "集镇污水主管网外溢" in held_part and "九龙村路灯不亮" not in held_part
    assert "九龙村路灯不亮" in towns_part and "新安村垃圾无人清运" in towns_part
    assert "集镇污水主管网外溢" not in towns_part

    body = client.get("/concerns/inbox/", {"town": county.lf.town.pk}).content.decode()
    assert "新安村垃圾无人清运" in body and "九龙村路灯不亮" not in body and "集镇污水主管网外溢" not in body
    assert up.pk and own.pk and there.pk

    # The town's dispatcher no longer has the county-held concern in its inbox.
    login(county.gq.dispatcher)
    body = client.get("/concerns/inbox/").content.decode()
    assert "九龙村路灯不亮" in body and "集镇污水主管网外溢" not in body


def test_a_town_dispatcher_never_sees_another_towns_concerns(county, submit, client, login):
    there = submit(area=county.lf.grid, title="新安村垃圾无人清运").concern
    services.escalate_concern_to_county(there, by=county.lf.dispatcher, reason="跨镇")
    services.hand_down_concern(there, by=county.dispatcher, reason="属本镇职责")
    gq = county.gq.dispatcher
    assert not Concern.objects.visible_to(gq).filter(pk=there.pk).exists()
    assert not access.in_scope(gq, refreshed(there))
    login(gq)
    assert client.get(f"/concerns/{there.pk}/").status_code == 404
    assert "新安村垃圾无人清运" not in client.get("/concerns/inbox/").content.decode()
    assert "新安村垃圾无人清运" not in client.get("/concerns/list/").content.decode()
    assert not Notification.objects.filter(recipient=gq, concern=there).exists()


def test_new_concerns_notify_the_towns_own_dispatchers_or_the_countys_when_it_has_none(county, submit):
    here = submit().concern
    services.complete_pending_intakes()
    assert set(Notification.objects.filter(concern=here).values_list("recipient__username", flat=True)) == {
        county.gq.dispatcher.username,
    }
    county.lf.dispatcher.is_active = False
    county.lf.dispatcher.save()
    there = submit(area=county.lf.grid).concern
    services.complete_pending_intakes()
    assert set(Notification.objects.filter(concern=there).values_list("recipient__username", flat=True)) == {
        county.dispatcher.username,
    }


def test_a_call_the_county_centre_registers_is_held_by_the_county_and_handed_down_to_the_town(county, submit):
    """A 12345 call taken at the county: the county holds it from the start, its other
    dispatchers are told, the town is not; handed down, the town's dispatcher dispatches it."""
    colleague = User(username="dispatch_ly2", role=Role.DISPATCHER, full_name="县受理员二", area=county.cast.county)
    colleague.set_unusable_password()
    colleague.save()
    concern = submit(channel=Channel.HOTLINE, by=county.dispatcher).concern
    assert refreshed(concern).held_at_county
    services.complete_pending_intakes()
    assert set(Notification.objects.filter(concern=concern).values_list("recipient__username", flat=True)) == {
        colleague.username,
    }
    assert not access.can_dispatch(county.gq.dispatcher, refreshed(concern))
    assert access.can_dispatch(county.dispatcher, refreshed(concern))

    concern = services.hand_down_concern(refreshed(concern), by=county.dispatcher, reason="属镇管道路")
    assert not concern.held_at_county and access.can_dispatch(county.gq.dispatcher, concern)
    services.dispatch_concern(concern, by=county.gq.dispatcher, department=county.cast.urban)
    assert kinds(concern)[-3:] == [EventKind.HANDED_DOWN, EventKind.ACCEPTED, EventKind.DISPATCHED]

    town_call = submit(channel=Channel.HOTLINE, by=county.gq.dispatcher).concern
    assert not refreshed(town_call).held_at_county  # a town's own registration stays with the town


# --- county leaders: supervision, dashboard, menu ------------------------------------------------------


def test_the_county_leaders_supervision_list_filters_by_town(county, submit, client, login, time_machine):
    time_machine.move_to(datetime.datetime(2026, 9, 1, 10, 0, tzinfo=timezone.get_current_timezone()), tick=False)
    submit(title="九龙村路灯不亮")
    submit(area=county.lf.grid, title="新安村垃圾无人清运")
    time_machine.move_to(datetime.datetime(2026, 10, 20, 10, 0, tzinfo=timezone.get_current_timezone()), tick=False)
    login(county.leader)
    body = client.get("/concerns/supervision/").content.decode()
    assert "九龙村路灯不亮" in body and "新安村垃圾无人清运" in body and 'id="supervision-town"' in body
    body = client.get("/concerns/supervision/", {"town": county.lf.town.pk}).content.decode()
    assert "新安村垃圾无人清运" in body and "九龙村路灯不亮" not in body


def test_the_county_dashboard_is_for_county_accounts_and_in_their_menu(county, submit, client, login):
    concern = held(county, submit)
    services.dispatch_concern(concern, by=county.dispatcher, department=county.housing)
    submit(area=county.lf.grid)
    assert "县级看板" in [item["label"] for item in menu_for(county.leader)]
    assert "县级看板" in [item["label"] for item in menu_for(county.dispatcher)]
    assert "县级看板" not in [item["label"] for item in menu_for(county.gq.leader)]
    login(county.gq.leader)
    assert client.get("/reports/county/").status_code == 403
    login(county.leader)
    response = client.get("/reports/county/")
    assert response.status_code == 200
    body = text(response)
    assert "官桥镇" in body and "龙伏镇" in body and "县住建局" in body and "县直" in body
    figures = response.context["figures"]
    assert [(r.label, r.received) for r in figures.towns] == [("官桥镇", 1), ("龙伏镇", 1)]


# --- figures: each concern once ---------------------------------------------------------------------


def test_the_rates_and_county_figures_count_a_concern_that_went_up_and_down_once(county, submit):
    concern = held(county, submit)
    concern = services.hand_down_concern(concern, by=county.dispatcher, reason="属本镇职责")
    concern = services.escalate_concern_to_county(concern, by=county.gq.dispatcher, reason="仍需县里协调")
    services.dispatch_concern(concern, by=county.dispatcher, department=county.housing)
    (row,) = concern_rates(by="town")
    assert row.received == 1
    figures = county_figures(county.cast.county)
    assert [(r.label, r.received, r.open) for r in figures.towns] == [("官桥镇", 1, 1), ("龙伏镇", 0, 0)]
    assert [(r.label, r.group, r.received) for r in figures.departments] == [("县住建局", "县直", 1)]
    assert figures.total.received == 1


# The path each generated concern takes: where it is held and who got it.
PATHS = ["received", "up", "up_down", "county_department", "town_department", "declined"]
ENDINGS = ["open", "resolved", "satisfied", "basically_satisfied"]
CONCERN = st.tuples(
    st.sampled_from(["gq", "lf"]),
    st.sampled_from(PATHS),
    st.sampled_from(ENDINGS),
    st.sampled_from([0, 40]),  # days before now it was received (40: past its deadline)
)
EXAMPLES = settings(max_examples=20, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _make(county, submit, town, path, ending, days, now):
    c = county
    area, dispatcher = (c.cast.jiulong_grid, c.gq.dispatcher) if town == "gq" else (c.lf.grid, c.lf.dispatcher)
    own_department, own_handler = (c.cast.urban, c.gq.handler) if town == "gq" else (c.lf.urban, c.lf.handler)
    concern = submit(area=area, received_at=now - datetime.timedelta(days=days)).concern
    if path == "received":
        return
    if path == "declined":
        services.decline_concern(concern, by=dispatcher, reason="不属受理范围")
        return
    if path in ("up", "up_down", "county_department"):
        concern = services.escalate_concern_to_county(concern, by=dispatcher, reason="县级事项")
    if path == "up":
        return
    if path == "up_down":
        concern = services.hand_down_concern(concern, by=c.dispatcher, reason="属本镇职责")
        return
    if path == "county_department":
        concern = services.dispatch_concern(concern, by=c.dispatcher, department=c.housing)
        handler, caller = c.housing_handler, c.dispatcher
    else:
        concern = services.dispatch_concern(concern, by=dispatcher, department=own_department)
        handler, caller = own_handler, dispatcher
    if ending == "open":
        return
    concern = services.resolve_concern(concern, by=handler, outcome="fixed", text="已办结。")
    if ending in ("satisfied", "basically_satisfied"):
        services.record_call_back(concern, by=caller, result=ending, solved=True)


def _from_history(county, now):
    """The figures counted from each concern's history (its events), by the written rule: the
    department is the one the last 派单 gave it unless a later 退单 or 不予受理 took it away; the
    status is where its last event left it; resolved once its last 办结 was not followed by a
    重办; the verdict is its last 回访's. Each concern is one key of a dict."""
    concerns = {c.pk: c for c in Concern.objects.filter(town__path__startswith=county.cast.county.path)}
    found = {}
    for event in ConcernEvent.objects.filter(concern__in=list(concerns)).order_by("concern_id", "at", "id"):
        state = found.setdefault(event.concern_id, dict(department=None, status="", resolved_at=None, verdict=""))
        if event.kind == EventKind.DISPATCHED:
            state["department"] = event.department_id
        elif event.kind in (EventKind.RETURNED, EventKind.DECLINED):
            state["department"] = None
        if event.kind == EventKind.RESOLVED:
            state["resolved_at"] = event.at
        elif event.kind == EventKind.REOPENED:
            state["resolved_at"] = None
        if event.kind == EventKind.CALLED_BACK:
            state["verdict"] = event.data["result"]
        if event.to_status:
            state["status"] = event.to_status
    by_town, by_department = {}, {}
    for pk, state in found.items():
        if state["status"] == Status.DUPLICATE:
            continue
        due = concerns[pk].resolution_due
        counts = dict(
            received=1,
            open=int(state["status"] in OPEN_STATUSES),
            overdue=int(state["status"] in CLOCK_STATUSES and due < now),
            resolved=int(state["resolved_at"] is not None),
            resolved_on_time=int(state["resolved_at"] is not None and state["resolved_at"] <= due),
            assessed=int(state["verdict"] in ("satisfied", "basically_satisfied", "unsatisfied")),
            satisfied=int(state["verdict"] == "satisfied"),
            basically_satisfied=int(state["verdict"] == "basically_satisfied"),
        )
        for table, key in ((by_town, concerns[pk].town_id), (by_department, state["department"])):
            row = table.setdefault(key, dict.fromkeys(counts, 0))
            for name, value in counts.items():
                row[name] += value
    return by_town, by_department


def test_county_figures_agree_with_a_count_from_the_history(county, submit):
    @EXAMPLES
    @given(st.lists(CONCERN, max_size=8))
    def check(generated):
        with transaction.atomic():
            now = timezone.now()
            for town, path, ending, days in generated:
                _make(county, submit, town, path, ending, days, now)
            figures = county_figures(county.cast.county, now=now)
            by_town, by_department = _from_history(county, now)
            empty = dict.fromkeys(figures.total.counts(), 0)
            assert {r.key: r.counts() for r in figures.towns} == {
                t: by_town.get(t, empty) for t in (county.cast.town.pk, county.lf.town.pk)
            }
            assert {r.key: r.counts() for r in figures.departments} == by_department
            assert figures.total.received == len(generated)
            transaction.set_rollback(True)

    check()


def test_the_api_hands_a_concern_up_and_down_with_the_same_rules(county, submit, as_user):
    concern = submit().concern
    refused = as_user(county.gq.dispatcher, "post", f"/concerns/{concern.pk}/refer-up/", {"reason": ""})
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    assert not refreshed(concern).held_at_county
    up = as_user(county.gq.dispatcher, "post", f"/concerns/{concern.pk}/refer-up/", {"reason": "跨镇事项"}).json()
    assert up["held_at_county"] is True
    assert "dispatch" not in up["allowed_actions"] and "refer_up" not in up["allowed_actions"]
    assert as_user(county.gq.dispatcher, "post", f"/concerns/{concern.pk}/hand-down/", {"reason": "x"}).status_code == 403
    seen = as_user(county.dispatcher, "get", f"/concerns/{concern.pk}/").json()
    assert {"dispatch", "hand_down"} <= set(seen["allowed_actions"])
    down = as_user(county.dispatcher, "post", f"/concerns/{concern.pk}/hand-down/", {"reason": "属本镇职责"}).json()
    assert down["held_at_county"] is False


def test_the_county_inbox_takes_the_same_number_of_queries_for_more_concerns(county, submit, client, login,
                                                                           django_assert_num_queries):
    login(county.dispatcher)
    held(county, submit)
    submit(area=county.lf.grid)
    client.get("/concerns/inbox/")  # warm the session and the per-process caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get("/concerns/inbox/").status_code == 200
    for _ in range(3):
        held(county, submit)
        submit(area=county.lf.grid)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get("/concerns/inbox/").status_code == 200


def test_a_county_dispatcher_opens_the_home_page_and_each_page_of_its_menu(county, client, login):
    login(county.dispatcher)
    for item in menu_for(county.dispatcher):
        assert client.get(item["url"]).status_code == 200, item
    login(county.leader)
    for item in menu_for(county.leader):
        assert client.get(item["url"]).status_code == 200, item
