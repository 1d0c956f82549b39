"""Who sees and who changes what, role by role, checked twice: through the querysets that hold the
rules and through the pages (list contents, detail 200/404, edit 200/403/404).

The cast (conftest.py): 九龙村 with two grids (households jiulong, jiulong2), 集镇村 with one grid
(household jizhen); party orgs 九龙村党总支 → 九龙村第一党支部 (member 黎干亮, linked to the
member account) and 集镇村党总支 (member 彭镇铭).
"""

import pytest

from zhenwu.org.models import Area, Department, Household, Member, Resident

CHANGE, SEE, NONE = "change", "see", "none"

ROLES = [
    "town_admin", "leader", "dispatcher", "handler", "secretary", "grid_worker", "other_grid_worker",
    "instructor", "member",
]

# role -> access to the households jiulong, jiulong2, jizhen (residents follow their household).
HOUSEHOLDS = {
    "town_admin": (CHANGE, CHANGE, CHANGE),
    "leader": (SEE, SEE, SEE),
    "dispatcher": (SEE, SEE, SEE),
    "handler": (NONE, NONE, NONE),
    "secretary": (CHANGE, CHANGE, NONE),
    "grid_worker": (CHANGE, NONE, NONE),
    "other_grid_worker": (NONE, NONE, CHANGE),
    "instructor": (NONE, NONE, NONE),
    "member": (NONE, NONE, NONE),
}
HOUSEHOLD_KEYS = ("jiulong", "jiulong2", "jizhen")

# role -> access to the members jiulong (黎干亮), jizhen (彭镇铭).
MEMBERS = {
    "town_admin": (CHANGE, CHANGE),
    "leader": (SEE, SEE),
    "dispatcher": (NONE, NONE),
    "handler": (NONE, NONE),
    "secretary": (CHANGE, NONE),
    "grid_worker": (NONE, NONE),
    "other_grid_worker": (NONE, NONE),
    "instructor": (SEE, NONE),
    "member": (SEE, NONE),
}
MEMBER_KEYS = ("jiulong", "jizhen")

# Roles whose list page exists for them at all (others get 403 on the list).
HOUSEHOLD_LIST_ROLES = {"town_admin", "leader", "dispatcher", "secretary", "grid_worker", "other_grid_worker"}
MEMBER_LIST_ROLES = {"town_admin", "leader", "secretary", "instructor", "member"}
STAFF_ROLES = set(ROLES) - {"member"}


def _expected(table, keys, role, level):
    return {key for key, access in zip(keys, table[role], strict=True) if access in level}


# --- querysets --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_household_and_resident_querysets_follow_the_matrix(cast, role):
    user = getattr(cast.users, role)
    households = {key: getattr(cast.households, key) for key in HOUSEHOLD_KEYS}
    residents = {key: getattr(cast.residents, key) for key in HOUSEHOLD_KEYS}
    visible = _expected(HOUSEHOLDS, HOUSEHOLD_KEYS, role, (SEE, CHANGE))
    editable = _expected(HOUSEHOLDS, HOUSEHOLD_KEYS, role, (CHANGE,))

    assert set(Household.objects.visible_to(user)) == {households[k] for k in visible}
    assert set(Household.objects.editable_by(user)) == {households[k] for k in editable}
    assert set(Resident.objects.visible_to(user)) == {residents[k] for k in visible}
    assert set(Resident.objects.editable_by(user)) == {residents[k] for k in editable}


@pytest.mark.parametrize("role", ROLES)
def test_member_querysets_follow_the_matrix(cast, role):
    user = getattr(cast.users, role)
    members = {key: getattr(cast.members, key) for key in MEMBER_KEYS}
    visible = _expected(MEMBERS, MEMBER_KEYS, role, (SEE, CHANGE))
    editable = _expected(MEMBERS, MEMBER_KEYS, role, (CHANGE,))

    assert set(Member.objects.visible_to(user)) == {members[k] for k in visible}
    assert set(Member.objects.editable_by(user)) == {members[k] for k in editable}


@pytest.mark.parametrize("role", ROLES)
def test_departments_are_visible_to_every_staff_account_of_the_town_and_to_no_member(cast, role):
    user = getattr(cast.users, role)
    names = set(Department.objects.visible_to(user).values_list("name", flat=True))
    assert names == ({"城建办", "党建办"} if role in STAFF_ROLES else set())


def test_anonymous_visitors_see_and_change_nothing(cast):
    from django.contrib.auth.models import AnonymousUser

    nobody = AnonymousUser()
    assert not Household.objects.visible_to(nobody).exists()
    assert not Household.objects.editable_by(nobody).exists()
    assert not Resident.objects.editable_by(nobody).exists()
    assert not Member.objects.visible_to(nobody).exists()
    assert not Member.objects.editable_by(nobody).exists()
    assert not Department.objects.visible_to(nobody).exists()


def test_a_town_admin_without_a_party_org_still_sees_the_towns_members(cast):
    admin = cast.users.town_admin
    admin.party_org = None
    admin.save()
    assert set(Member.objects.visible_to(admin)) == {cast.members.jiulong, cast.members.jizhen}


def test_a_secretary_without_an_area_sees_no_households(cast):
    secretary = cast.users.secretary
    secretary.area = None
    secretary.save()
    assert not Household.objects.visible_to(secretary).exists()


def test_a_grid_worker_of_a_moved_grid_follows_the_grid_to_its_new_village(cast):
    """Scope is by tree position, read at query time: moving a grid moves its households."""
    Area.objects.move(cast.jiulong_grid, cast.jizhen, pos="sorted-child")
    secretary = cast.users.secretary
    secretary.refresh_from_db()
    assert cast.households.jiulong not in Household.objects.visible_to(secretary)
    worker = cast.users.grid_worker
    worker.refresh_from_db()
    assert cast.households.jiulong in Household.objects.visible_to(worker)


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_household_pages_follow_the_matrix(client, cast, login, role):
    login(getattr(cast.users, role))
    visible = _expected(HOUSEHOLDS, HOUSEHOLD_KEYS, role, (SEE, CHANGE))
    editable = _expected(HOUSEHOLDS, HOUSEHOLD_KEYS, role, (CHANGE,))

    listing = client.get("/org/households/")
    if role in HOUSEHOLD_LIST_ROLES:
        assert listing.status_code == 200
        body = listing.content.decode()
        for key in HOUSEHOLD_KEYS:
            number = getattr(cast.households, key).number
            assert (number in body) == (key in visible), (key, role)
    else:
        assert listing.status_code == 403

    for key in HOUSEHOLD_KEYS:
        household = getattr(cast.households, key)
        detail = client.get(f"/org/households/{household.pk}/")
        assert detail.status_code == (200 if key in visible else 404), (key, role)
        edit = client.get(f"/org/households/{household.pk}/edit/")
        expected_edit = 200 if key in editable else 403 if key in visible else 404
        assert edit.status_code == expected_edit, (key, role)
        add_resident = client.get(f"/org/households/{household.pk}/residents/new/")
        assert add_resident.status_code == expected_edit, (key, role)


@pytest.mark.parametrize("role", ROLES)
def test_resident_pages_follow_the_matrix(client, cast, login, role):
    login(getattr(cast.users, role))
    visible = _expected(HOUSEHOLDS, HOUSEHOLD_KEYS, role, (SEE, CHANGE))
    editable = _expected(HOUSEHOLDS, HOUSEHOLD_KEYS, role, (CHANGE,))

    for key in HOUSEHOLD_KEYS:
        resident = getattr(cast.residents, key)
        detail = client.get(f"/org/households/{resident.household_id}/")
        if key in visible:
            assert resident.name in detail.content.decode()
        else:
            assert detail.status_code == 404
        edit = client.get(f"/org/residents/{resident.pk}/edit/")
        assert edit.status_code == (200 if key in editable else 403 if key in visible else 404), (key, role)
        reveal = client.post(f"/org/residents/{resident.pk}/reveal/phone/")
        assert reveal.status_code == (200 if key in editable else 403 if key in visible else 404), (key, role)


@pytest.mark.parametrize("role", ROLES)
def test_member_pages_follow_the_matrix(client, cast, login, role):
    login(getattr(cast.users, role))
    visible = _expected(MEMBERS, MEMBER_KEYS, role, (SEE, CHANGE))
    editable = _expected(MEMBERS, MEMBER_KEYS, role, (CHANGE,))

    listing = client.get("/org/members/")
    if role in MEMBER_LIST_ROLES:
        assert listing.status_code == 200
        body = listing.content.decode()
        for key in MEMBER_KEYS:
            member = getattr(cast.members, key)
            assert (f"/org/members/{member.pk}/" in body) == (key in visible), (key, role)
    else:
        assert listing.status_code == 403

    for key in MEMBER_KEYS:
        member = getattr(cast.members, key)
        detail = client.get(f"/org/members/{member.pk}/")
        assert detail.status_code == (200 if key in visible else 404), (key, role)
        expected_edit = 200 if key in editable else 403 if key in visible else 404
        assert client.get(f"/org/members/{member.pk}/edit/").status_code == expected_edit, (key, role)
        assert client.post(f"/org/members/{member.pk}/reveal/phone/").status_code == expected_edit, (key, role)


@pytest.mark.parametrize("role", ROLES)
def test_area_and_department_pages_show_the_town_to_staff_only(client, cast, login, role):
    login(getattr(cast.users, role))
    areas = client.get("/org/areas/")
    departments = client.get("/org/departments/")
    if role in STAFF_ROLES:
        assert areas.status_code == 200
        assert "九龙村第一网格" in areas.content.decode() and "集镇村" in areas.content.decode()
        assert departments.status_code == 200
        assert "城建办" in departments.content.decode() and "党建办" in departments.content.decode()
    else:
        assert areas.status_code == 403
        assert departments.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_only_editors_of_their_scope_may_add_households_and_members(client, cast, login, role):
    login(getattr(cast.users, role))
    household_add = client.get("/org/households/new/").status_code
    member_add = client.get("/org/members/new/").status_code
    assert household_add == (200 if role in {"town_admin", "secretary", "grid_worker", "other_grid_worker"} else 403)
    assert member_add == (200 if role in {"town_admin", "secretary"} else 403)


def test_a_grid_worker_cannot_move_a_household_into_another_grid_by_posting_its_id(client, cast, login):
    login(cast.users.grid_worker)
    household = cast.households.jiulong
    response = client.post(
        f"/org/households/{household.pk}/edit/",
        {"grid": cast.jizhen_grid.pk, "number": household.number, "address": household.address},
    )
    assert response.status_code == 200  # the form refuses the grid outside the scope
    household.refresh_from_db()
    assert household.grid_id == cast.jiulong_grid.pk


def test_a_secretary_cannot_file_a_member_into_another_villages_branch(client, cast, login):
    login(cast.users.secretary)
    response = client.post("/org/members/new/", {"name": "外村党员", "party_org": cast.jizhen_org.pk, "status": "full"})
    assert response.status_code == 200
    assert not Member.objects.filter(name="外村党员").exists()
