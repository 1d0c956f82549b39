import re

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.lib.idnumber import check_digit
from zhenwu.org import services
from zhenwu.org.models import Household, Member, Resident

FULL_PHONE = "13800138000"
FULL_ID = "430181195001011236"


def valid_id(first17):
    return first17 + check_digit(first17)


# --- masking and revealing ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["town_admin", "leader", "dispatcher", "secretary", "grid_worker"])
def test_the_household_page_shows_numbers_masked_to_everyone(client, cast, login, role):
    login(getattr(cast.users, role))
    body = client.get(f"/org/households/{cast.households.jiulong.pk}/").content.decode()
    assert "138****8000" in body and "430181********1236" in body
    assert FULL_PHONE not in body and FULL_ID not in body


@pytest.mark.parametrize("role,shown", [("grid_worker", True), ("secretary", True), ("town_admin", True),
                                        ("leader", False), ("dispatcher", False)])
def test_the_reveal_button_and_sensitive_tags_appear_only_for_those_who_may_change(client, cast, login, role, shown):
    login(getattr(cast.users, role))
    body = client.get(f"/org/households/{cast.households.jiulong.pk}/").content.decode()
    assert "独居老人" in body  # an ordinary tag: everyone who sees the household sees it
    assert ("残疾" in body) == shown  # a sensitive tag
    assert ("显示完整" in body) == shown


def test_revealing_a_phone_returns_the_full_number_fragment_and_logs_it(client, cast, login):
    login(cast.users.grid_worker)
    resident = cast.residents.jiulong
    response = client.post(f"/org/residents/{resident.pk}/reveal/phone/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert FULL_PHONE in body and "<html" not in body
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor_id == cast.users.grid_worker.pk
    assert (entry.object_type, entry.object_id) == ("org.Resident", str(resident.pk))
    assert "联系电话" in entry.note


def test_revealing_an_id_number_is_logged_as_such(client, cast, login):
    login(cast.users.secretary)
    response = client.post(f"/org/residents/{cast.residents.jiulong.pk}/reveal/id_number/")
    assert FULL_ID in response.content.decode()
    assert "身份证号" in AuditEntry.objects.get(action="reveal").note


def test_reveal_refuses_get_and_unknown_fields(client, cast, login):
    login(cast.users.grid_worker)
    resident = cast.residents.jiulong
    assert client.get(f"/org/residents/{resident.pk}/reveal/phone/").status_code == 405
    assert client.post(f"/org/residents/{resident.pk}/reveal/name/").status_code == 404
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_read_only_role_asking_to_reveal_gets_403_and_nothing_is_logged(client, cast, login):
    login(cast.users.leader)
    response = client.post(f"/org/residents/{cast.residents.jiulong.pk}/reveal/phone/")
    assert response.status_code == 403
    assert FULL_PHONE not in response.content.decode()
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_member_sees_their_own_record_masked_and_cannot_reveal_it(client, cast, login):
    login(cast.users.member)
    member = cast.members.jiulong
    body = client.get(f"/org/members/{member.pk}/").content.decode()
    assert "136****0001" in body and "13600000001" not in body
    assert "显示完整" not in body
    assert client.post(f"/org/members/{member.pk}/reveal/phone/").status_code == 403


def test_a_secretary_reveals_a_members_phone(client, cast, login):
    login(cast.users.secretary)
    response = client.post(f"/org/members/{cast.members.jiulong.pk}/reveal/phone/")
    assert "13600000001" in response.content.decode()
    assert AuditEntry.objects.filter(action="reveal", object_type="org.Member").count() == 1


def test_the_edit_form_never_puts_a_full_number_in_the_page(client, cast, login):
    login(cast.users.grid_worker)
    body = client.get(f"/org/residents/{cast.residents.jiulong.pk}/edit/").content.decode()
    assert FULL_PHONE not in body and FULL_ID not in body
    assert "138****8000" in body  # the placeholder hints at the stored value


# --- editing ------------------------------------------------------------------------------------


def test_a_grid_worker_registers_a_resident_with_an_id_number(client, cast, login):
    login(cast.users.grid_worker)
    household = cast.households.jiulong
    number = valid_id("43018120100304002")
    response = client.post(f"/org/households/{household.pk}/residents/new/", {
        "name": "黎小妹", "relation": "孙女", "id_number": number, "phone": "", "tags": ["left_behind_child"],
    })
    assert response.status_code == 302
    resident = Resident.objects.get(name="黎小妹")
    assert resident.gender == "female" and resident.birth_date.isoformat() == "2010-03-04"
    assert resident.sensitive_tags == ["left_behind_child"] and resident.tags == []
    assert AuditEntry.objects.filter(action="create", object_type="org.Resident", object_id=str(resident.pk)).exists()


def test_a_bad_id_number_is_shown_beside_the_field_not_as_a_crash(client, cast, login):
    login(cast.users.grid_worker)
    response = client.post(f"/org/households/{cast.households.jiulong.pk}/residents/new/", {
        "name": "黎小妹", "id_number": "43018120100304001X",
    })
    assert response.status_code == 200
    assert "身份证号" in response.content.decode() and "校验位错误" in response.content.decode()
    assert not Resident.objects.filter(name="黎小妹").exists()


def test_editing_a_resident_with_empty_number_fields_keeps_the_stored_numbers(client, cast, login):
    login(cast.users.grid_worker)
    resident = cast.residents.jiulong
    response = client.post(f"/org/residents/{resident.pk}/edit/", {
        "name": "黎明", "relation": "户主", "id_number": "", "phone": "", "tags": ["living_alone_elderly"],
    })
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.phone == FULL_PHONE and resident.id_number == FULL_ID
    assert resident.sensitive_tags == []  # the sensitive tag was unticked


def test_a_household_number_already_taken_is_refused_on_the_form(client, cast, login):
    login(cast.users.grid_worker)
    response = client.post("/org/households/new/", {
        "grid": cast.jiulong_grid.pk, "number": "JZ-0001", "address": "九龙村一组1号",
    })
    assert response.status_code == 200
    assert "户编号 JZ-0001 已存在" in response.content.decode()


def test_a_grid_worker_adds_a_household_in_their_grid(client, cast, login):
    login(cast.users.grid_worker)
    response = client.post("/org/households/new/", {
        "grid": cast.jiulong_grid.pk, "number": "JL-0100", "address": "九龙村一组20号",
    })
    household = Household.objects.get(number="JL-0100")
    assert response.status_code == 302 and response["Location"] == f"/org/households/{household.pk}/"


def test_a_secretary_edits_a_member_and_the_change_is_audited(client, cast, login):
    login(cast.users.secretary)
    member = cast.members.jiulong
    response = client.post(f"/org/members/{member.pk}/edit/", {
        "name": "黎干亮", "party_org": cast.jiulong_branch.pk, "status": "full", "is_elderly": "on",
        "is_ill": "on", "is_active": "on",
    })
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_ill and member.is_elderly and member.phone == "13600000001"
    entry = AuditEntry.objects.get(action="update", object_type="org.Member")
    assert entry.changes["is_ill"] == [False, True]


# --- lists: search, filters, paging, queries ------------------------------------------------------


def _many_households(cast, n):
    services.create_households_many(
        [{"grid": cast.jiulong_grid, "number": f"JL-5{i:03d}", "address": f"九龙村三组{i}号"} for i in range(n)]
    )
    households = Household.objects.filter(number__startswith="JL-5")
    services.add_residents_many(
        [{"household": h, "name": f"黎{i}", "relation": "户主"} for i, h in enumerate(households)]
        + [{"household": h, "name": f"王{i}", "relation": "配偶"} for i, h in enumerate(households)]
    )


def test_the_household_list_searches_number_address_and_resident_name(client, cast, login):
    login(cast.users.town_admin)
    for query, expected in (("JZ-0001", "JZ-0001"), ("老街", "JZ-0001"), ("王芳", "JL-0002")):
        body = client.get("/org/households/", {"q": query}).content.decode()
        assert expected in body, query
    body = client.get("/org/households/", {"q": "王芳"}).content.decode()
    assert "JL-0001" not in body and "JZ-0001" not in body


def test_the_household_list_filters_by_village_and_grid(client, cast, login):
    login(cast.users.town_admin)
    body = client.get("/org/households/", {"village": cast.jizhen.pk}).content.decode()
    assert "JZ-0001" in body and "JL-0001" not in body
    body = client.get("/org/households/", {"grid": cast.jiulong_grid2.pk}).content.decode()
    assert "JL-0002" in body and "JL-0001" not in body


def test_a_grid_outside_the_scope_in_the_filter_is_ignored_not_obeyed(client, cast, login):
    login(cast.users.grid_worker)
    body = client.get("/org/households/", {"grid": cast.jizhen_grid.pk}).content.decode()
    assert "JZ-0001" not in body and "JL-0001" in body


def test_the_household_list_is_paged_and_shows_head_and_size(client, cast, login):
    _many_households(cast, 45)
    login(cast.users.grid_worker)
    body = client.get("/org/households/").content.decode()
    assert "共 46 户" in body and "第 1 / 3 页" in body
    body = client.get("/org/households/", {"page": 3}).content.decode()
    assert "JL-5044" in body and "黎44" in body


def test_an_htmx_search_gets_only_the_results_fragment(client, cast, login):
    login(cast.users.town_admin)
    response = client.get("/org/households/", {"q": "JZ"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'id="results"' in body and "<html" not in body and "JZ-0001" in body


def test_the_household_list_query_count_does_not_grow_with_the_town(client, cast, login, django_assert_max_num_queries):
    login(cast.users.town_admin)
    with django_assert_max_num_queries(12) as small:
        client.get("/org/households/")
    _many_households(cast, 60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/org/households/", {"q": "黎"})
    assert response.status_code == 200


def test_the_household_detail_query_count_does_not_grow_with_its_residents(client, cast, login,
                                                                           django_assert_max_num_queries):
    login(cast.users.grid_worker)
    household = cast.households.jiulong
    services.add_residents_many([{"household": household, "name": f"黎{i}", "phone": "13900000000"} for i in range(15)])
    with django_assert_max_num_queries(12):
        response = client.get(f"/org/households/{household.pk}/")
    assert response.content.decode().count("139****0000") == 15


def test_the_member_list_filters_by_flag_org_and_name(client, cast, login):
    login(cast.users.town_admin)
    body = client.get("/org/members/", {"flag": "elderly"}).content.decode()
    assert "黎干亮" in body and "彭镇铭" not in body
    body = client.get("/org/members/", {"flag": ["elderly", "migrant"]}).content.decode()
    assert "黎干亮" in body and "彭镇铭" in body
    body = client.get("/org/members/", {"org": cast.jizhen_org.pk}).content.decode()
    assert "彭镇铭" in body and "黎干亮" not in body
    body = client.get("/org/members/", {"q": "彭"}).content.decode()
    assert "彭镇铭" in body and "黎干亮" not in body


def test_members_no_longer_on_the_roll_are_hidden_unless_asked_for(client, cast, login):
    services.update_member(cast.members.jizhen, is_active=False)
    login(cast.users.town_admin)
    assert "彭镇铭" not in client.get("/org/members/").content.decode()
    assert "彭镇铭" in client.get("/org/members/", {"inactive": "1"}).content.decode()


def test_the_member_list_query_count_does_not_grow_with_the_members(client, cast, login, django_assert_max_num_queries):
    login(cast.users.town_admin)
    with django_assert_max_num_queries(12) as small:
        client.get("/org/members/")
    services.create_members_many([{"party_org": cast.jiulong_branch, "name": f"党员{i}"} for i in range(40)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/org/members/")
    assert Member.objects.count() == 42 and response.status_code == 200


def test_the_area_page_counts_households_up_the_tree(client, cast, login, django_assert_max_num_queries):
    login(cast.users.handler)
    with django_assert_max_num_queries(12):
        response = client.get("/org/areas/")
    body = re.sub(r"\s+", " ", response.content.decode())
    # 九龙村 has two households (one per grid); the town has three.
    assert re.search(r"└ 九龙村</td> <td>村</td><td>2</td>", body)
    assert re.search(r">官桥镇</td> <td>镇\(乡\)</td><td>3</td>", body)
    assert re.search(r"└ 九龙村第二网格</td> <td>网格</td><td>1</td>", body)
