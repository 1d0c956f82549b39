import datetime
import re

import pytest

from zhenwu.org import services


def _text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def _card(body, label):
    match = re.search(r'<div class="value">(\d+)</div><div class="label">' + re.escape(label), body)
    return int(match.group(1)) if match else None


ROLES = ["town_admin", "leader", "dispatcher", "handler", "secretary", "grid_worker", "other_grid_worker",
         "instructor", "member"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reaches_a_home_page_with_its_scope(client, cast, login, role):
    user = getattr(cast.users, role)
    login(user)
    body = _text(client.get("/"))
    expected_scope = {
        "handler": "城建办", "instructor": "九龙村党总支", "member": "九龙村第一党支部",
        "secretary": "九龙村", "grid_worker": "九龙村第一网格", "other_grid_worker": "集镇村第一网格",
    }.get(role, "官桥镇")
    assert f"{user.get_role_display()} · {expected_scope}" in body


@pytest.mark.parametrize("role,households,members", [
    ("town_admin", 3, 2), ("leader", 3, 2), ("dispatcher", 3, None), ("secretary", 2, 1),
    ("grid_worker", 1, None), ("other_grid_worker", 1, None), ("instructor", None, 1), ("handler", None, None),
    ("member", None, None),
])
def test_home_counts_stay_within_the_scope(client, cast, login, role, households, members):
    login(getattr(cast.users, role))
    body = _text(client.get("/"))
    assert _card(body, "住户") == households
    assert _card(body, "党员") == members


def test_the_town_overview_lists_each_village_for_admins_and_leaders(client, cast, login):
    login(cast.users.leader)
    body = _text(client.get("/"))
    assert "各村（社区）概况" in body
    assert re.search(r"九龙村</a></td><td>2</td><td>2</td><td>1</td><td>1</td>", body)
    assert re.search(r"集镇村</a></td><td>1</td><td>1</td><td>1</td><td>1</td>", body)


def test_the_town_overview_is_not_shown_to_village_roles(client, cast, login):
    login(cast.users.secretary)
    assert "各村（社区）概况" not in _text(client.get("/"))


def test_a_grid_worker_sees_the_elderly_living_alone_in_their_grid(client, cast, login):
    login(cast.users.grid_worker)
    body = _text(client.get("/"))
    assert "独居老人" in body and "黎明" in body
    assert _card(body, "独居老人") == 1


def test_the_other_grid_worker_does_not_see_them(client, cast, login):
    login(cast.users.other_grid_worker)
    body = _text(client.get("/"))
    assert "黎明" not in body and _card(body, "独居老人") == 0


def test_secretaries_and_instructors_see_who_needs_lessons_at_home(client, cast, login):
    login(cast.users.instructor)
    body = _text(client.get("/"))
    assert "需送学上门的党员" in body and "黎干亮" in body and "彭镇铭" not in body
    assert "九龙村第一党支部" in body  # the branch table under the assigned organisation


def test_a_member_sees_their_own_record_masked(client, cast, login):
    login(cast.users.member)
    body = _text(client.get("/"))
    assert "我的党员档案" in body and "136****0001" in body and "13600000001" not in body


def test_a_member_without_a_record_is_told_so(client, cast, login):
    services.link_member_account(cast.members.jiulong, user=None)
    login(cast.users.member)
    assert "尚未关联党员档案" in _text(client.get("/"))


def test_the_home_page_query_count_does_not_grow_with_the_town(client, cast, login, django_assert_max_num_queries):
    login(cast.users.town_admin)
    with django_assert_max_num_queries(20) as small:
        client.get("/")
    households = services.create_households_many(
        [{"grid": cast.jizhen_grid, "number": f"JZ-9{i:03d}", "address": f"新街{i}号"} for i in range(30)]
    )
    services.add_residents_many([{"household": h, "name": f"居民{i}"} for i, h in enumerate(households)])
    services.create_members_many([{"party_org": cast.jizhen_org, "name": f"党员{i}", "is_elderly": True}
                                  for i in range(20)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = _text(client.get("/"))
    assert _card(body, "住户") == 33 and _card(body, "党员") == 22


def test_the_town_admin_is_told_when_a_years_holidays_are_not_known(client, cast, login, time_machine):
    """In November 2099 neither 2099 nor 2100 is in chinesecalendar: the admin's home and the
    status page say so and link to 工作日调整; entering 2100's 元旦 leaves 2099 only. Other roles'
    home pages do not carry it (only the admin can act on it)."""
    from zhenwu.workdays.models import WorkdayOverride

    time_machine.move_to("2099-11-05T10:00+08:00", tick=False)
    admin = cast.users.town_admin
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    login(admin)
    for path in ("/", "/ops/"):
        body = _text(client.get(path))
        assert "2099年、2100年的节假日和调休安排尚未录入" in body
        assert 'href="/admin/workdays/workdayoverride/"' in body
    WorkdayOverride.objects.create(date=datetime.date(2100, 1, 1), is_workday=False, note="元旦")
    body = _text(client.get("/"))
    assert "2099年的节假日和调休安排尚未录入" in body and "2100年" not in body
    client.logout()
    login(cast.users.leader)
    assert "节假日和调休安排尚未录入" not in _text(client.get("/"))


def test_the_town_admin_sees_no_calendar_notice_when_the_years_are_known(client, cast, login, time_machine):
    time_machine.move_to("2026-06-01T10:00+08:00", tick=False)
    login(cast.users.town_admin)
    assert 'data-testid="calendar-notice"' not in client.get("/").content.decode()
