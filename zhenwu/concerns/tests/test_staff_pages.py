"""The staff work lists through the client: who may open each, what each shows (scope, order,
due dates, filters), bounded query counts, bulk dispatch, registration and notifications."""

import re

import pytest
from django.urls import reverse

from zhenwu.accounts.navigation import MENU
from zhenwu.concerns import services
from zhenwu.concerns.models import Channel, Concern, Notification, Status

from .conftest import local
from .staff_helpers import in_state, png, text

LISTS = {
    "inbox": "/concerns/inbox/",
    "queue": "/concerns/queue/",
    "list": "/concerns/list/",
    "supervision": "/concerns/supervision/",
    "callbacks": "/concerns/callbacks/",
}

# Who may open each list (everyone else gets 403).
ALLOWED = {
    "inbox": {"town_admin", "dispatcher"},
    "queue": {"handler"},
    "list": {"town_admin", "leader", "dispatcher", "handler", "secretary", "grid_worker", "other_grid_worker"},
    "supervision": {"town_admin", "leader"},
    "callbacks": {"town_admin", "dispatcher"},
}
ROLES = ["town_admin", "leader", "dispatcher", "handler", "secretary", "grid_worker", "other_grid_worker",
         "instructor", "member"]


def references(response):
    """The reference numbers a page lists, in order, each once."""
    return list(dict.fromkeys(re.findall(r"GQ-\d{4}-\d{6}", response.content.decode())))


@pytest.fixture
def make(submit, world):
    def _make(state, **kwargs):
        return in_state(state, submit=submit, world=world, **kwargs)

    return _make


def test_every_concerns_menu_entry_resolves():
    for _, name, _ in MENU:
        if name.startswith("concerns:"):
            assert reverse(name).startswith("/concerns/")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", list(LISTS))
def test_each_list_opens_only_for_its_roles(client, login, world, role, page):
    login(getattr(world.users, role))
    status = client.get(LISTS[page]).status_code
    assert status == (200 if role in ALLOWED[page] else 403)


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    for url in list(LISTS.values()) + ["/concerns/register/", "/concerns/notifications/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- scope -------------------------------------------------------------------------------------------------


@pytest.fixture
def spread(make, world):
    """Dispatched concerns in three places and two departments, plus one new one."""
    c = world.cast
    return {
        "jl_grid1_urban": make("dispatched", area=c.jiulong_grid),
        "jl_grid2_env": make("dispatched", area=c.jiulong_grid2, category=world.sanitation),
        "jz_urban": make("dispatched", area=c.jizhen_grid),
        "jz_new": make("received", area=c.jizhen_grid),
    }


@pytest.mark.parametrize("role,expected", [
    ("town_admin", {"jl_grid1_urban", "jl_grid2_env", "jz_urban", "jz_new"}),
    ("leader", {"jl_grid1_urban", "jl_grid2_env", "jz_urban", "jz_new"}),
    ("dispatcher", {"jl_grid1_urban", "jl_grid2_env", "jz_urban", "jz_new"}),
    ("handler", {"jl_grid1_urban", "jz_urban"}),
    ("secretary", {"jl_grid1_urban", "jl_grid2_env"}),
    ("grid_worker", {"jl_grid1_urban"}),
    ("other_grid_worker", {"jz_urban", "jz_new"}),
])
def test_the_concern_list_stays_within_each_roles_scope(client, login, world, spread, role, expected):
    login(getattr(world.users, role))
    shown = set(references(client.get("/concerns/list/")))
    assert shown == {spread[key].reference for key in expected}


def test_the_queue_shows_only_the_handlers_department(client, login, world, spread):
    login(world.users.handler)
    shown = set(references(client.get("/concerns/queue/")))
    assert shown == {spread["jl_grid1_urban"].reference, spread["jz_urban"].reference}


def test_another_departments_handler_cannot_open_the_concern(client, login, world, spread):
    login(world.users.handler)
    assert client.get(f"/concerns/{spread['jl_grid2_env'].pk}/").status_code == 404
    assert client.get(f"/concerns/{spread['jl_grid1_urban'].pk}/").status_code == 200


def test_a_grid_worker_opens_their_grids_concern_but_not_the_next_grids(client, login, world, spread):
    login(world.users.grid_worker)
    assert client.get(f"/concerns/{spread['jl_grid1_urban'].pk}/").status_code == 200
    assert client.get(f"/concerns/{spread['jl_grid2_env'].pk}/").status_code == 404


# --- inbox, queue, supervision, call-backs ----------------------------------------------------------------


def test_the_inbox_lists_new_and_returned_concerns_earliest_deadline_first(client, login, make, world, time_machine):
    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    older = make("received")
    time_machine.move_to(local(2026, 3, 3, 9, 0), tick=False)
    returned = make("returned")
    time_machine.move_to(local(2026, 3, 4, 9, 0), tick=False)
    newer = make("accepted")
    make("dispatched")
    make("declined")
    login(world.users.dispatcher)
    response = client.get("/concerns/inbox/")
    assert references(response) == [older.reference, returned.reference, newer.reference]
    body = text(response)
    assert "响应</small> 03-03" in body  # the first one's response deadline
    assert "默认：城建办" in body


def test_the_inbox_keeps_status_tags_and_dates_on_one_line(client, login, make, world):
    from pathlib import Path

    from django.conf import settings

    make("received")
    login(world.users.dispatcher)
    body = text(client.get("/concerns/inbox/"))
    assert re.search(r'<td data-label="状态" class="col-status">', body)
    assert len(re.findall(r'<td data-label="(登记|截止)" class="col-date">', body)) == 2
    css = (Path(settings.BASE_DIR) / "zhenwu/static/css/app.css").read_text()
    assert re.search(r"\.col-date \{[^}]*white-space: nowrap", css)
    assert re.search(r"\.tag \{[^}]*white-space: nowrap", css)


def test_the_queue_puts_concerns_awaiting_signature_first_then_overdue_then_by_due_date(
    client, login, make, world, time_machine
):
    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    long_limit = make("dispatched")  # road: 5 working days
    time_machine.move_to(local(2026, 3, 20, 9, 0), tick=False)
    recent = make("dispatched")
    time_machine.move_to(local(2026, 3, 4, 9, 0), tick=False)
    middle = make("in_progress")
    time_machine.move_to(local(2026, 3, 23, 9, 0), tick=False)
    login(world.users.handler)
    response = client.get("/concerns/queue/")
    # both dispatched ones await 签收 (earliest 签收 deadline first), then the one in hand
    assert references(response) == [long_limit.reference, recent.reference, middle.reference]
    assert text(response).count('<span class="tag danger">超期</span>') == 2


def test_the_supervision_list_holds_overdue_and_supervised_concerns_only(client, login, make, world, time_machine):
    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    overdue = make("dispatched")
    time_machine.move_to(local(2026, 3, 30, 9, 0), tick=False)
    supervised = make("in_progress")
    services.supervise_concern(supervised, by=world.users.leader, note="月底前办结")
    calm = make("in_progress")
    login(world.users.leader)
    response = client.get("/concerns/supervision/")
    shown = references(response)
    assert shown == [overdue.reference, supervised.reference]
    assert calm.reference not in shown
    assert "领导督办" in text(response) and "月底前办结" in text(response)


def test_a_leader_supervises_from_the_list_and_gets_the_row_back(client, login, make, world, time_machine):
    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    concern = make("dispatched")
    time_machine.move_to(local(2026, 3, 30, 9, 0), tick=False)
    login(world.users.leader)
    response = client.post(
        f"/concerns/{concern.pk}/supervise/",
        {"note": "三日内答复", "from": "supervision", "next": "/concerns/supervision/"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = text(response)
    assert f'id="row-{concern.pk}"' in body and "已督办" in body and "<html" not in body
    assert Concern.objects.get(pk=concern.pk).is_supervised


def test_a_refused_supervision_from_the_list_keeps_the_row_and_the_message(client, login, make, world):
    concern = make("in_progress")
    login(world.users.leader)
    response = client.post(
        f"/concerns/{concern.pk}/supervise/", {"note": "", "from": "supervision"}, HTTP_HX_REQUEST="true"
    )
    body = text(response)
    assert f'id="row-{concern.pk}"' in body and "请填写督办意见" in body


def test_the_call_back_list_shows_resolved_concerns_with_a_masked_phone(client, login, make, world):
    resolved = make("resolved")
    make("in_progress")
    make("closed")
    login(world.users.dispatcher)
    response = client.get("/concerns/callbacks/")
    assert references(response) == [resolved.reference]
    body = text(response)
    assert "138****8000" in body and "13800138000" not in body and "已修复。" in body


def test_a_call_back_recorded_from_the_list_replaces_the_row(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    response = client.post(
        f"/concerns/{concern.pk}/call-back/",
        {"solved": "0", "result": "unsatisfied", "note": "路面又坏了", "from": "callback_list"},
        HTTP_HX_REQUEST="true",
    )
    body = text(response)
    assert "回访结果已登记" in body and "办理中" in body
    assert Concern.objects.get(pk=concern.pk).reopen_count == 1


def test_a_half_answered_call_back_from_the_list_keeps_what_was_chosen(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    response = client.post(
        f"/concerns/{concern.pk}/call-back/",
        {"result": "basically_satisfied", "note": "电话记录", "from": "callback_list"},
        HTTP_HX_REQUEST="true",
    )
    body = text(response)
    assert "请选择问题是否已解决" in body and "电话记录" in body
    assert 'value="basically_satisfied" checked' in body
    assert Concern.objects.get(pk=concern.pk).status == Status.RESOLVED


def test_without_htmx_a_call_back_from_the_list_returns_to_the_list(client, login, make, world):
    concern = make("resolved")
    login(world.users.dispatcher)
    response = client.post(
        f"/concerns/{concern.pk}/call-back/",
        {"solved": "1", "result": "satisfied", "from": "callback_list", "next": "/concerns/callbacks/"},
    )
    assert response.status_code == 302 and response["Location"] == "/concerns/callbacks/"


def test_an_outside_next_address_is_ignored(client, login, make, world):
    concern = make("received")
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/accept/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/concerns/{concern.pk}/"


# --- the concern list's filters and paging ------------------------------------------------------------------


def test_the_list_filters_by_status_category_department_village_channel_and_text(client, login, make, world):
    c = world.cast
    road_jl = make("dispatched", area=c.jiulong_grid, text="九龙村主干道路面塌陷")
    san_jz = make("dispatched", area=c.jizhen_grid, category=world.sanitation, text="集镇菜市场垃圾堆积")
    hotline = make("received", channel=Channel.HOTLINE, by=world.users.dispatcher, text="来电反映路灯不亮")
    login(world.users.dispatcher)

    def shown(**params):
        return set(references(client.get("/concerns/list/", params)))

    assert shown(status="dispatched") == {road_jl.reference, san_jz.reference}
    assert shown(status="open") == {road_jl.reference, san_jz.reference, hotline.reference}
    assert shown(category=world.sanitation.pk) == {san_jz.reference}
    assert shown(department=world.env.pk) == {san_jz.reference}
    assert shown(village=c.jiulong.pk) == {road_jl.reference, hotline.reference}
    assert shown(channel="hotline") == {hotline.reference}
    assert shown(q="垃圾") == {san_jz.reference}
    assert shown(q=road_jl.reference) == {road_jl.reference}


def test_the_list_filters_overdue_and_by_received_date_in_local_time(client, login, make, world, time_machine):
    time_machine.move_to(local(2026, 3, 2, 0, 30), tick=False)  # 16:30 UTC the day before
    early = make("dispatched")
    time_machine.move_to(local(2026, 3, 20, 23, 30), tick=False)
    late = make("dispatched")
    time_machine.move_to(local(2026, 3, 21, 9, 0), tick=False)
    login(world.users.leader)
    assert references(client.get("/concerns/list/", {"overdue": "on"})) == [early.reference]
    assert references(client.get("/concerns/list/", {"date_from": "2026-03-02", "date_to": "2026-03-02"})) == [
        early.reference
    ]
    assert references(client.get("/concerns/list/", {"date_from": "2026-03-20"})) == [late.reference]


def test_bad_filters_get_a_chinese_message_not_an_error_page(client, login, make, world):
    make("received")
    login(world.users.dispatcher)
    response = client.get(
        "/concerns/list/", {"date_from": "2026-13-45", "status": "nonsense", "category": "abc"}
    )
    assert response.status_code == 200
    body = text(response)
    assert "起始日期格式不正确" in body and "选项不存在" in body
    response = client.get("/concerns/list/", {"date_from": "2026-03-05", "date_to": "2026-03-01"})
    assert "截止日期不能早于起始日期" in text(response)


def test_the_list_pages_by_twenty_and_htmx_gets_the_results_only(client, login, submit, world):
    for i in range(23):
        submit(text=f"第{i}号诉求：村道坑洼")
    login(world.users.dispatcher)
    first = client.get("/concerns/list/")
    assert len(references(first)) == 20 and "第 1 / 2 页" in text(first)
    second = client.get("/concerns/list/", {"page": 2}, HTTP_HX_REQUEST="true")
    assert len(references(second)) == 3
    assert "<html" not in text(second) and 'id="results"' in text(second)


# --- bounded queries ------------------------------------------------------------------------------------


def _fill(make, world, n):
    """n concerns across states and places: resolved, supervised, overdue and new ones."""
    c = world.cast
    states = ["received", "dispatched", "in_progress", "resolved", "returned"]
    areas = [c.jiulong_grid, c.jiulong_grid2, c.jizhen_grid]
    made = []
    for i in range(n):
        concern = make(states[i % len(states)], area=areas[i % len(areas)])
        if concern.status == Status.IN_PROGRESS and i % 2:
            services.supervise_concern(concern, by=world.users.leader, note="督办")
        made.append(concern)
    return made


@pytest.mark.parametrize("role,url", [
    ("dispatcher", "/concerns/inbox/"),
    ("handler", "/concerns/queue/"),
    ("dispatcher", "/concerns/list/?status=open&category=1&village=4&date_from=2020-01-01"),
    ("leader", "/concerns/supervision/"),
    ("dispatcher", "/concerns/callbacks/"),
    ("secretary", "/concerns/list/"),
])
def test_list_pages_take_a_bounded_number_of_queries(
    client, login, make, world, role, url, django_assert_max_num_queries, time_machine
):
    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    _fill(make, world, 5)
    time_machine.move_to(local(2026, 4, 2, 9, 0), tick=False)  # the early ones are overdue now
    login(getattr(world.users, role))
    with django_assert_max_num_queries(16) as few:
        assert client.get(url).status_code == 200
    _fill(make, world, 30)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert references(response), "the page must list something for the bound to mean anything"
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_concern_page_takes_a_bounded_number_of_queries(client, login, make, world, django_assert_max_num_queries):
    concern = make("in_progress")
    for i in range(10):
        services.post_update(concern, by=world.users.handler, text=f"进展{i}", public=bool(i % 2))
    login(world.users.town_admin)
    with django_assert_max_num_queries(30):
        assert client.get(f"/concerns/{concern.pk}/").status_code == 200


# --- bulk dispatch ---------------------------------------------------------------------------------------


def test_bulk_dispatch_sends_each_to_its_categorys_department(client, login, make, world):
    road, sanitation = make("received"), make("accepted", category=world.sanitation)
    returned = make("returned")
    login(world.users.dispatcher)
    response = client.post("/concerns/inbox/dispatch/", {"ids": [road.pk, sanitation.pk, returned.pk]}, follow=True)
    assert "已派单3件" in text(response)
    got = {c.pk: (c.status, c.department_id) for c in Concern.objects.filter(pk__in=[road.pk, sanitation.pk, returned.pk])}
    assert got == {
        road.pk: (Status.DISPATCHED, world.cast.urban.pk),
        sanitation.pk: (Status.DISPATCHED, world.env.pk),
        returned.pk: (Status.DISPATCHED, world.cast.urban.pk),
    }


def test_bulk_dispatch_to_one_department_reports_those_it_could_not_send(client, login, make, world):
    lamp = make("received", category=world.lamp)
    road = make("received")
    login(world.users.dispatcher)
    response = client.post("/concerns/inbox/dispatch/", {"ids": [lamp.pk, road.pk], "department": ""}, follow=True)
    body = text(response)
    assert "已派单1件" in body
    assert f"{lamp.reference}未派单：请选择承办部门（该类别没有默认承办部门）" in body
    assert Concern.objects.get(pk=lamp.pk).status == Status.RECEIVED

    response = client.post(
        "/concerns/inbox/dispatch/", {"ids": [lamp.pk], "department": world.env.pk}, follow=True
    )
    assert Concern.objects.get(pk=lamp.pk).department == world.env


def test_bulk_dispatch_ignores_concerns_outside_the_inbox(client, login, make, world):
    dispatched = make("dispatched")
    login(world.users.dispatcher)
    response = client.post("/concerns/inbox/dispatch/", {"ids": [dispatched.pk]}, follow=True)
    assert "所选诉求已不在待派单列表中" in text(response)
    response = client.post("/concerns/inbox/dispatch/", {}, follow=True)
    assert "请先勾选要派单的诉求" in text(response)


def test_only_dispatchers_bulk_dispatch(client, login, make, world):
    concern = make("received")
    login(world.users.leader)
    assert client.post("/concerns/inbox/dispatch/", {"ids": [concern.pk]}).status_code == 403
    assert Concern.objects.get(pk=concern.pk).status == Status.RECEIVED


# --- registration ---------------------------------------------------------------------------------------


def _register_data(world, **overrides):
    data = {
        "channel": "hotline",
        "text": "来电反映：岸山路是断头路，出行要绕五公里。",
        "title": "",
        "category": world.road.pk,
        "area": world.cast.jizhen.pk,
        "address": "岸山路",
        "urgency": "normal",
        "reporter_name": "王五",
        "reporter_phone": "139 1234 5678",
        "submission_key": "k-1",
    }
    data.update(overrides)
    return data


def test_a_dispatcher_registers_a_call_once_even_if_sent_twice(client, login, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(world.users.dispatcher)
    form = text(client.get("/concerns/register/"))
    assert 'name="submission_key"' in form and "九龙村第一网格" in form
    data = _register_data(world, photos=[png()])
    first = client.post("/concerns/register/", data)
    second = client.post("/concerns/register/", _register_data(world))
    concern = Concern.objects.get()
    assert first["Location"] == second["Location"] == f"/concerns/{concern.pk}/"
    assert concern.channel == Channel.HOTLINE and concern.registered_by == world.users.dispatcher
    assert concern.reporter_phone == "13912345678" and concern.village == world.cast.jizhen
    assert concern.photos.count() == 1
    page = text(client.get(first["Location"]))
    assert f"已登记，编号{concern.reference}" in page
    follow_path = re.search(r"http://testserver(/concerns/follow/[^\s<\"]+)", page).group(1)
    client.logout()
    assert client.get(follow_path).status_code == 200  # the resident's private link works


def test_registering_with_a_bad_phone_keeps_everything_typed(client, login, world):
    login(world.users.dispatcher)
    response = client.post("/concerns/register/", _register_data(world, reporter_phone="12345"))
    assert response.status_code == 200
    body = text(response)
    assert "联系电话格式不正确" in body
    assert "岸山路是断头路" in body and 'value="王五"' in body and 'value="12345"' in body
    assert not Concern.objects.exists()


def test_registering_without_text_or_category_names_the_fields(client, login, world):
    login(world.users.dispatcher)
    body = text(client.post("/concerns/register/", _register_data(world, text="", category="")))
    assert "请选择诉求类别" in body
    body = text(client.post("/concerns/register/", _register_data(world, text="   ")))
    assert "请填写诉求内容" in body


def test_a_grid_worker_registers_only_in_their_grid(client, login, world):
    login(world.users.grid_worker)
    body = text(client.get("/concerns/register/"))
    assert "九龙村第一网格" in body and "集镇村" not in body
    response = client.post("/concerns/register/", _register_data(world, area=world.cast.jizhen.pk))
    assert "选项不存在" in text(response)
    response = client.post("/concerns/register/", _register_data(world, area=world.cast.jiulong_grid.pk, channel="walk_in"))
    assert response.status_code == 302
    assert Concern.objects.get().channel == Channel.WALK_IN


@pytest.mark.parametrize("role", ["member", "instructor", "leader", "handler"])
def test_roles_without_an_area_to_file_under_may_not_register(client, login, world, role):
    login(getattr(world.users, role))
    assert client.get("/concerns/register/").status_code == 403
    assert client.post("/concerns/register/", _register_data(world)).status_code == 403
    assert not Concern.objects.exists()


def test_a_repeat_callers_earlier_concerns_are_found_by_phone(client, login, make, world):
    earlier = make("dispatched")  # reported from 13800138000
    login(world.users.dispatcher)
    body = text(client.get("/concerns/register/earlier/", {"reporter_phone": "1380013800"}, HTTP_HX_REQUEST="true"))
    assert earlier.reference not in body  # a malformed number (ten digits) matches nothing
    body = text(client.get("/concerns/register/earlier/", {"reporter_phone": "138-0013-8000"}, HTTP_HX_REQUEST="true"))
    assert earlier.reference in body  # written with hyphens it is the same number (zhenwu.lib.phone)
    body = text(client.get("/concerns/register/earlier/", {"reporter_phone": "13800138000"}, HTTP_HX_REQUEST="true"))
    assert earlier.reference in body and "13800138000" not in body.replace('value="13800138000"', "")


# --- notifications --------------------------------------------------------------------------------------


def test_the_bell_counts_unread_notifications_and_the_list_marks_them_read(client, login, make, world):
    concern = make("dispatched")  # notifies 城建办's handler
    make("dispatched")
    Notification.objects.create(recipient=world.users.dispatcher, text="别人的通知")
    login(world.users.handler)
    home = text(client.get("/"))
    assert 'aria-label="通知，2条未读">通知<span class="count">2</span>' in home
    page = text(client.get("/concerns/notifications/"))
    assert "2 条未读" in page and f"新派单{concern.reference}" in page and "别人的通知" not in page
    mine = Notification.objects.filter(recipient=world.users.handler).order_by("id")
    client.post("/concerns/notifications/read/", {"ids": [mine[0].pk]})
    assert Notification.objects.filter(recipient=world.users.handler, read_at__isnull=True).count() == 1
    client.post("/concerns/notifications/read/", {"all": "1"})
    assert not Notification.objects.filter(recipient=world.users.handler, read_at__isnull=True).exists()
    assert 'class="count"' not in text(client.get("/"))


def test_marking_someone_elses_notification_read_does_nothing(client, login, world):
    theirs = Notification.objects.create(recipient=world.users.dispatcher, text="受理员的通知")
    login(world.users.handler)
    client.post("/concerns/notifications/read/", {"ids": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_members_have_no_bell(client, login, world):
    login(world.users.member)
    assert "通知" not in text(client.get("/")).split("<main", 1)[0]


# --- the home page --------------------------------------------------------------------------------------


def _home_cards(response):
    body = text(response)
    section = body.split("<h2>民情办理</h2>", 1)[1].split("<h2>", 1)[0] if "<h2>民情办理</h2>" in body else ""
    return {label: int(value) for value, label in re.findall(
        r'<div class="value">(\d+)</div><div class="label">([^（<]+)（件）', section
    )}


def test_each_role_sees_its_concern_counts_on_the_home_page(client, login, make, world, time_machine):
    time_machine.move_to(local(2026, 3, 2, 9, 0), tick=False)
    make("dispatched", area=world.cast.jiulong_grid)
    make("resolved", area=world.cast.jizhen_grid)
    time_machine.move_to(local(2026, 4, 1, 9, 0), tick=False)
    make("received", area=world.cast.jiulong_grid2)
    make("in_progress", area=world.cast.jizhen_grid, category=world.sanitation)
    make("closed", area=world.cast.jiulong_grid)  # history: on no card

    expected = {
        "dispatcher": {"待受理派单": 1, "未办结": 3, "超期": 1, "待回访": 1},
        "handler": {"待办": 1, "超期": 1, "待回访": 1},
        "leader": {"未办结": 3, "超期": 1, "督办中": 0, "待回访": 1},
        "secretary": {"未办结": 2, "超期": 1, "待回访": 0},
        "grid_worker": {"未办结": 1, "超期": 1, "待回访": 0},
    }
    for role, cards in expected.items():
        client.logout()
        login(getattr(world.users, role))
        assert _home_cards(client.get("/")) == cards, role
    client.logout()
    login(world.users.member)
    assert _home_cards(client.get("/")) == {}
