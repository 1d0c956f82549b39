import io
import re

import pytest
from django.core.management import call_command

from zhenwu.accounts.models import User
from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import verify_chain
from zhenwu.lib.idnumber import validate_id_number
from zhenwu.org.models import Area, AreaLevel, Department, Household, Member, PartyOrg, Resident

LOGIN_ROW = re.compile(r"^(\S+)\s+(gq_\w+)\s+(\S+)\s+(.+)$")


def load():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def within(value, expected, tolerance=0.10):
    return expected * (1 - tolerance) <= value <= expected * (1 + tolerance)


def logins(output):
    return [m.groups() for m in map(LOGIN_ROW.match, output.splitlines()) if m]


# Loading the town takes seconds, so each test below loads it once and checks one side of it.


@pytest.mark.django_db
def test_load_demo_builds_guanqiao_at_the_expected_size_with_the_storys_people_all_audited():
    output = load()
    town = Area.objects.get(name="官桥镇", level=AreaLevel.TOWN)
    assert Area.objects.get(code="430181").name == "浏阳市"
    villages = set(Area.objects.filter(level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
                   .values_list("name", flat=True))
    assert {"九龙村", "石灰嘴村", "集镇村", "集里桥社区"} <= villages and 8 <= len(villages) <= 12
    assert Area.objects.filter(level=AreaLevel.GRID).count() >= 3 * len(villages)
    assert within(Household.objects.count(), 3000)
    assert within(Resident.objects.count(), 8000)
    assert within(Member.objects.count(), 300)
    assert {"党建办", "文联", "农业线", "文明办", "城建办", "环保办", "党政办"} <= set(
        Department.objects.filter(town=town).values_list("name", flat=True))
    committee = PartyOrg.objects.get(name="中共官桥镇委员会")
    assert PartyOrg.objects.filter(path__startswith=committee.path, kind="branch").count() >= 10
    assert PartyOrg.objects.filter(name__contains="机关").exists()
    assert "3000户" in output and "用时" in output

    # The story's people.
    lgl = Member.objects.select_related("party_org", "resident__household__grid").get(name="黎干亮")
    assert lgl.party_org.name.startswith("九龙村") and lgl.is_elderly
    assert lgl.birth_date.year <= 1939  # 80余岁 in 2019
    assert lgl.resident.household.grid.name.startswith("九龙村")
    for name in ("彭镇铭", "尹东辉", "李孟其"):
        assert Member.objects.filter(name=name, resident__isnull=False).exists(), name
    members = Member.objects.all()
    assert members.filter(is_elderly=True).count() >= 10
    assert members.filter(is_ill=True).exists()
    assert members.filter(is_migrant=True).exclude(migrant_location="").exists()

    # Generated residents: valid 浏阳 ID numbers that agree with birth date and gender, phones.
    sample = list(Resident.objects.exclude(id_number_hash="").order_by("id")[:300])
    for resident in sample:
        number, birth = validate_id_number(resident.id_number)  # check digit and date are right
        assert number.startswith("430181") and birth == resident.birth_date
        assert resident.gender == ("male" if int(number[16]) % 2 else "female")
    assert all(2 <= len(r.name) <= 4 for r in sample)
    assert any(r.phone for r in sample) and all(not r.phone or len(r.phone) == 11 for r in sample)
    assert any(r.sensitive_tags for r in Resident.objects.all())

    # Every row went through the audit chain.
    assert AuditEntry.objects.filter(object_type="org.Resident", action="create").count() == Resident.objects.count()
    assert AuditEntry.objects.filter(object_type="org.Member", action="create").count() == Member.objects.count()
    assert verify_chain().ok


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_the_printed_logins_work_through_the_login_form(client):
    first = load()
    counts = (Household.objects.count(), Resident.objects.count(), Member.objects.count(), User.objects.count(),
              AuditEntry.objects.count())
    second = load()
    assert "已存在" in second and "用时" not in second
    assert (Household.objects.count(), Resident.objects.count(), Member.objects.count(), User.objects.count(),
            AuditEntry.objects.count()) == counts
    assert logins(second) == logins(first)

    rows = logins(second)
    assert {username for _, username, _, _ in rows} == {
        "gq_admin", "gq_leader", "gq_dispatcher", "gq_handler", "gq_secretary", "gq_grid", "gq_instructor",
        "gq_member",
    }
    for _, username, password, scope in rows:
        response = client.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, (username, response.content[:300])
        user = User.objects.get(username=username)
        if user.role == "town_admin":
            assert "/accounts/otp/setup/" in response["Location"]
            assert "身份验证器" in scope
        else:
            home = client.get(response["Location"])
            assert home.status_code == 200 and user.display_name in home.content.decode()
        client.post("/accounts/logout/")

    # Each demo account sees its own part of the town.
    secretary = User.objects.get(username="gq_secretary")
    grid = User.objects.get(username="gq_grid")
    member = User.objects.get(username="gq_member")
    assert Household.objects.visible_to(secretary).count() == Household.objects.filter(
        grid__path__startswith=secretary.area.path).count() > 300
    assert 0 < Household.objects.visible_to(grid).count() < 120
    assert Household.objects.visible_to(grid).filter(residents__name="黎干亮").exists()
    assert list(Member.objects.visible_to(member).values_list("name", flat=True)) == ["尹东辉"]


@pytest.mark.django_db
def test_a_clash_with_existing_data_is_reported_in_chinese_and_nothing_is_loaded():
    from django.core.management.base import CommandError

    from zhenwu.org import services

    county = services.create_area(name="浏阳市", level=AreaLevel.COUNTY, code="430181")
    other_town = services.create_area(parent=county, name="别的镇", level=AreaLevel.TOWN, code="430181999")
    village = services.create_area(parent=other_town, name="别的村", level=AreaLevel.VILLAGE)
    grid = services.create_area(parent=village, name="别的网格", level=AreaLevel.GRID)
    services.create_household(grid=grid, number="JL-0001", address="别处1号")
    with pytest.raises(CommandError, match="演示数据未载入"):
        load()
    assert not Area.objects.filter(name="官桥镇").exists()
    assert Household.objects.count() == 1
