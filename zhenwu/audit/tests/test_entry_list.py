import datetime
import zoneinfo

import pytest
import time_machine

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.audit.services import record_create, record_event, record_update, snapshot
from zhenwu.lib.request_context import Actor, acting_as

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
URL = "/audit/"


def _ids(response):
    return [entry.id for entry in response.context["page"].object_list]


def _event(*, at, actor="admin1", **kwargs):
    with time_machine.travel(at, tick=False), acting_as(Actor(user_id=None, label=actor, ip="10.1.1.1")):
        return record_event(**kwargs)


@pytest.mark.parametrize(
    "role", ["leader", "dispatcher", "handler", "secretary", "grid_worker", "instructor", "member"]
)
def test_only_town_admins_may_open_the_audit_log(client, cast, login, role):
    login(getattr(cast.users, role))

    assert client.get(URL).status_code == 403
    assert client.post("/audit/export/").status_code == 403
    assert client.post("/audit/verify/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_town_admin_sees_the_newest_entries_first_fifty_a_page(client, cast, login):
    for i in range(120):
        record_event(action=AuditAction.SECURITY, note=f"第{i}条")
    login(cast.users.town_admin)
    all_ids = list(AuditEntry.objects.order_by("-id").values_list("id", flat=True))

    first = client.get(URL)
    third = client.get(URL, {"page": 3})

    assert first.status_code == 200
    assert _ids(first) == all_ids[:50]
    assert _ids(third) == all_ids[100:150]
    assert first.context["page"].paginator.count == len(all_ids)
    assert "第 1 / 3 页" in first.content.decode()


def test_a_page_number_out_of_range_shows_the_last_page_instead_of_failing(client, cast, login):
    login(cast.users.town_admin)

    response = client.get(URL, {"page": "99"})
    junk = client.get(URL, {"page": "abc"})

    assert response.status_code == junk.status_code == 200


def test_the_list_takes_a_bounded_number_of_queries(client, cast, login, django_assert_max_num_queries):
    resident = cast.residents.jiulong
    for i in range(60):
        before = snapshot(resident)
        resident.name = f"黎明{i}"
        resident.save()
        record_update(resident, before)
    login(cast.users.town_admin)

    with django_assert_max_num_queries(8):
        response = client.get(URL)
    with django_assert_max_num_queries(8):
        client.get(URL, {"action": "update", "q": "黎明", "page": 2})

    assert len(_ids(response)) == 50


def test_filters_by_local_date_range_with_the_beijing_midnight_boundary(client, cast, login):
    late = _event(at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI), action=AuditAction.SECURITY)
    early_next_day = _event(
        at=datetime.datetime(2026, 3, 2, 0, 30, tzinfo=SHANGHAI), action=AuditAction.SECURITY
    )
    _event(at=datetime.datetime(2026, 2, 28, 12, 0, tzinfo=SHANGHAI), action=AuditAction.SECURITY)
    login(cast.users.town_admin)

    day = client.get(URL, {"date_from": "2026-03-01", "date_to": "2026-03-01"})
    both = client.get(URL, {"date_from": "2026-03-01", "date_to": "2026-03-02"})
    after = client.get(URL, {"date_from": "2026-03-02"})

    assert _ids(day) == [late.id]
    assert _ids(both) == [early_next_day.id, late.id]
    assert early_next_day.id in _ids(after) and late.id not in _ids(after)


def test_filters_by_actor_action_object_type_object_id_and_text(client, cast, login):
    at = datetime.datetime(2026, 4, 1, 10, 0, tzinfo=SHANGHAI)
    resident = cast.residents.jiulong
    household = cast.households.jiulong
    a = _event(at=at, actor="grid1", action=AuditAction.UPDATE, obj=resident, note="更新电话")
    b = _event(at=at, actor="grid1", action=AuditAction.REVEAL, obj=resident, note="查看完整身份证号")
    c = _event(at=at, actor="secretary1", action=AuditAction.UPDATE, obj=household, note="改地址")
    d = _event(at=at, actor="grid10", action=AuditAction.UPDATE, obj=cast.residents.jizhen, note="其他")
    login(cast.users.town_admin)

    def ids(**params):
        return _ids(client.get(URL, params))

    assert ids(actor="grid1") == [b.id, a.id]
    assert ids(action="reveal") == [b.id]
    assert ids(object_type="org.Resident") == [d.id, b.id, a.id]
    assert ids(object_type="org.Resident", object_id=str(resident.pk)) == [b.id, a.id]
    assert ids(q="九龙村一组") == [c.id]  # in the household's name (object)
    assert ids(q="身份证") == [b.id]  # in the note
    assert ids(actor="grid1", action="update") == [a.id]
    assert ids(actor="nobody") == []


def test_bad_filter_input_gets_a_chinese_error_naming_the_field_not_a_500(client, cast, login):
    login(cast.users.town_admin)

    bad_date = client.get(URL, {"date_from": "2026-13-45"})
    reversed_range = client.get(URL, {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    bad_action = client.get(URL, {"action": "hack"})

    assert bad_date.status_code == reversed_range.status_code == bad_action.status_code == 200
    assert "起始日期：请输入有效日期" in bad_date.content.decode()
    assert "截止日期：截止日期不能早于起始日期" in reversed_range.content.decode()
    assert "操作：" in bad_action.content.decode()
    assert _ids(bad_date) == []


def test_changes_are_shown_with_field_names_choice_labels_and_masked_numbers(client, cast, login):
    resident = cast.residents.jiulong
    before = snapshot(resident)
    resident.phone = "13911112222"
    resident.gender = "female"
    resident.save()
    record_update(resident, before)
    record_event(
        action=AuditAction.UPDATE,
        obj=cast.users.member,
        changes={
            "role": ["member", "leader"],
            "is_active": [True, False],
            "last_login": [None, "2026-03-01T16:30:00.000000+00:00"],
            "first_name": [None, ""],
        },
        note="误填了 13800138000",
    )
    login(cast.users.town_admin)

    html = client.get(URL).content.decode()

    assert "联系电话" in html and "138****8000" in html and "139****2222" in html
    assert "性别" in html and "女" in html
    assert "角色" in html and "党员" in html and "镇领导" in html
    assert "是" in html and "否" in html
    assert "上次登录" in html and "2026-03-02 00:30:00" in html  # Beijing time
    assert "名字" not in html  # None became "": not worth a row
    assert "居民" in html  # the object type by its Chinese name
    assert "13911112222" not in html and "13800138000" not in html


def test_a_created_records_values_are_listed(client, cast, login):
    record_create(cast.members.jiulong)
    login(cast.users.town_admin)

    html = client.get(URL, {"object_type": "org.Member"}).content.decode()

    assert "黎干亮" in html and "年老体弱" in html and "136****0001" in html


def test_an_htmx_filter_request_gets_only_the_results(client, cast, login):
    record_event(action=AuditAction.SECURITY, note="局部刷新")
    login(cast.users.town_admin)

    response = client.get(URL, {"q": "局部"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert 'id="audit-results"' in html and "局部刷新" in html
    assert "<html" not in html


def test_the_verify_button_shows_an_intact_chain(client, cast, login):
    for i in range(5):
        record_event(action=AuditAction.SECURITY, note=str(i))
    login(cast.users.town_admin)
    total = AuditEntry.objects.count()

    fragment = client.post("/audit/verify/", headers={"HX-Request": "true"})
    page = client.post("/audit/verify/", follow=True)

    assert f"审计链完整：已校验 {total} 条记录" in fragment.content.decode()
    assert f"审计链完整：已校验 {total} 条记录" in page.content.decode()


def test_the_verify_button_names_a_tampered_entry(client, cast, login):
    entries = [record_event(action=AuditAction.SECURITY, note=str(i)) for i in range(5)]
    login(cast.users.town_admin)
    AuditEntry.objects.filter(pk=entries[2].pk).update(note="改")

    fragment = client.post("/audit/verify/", headers={"HX-Request": "true"}).content.decode()
    page = client.post("/audit/verify/", follow=True).content.decode()

    expected = f"审计链校验失败：编号 {entries[2].pk} 内容与哈希不符（记录被篡改）（此前 2 条完好）"
    assert expected in fragment
    assert expected in page


def test_verifying_needs_a_post(client, cast, login):
    login(cast.users.town_admin)

    assert client.get("/audit/verify/").status_code == 405
