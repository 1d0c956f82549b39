import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import verify_chain
from zhenwu.lib.crypto import blind_index
from zhenwu.lib.idnumber import check_digit
from zhenwu.org import services
from zhenwu.org.models import Area, AreaLevel, Member, PartyOrg, PartyOrgKind, Resident


def valid_id(first17="43018119800203123"):
    return first17 + check_digit(first17)


def test_adding_a_resident_with_an_id_number_derives_birth_date_gender_and_the_blind_index(cast):
    number = valid_id("43018119800203123")  # sequence 123: odd, male
    resident = services.add_resident(household=cast.households.jiulong, name="黎德明", id_number=number.lower())
    resident.refresh_from_db()
    assert resident.id_number == number.upper()
    assert resident.birth_date == datetime.date(1980, 2, 3)
    assert resident.gender == "male"
    assert resident.id_number_hash == blind_index(number.upper(), purpose="id_number")


def test_a_wrong_check_digit_is_refused_with_a_chinese_message_on_the_id_field(cast):
    number = valid_id()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError) as exc:
        services.add_resident(household=cast.households.jiulong, name="黎德明", id_number=wrong)
    assert exc.value.message_dict == {"id_number": ["身份证号校验位错误"]}
    assert not Resident.objects.filter(name="黎德明").exists()


def test_a_bad_phone_number_is_refused_on_the_phone_field(cast):
    with pytest.raises(ValidationError) as exc:
        services.add_resident(household=cast.households.jiulong, name="黎德明", phone="12345")
    assert "phone" in exc.value.message_dict


def test_sensitive_tags_are_kept_apart_from_ordinary_ones(cast):
    resident = services.add_resident(
        household=cast.households.jiulong, name="黎小红", tags=["left_behind_child", "veteran", "disabled"]
    )
    resident.refresh_from_db()
    assert resident.tags == ["veteran"]
    assert sorted(resident.sensitive_tags) == ["disabled", "left_behind_child"]


def test_an_unknown_tag_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        services.add_resident(household=cast.households.jiulong, name="黎小红", tags=["rich"])
    assert "未知的标签" in exc.value.message_dict["tags"][0]


def test_the_same_id_number_cannot_be_registered_for_two_residents(cast):
    number = valid_id()
    services.add_resident(household=cast.households.jiulong, name="甲", id_number=number)
    with pytest.raises(ValidationError) as exc:
        services.add_resident(household=cast.households.jizhen, name="乙", id_number=number)
    assert "已登记" in exc.value.message_dict["id_number"][0]


def test_updating_a_resident_is_audited_with_masked_numbers(cast):
    resident = cast.residents.jiulong2
    services.update_resident(resident, phone="13912340000", relation="户主")
    entry = AuditEntry.objects.filter(action="update", object_type="org.Resident", object_id=str(resident.pk)).get()
    assert entry.changes["phone"] == ["139****5678", "139****0000"]
    assert "13912340000" not in str(entry.changes)
    assert verify_chain().ok


def test_updating_a_resident_without_changes_writes_no_audit_entry(cast):
    resident = services.add_resident(household=cast.households.jiulong, name="黎德明", tags=["veteran"])
    before = AuditEntry.objects.count()
    services.update_resident(resident, name="黎德明")
    assert AuditEntry.objects.count() == before


def test_a_member_made_from_a_resident_shares_its_numbers_and_blind_index(cast):
    number = valid_id("43018119450512004")
    resident = services.add_resident(household=cast.households.jiulong, name="黎老", id_number=number,
                                     phone="13800001234")
    member = services.create_member(party_org=cast.jiulong_branch, name="黎老", resident=resident, is_elderly=True)
    member.refresh_from_db()
    assert member.id_number == number and member.phone == "13800001234"
    assert member.id_number_hash == resident.id_number_hash
    assert member.birth_date == datetime.date(1945, 5, 12) and member.gender == "female"


def test_a_resident_cannot_get_two_member_records(cast):
    resident = cast.residents.jiulong
    services.create_member(party_org=cast.jiulong_branch, name=resident.name, resident=resident)
    with pytest.raises(ValidationError):
        services.create_member(party_org=cast.jiulong_branch, name=resident.name, resident=resident)


def test_updating_a_member_changes_only_what_is_given(cast):
    member = cast.members.jizhen
    services.update_member(member, is_migrant=False, is_ill=True)
    member.refresh_from_db()
    assert (member.is_migrant, member.is_ill, member.name, member.phone) == (False, True, "彭镇铭", "13600000002")


def test_update_member_rejects_unknown_arguments(cast):
    with pytest.raises(TypeError):
        services.update_member(cast.members.jizhen, colour="red")


def test_a_joining_date_before_birth_is_refused(cast):
    with pytest.raises(ValidationError) as exc:
        services.create_member(party_org=cast.jiulong_branch, name="甲", id_number=valid_id(),
                               joined_on=datetime.date(1970, 1, 1))
    assert "joined_on" in exc.value.message_dict


def test_linking_an_account_to_a_member_is_audited_and_an_account_belongs_to_one_member(cast):
    services.link_member_account(cast.members.jizhen, user=cast.users.handler)
    assert Member.objects.get(user=cast.users.handler) == cast.members.jizhen
    assert AuditEntry.objects.filter(object_type="org.Member", note="关联登录账号").exists()
    with pytest.raises(ValidationError):
        services.link_member_account(cast.members.jiulong, user=cast.users.handler)


def test_areas_only_nest_in_the_right_order(cast):
    grid = services.create_area(parent=cast.jizhen, name="集镇村第二网格", level=AreaLevel.GRID)
    assert Area.objects.get_parent(grid) == cast.jizhen
    with pytest.raises(ValidationError):
        services.create_area(parent=cast.town, name="错层网格", level=AreaLevel.GRID)
    with pytest.raises(ValidationError):
        services.create_area(parent=cast.jiulong, name="错层村", level=AreaLevel.VILLAGE)


def test_an_area_code_is_unique(cast):
    with pytest.raises(ValidationError) as exc:
        services.create_area(parent=cast.town, name="另一村", level=AreaLevel.VILLAGE, code="430181110201")
    assert "code" in exc.value.message_dict


def test_party_organisations_only_nest_in_the_right_order(cast):
    group = services.create_party_org(parent=cast.jiulong_branch, name="第一党小组", kind=PartyOrgKind.GROUP)
    assert PartyOrg.objects.get_parent(group) == cast.jiulong_branch
    with pytest.raises(ValidationError):
        services.create_party_org(parent=cast.committee, name="错层小组", kind=PartyOrgKind.GROUP)


def test_a_department_name_is_unique_in_its_town(cast):
    services.create_department(town=cast.town, name="文联")
    with pytest.raises(ValidationError):
        services.create_department(town=cast.town, name="文联")


def test_household_numbers_are_unique(cast):
    with pytest.raises(ValidationError) as exc:
        services.create_household(grid=cast.jiulong_grid, number="JL-0001", address="别处")
    assert "number" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.create_household(grid=cast.jiulong, number="JL-9999", address="村部")  # not a grid


def test_a_household_may_carry_a_wgs84_point_given_whole(cast):
    household = services.create_household(grid=cast.jiulong_grid, number="JL-0777", address="九龙村七组7号",
                                           latitude="28.1712346", longitude="113.8312346")
    household.refresh_from_db()
    assert (str(household.latitude), str(household.longitude)) == ("28.171235", "113.831235")
    services.update_household(household, latitude=None, longitude=None)
    household.refresh_from_db()
    assert household.latitude is None and household.longitude is None
    with pytest.raises(ValidationError) as exc:
        services.update_household(household, latitude="28.17")
    assert exc.value.message_dict == {"longitude": ["纬度和经度须同时填写"]}
    with pytest.raises(ValidationError) as exc:
        services.update_household(household, latitude="north", longitude="113.8")
    assert exc.value.message_dict == {"latitude": ["纬度格式不正确"]}


def test_an_editor_revealing_a_number_gets_it_and_the_act_is_logged_under_their_name(cast):
    value = services.reveal_personal_number(cast.residents.jiulong, field="id_number", by=cast.users.grid_worker)
    assert value == "430181195001011236"
    entry = AuditEntry.objects.get(action="reveal")
    assert entry.actor_id == cast.users.grid_worker.pk
    assert entry.object_id == str(cast.residents.jiulong.pk) and "身份证号" in entry.note


@pytest.mark.parametrize("role", ["leader", "dispatcher", "instructor", "member", "other_grid_worker"])
def test_someone_who_cannot_change_the_record_cannot_reveal_it(cast, role):
    with pytest.raises(PermissionDenied):
        services.reveal_personal_number(cast.residents.jiulong, field="phone", by=getattr(cast.users, role))
    assert not AuditEntry.objects.filter(action="reveal").exists()


def test_a_member_cannot_reveal_even_their_own_numbers(cast):
    with pytest.raises(PermissionDenied):
        services.reveal_personal_number(cast.members.jiulong, field="phone", by=cast.users.member)


def test_bulk_creation_writes_one_audit_entry_per_row_and_keeps_the_chain(cast):
    before = AuditEntry.objects.count()
    households = services.create_households_many(
        [{"grid": cast.jizhen_grid, "number": f"JZ-1{i:03d}", "address": f"老街{i}号"} for i in range(5)]
    )
    residents = services.add_residents_many(
        [{"household": h, "name": f"居民{i}", "id_number": valid_id(f"430181199001011{i:02d}"),
          "tags": ["veteran", "disabled"]} for i, h in enumerate(households)]
    )
    assert AuditEntry.objects.count() == before + 10
    assert all(r.sensitive_tags == ["disabled"] and r.id_number_hash for r in residents)
    assert verify_chain().ok


def test_a_bad_row_in_a_bulk_load_names_the_row_and_writes_nothing(cast):
    with pytest.raises(ValidationError) as exc:
        services.add_residents_many([
            {"household": cast.households.jizhen, "name": "好人"},
            {"household": cast.households.jizhen, "name": "坏号", "id_number": "123"},
        ])
    assert "第2条居民（坏号）" in exc.value.messages[0]
    assert not Resident.objects.filter(name="好人").exists()


def test_a_bulk_load_of_members_names_the_row_that_repeats_an_id_number_or_a_resident(cast):
    number = valid_id("43018119850101123")
    with pytest.raises(ValidationError) as exc:
        services.create_members_many([
            {"party_org": cast.jizhen_org, "name": "甲", "id_number": number},
            {"party_org": cast.jizhen_org, "name": "乙", "id_number": number},
        ])
    assert exc.value.messages == ["第2名党员（乙）：身份证号重复"]
    resident = services.add_resident(household=cast.households.jizhen, name="丙")
    with pytest.raises(ValidationError) as exc:
        services.create_members_many([
            {"party_org": cast.jizhen_org, "name": "丙", "resident": resident},
            {"party_org": cast.jizhen_org, "name": "丙二", "resident": resident},
        ])
    assert exc.value.messages == ["第2名党员（丙二）：居民档案重复关联"]
    assert not Member.objects.filter(name__in=["甲", "丙"]).exists()


def test_a_stored_number_that_fails_todays_check_does_not_block_other_edits(cast):
    """黎明's ID number in the cast has a wrong check digit (recorded before validation existed)."""
    resident = cast.residents.jiulong
    services.update_resident(resident, relation="户主", name="黎明亮")
    resident.refresh_from_db()
    assert resident.name == "黎明亮" and resident.id_number == "430181195001011236"
    assert resident.id_number_hash == blind_index("430181195001011236", purpose="id_number")
    with pytest.raises(ValidationError):
        services.update_resident(resident, id_number="430181195001011237")


def test_changing_a_phone_to_one_with_the_same_mask_is_still_saved_and_audited(cast):
    resident = cast.residents.jiulong  # 13800138000 → 138****8000
    services.update_resident(resident, phone="13811118000")
    resident.refresh_from_db()
    assert resident.phone == "13811118000"
    entry = AuditEntry.objects.get(action="update", object_id=str(resident.pk))
    assert entry.changes["phone"][0] == "138****8000" and "（已修改）" in entry.changes["phone"][1]
    assert "13811118000" not in str(entry.changes)


def test_a_change_of_sensitive_tags_is_audited_without_showing_them(cast):
    resident = cast.residents.jiulong
    services.update_resident(resident, tags=["living_alone_elderly", "minimum_living"])
    entry = AuditEntry.objects.get(action="update", object_id=str(resident.pk))
    assert "sensitive_tags" in entry.changes
    assert "minimum_living" not in str(entry.changes)
