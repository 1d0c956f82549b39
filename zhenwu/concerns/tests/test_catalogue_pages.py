"""诉求类别 pages: a town's administrator sees the county's catalogue and sets the town's own
rules; nobody else edits them; bad input comes back in Chinese beside its field."""

import pytest
from django.urls import reverse

from conftest import PASSWORD
from zhenwu.accounts.models import Role, User
from zhenwu.accounts.navigation import menu_for
from zhenwu.audit.models import AuditEntry
from zhenwu.concerns.models import Category, TownCategorySetting
from zhenwu.org.models import Department


@pytest.fixture
def other(second_town):
    """龙伏镇 with its own 城建办 and administrator."""
    second_town.urban = Department.objects.create(name="城建办", town=second_town.town)
    admin = User(username="admin_lf", role=Role.TOWN_ADMIN, full_name="龙伏镇管理员", area=second_town.town)
    admin.set_password(PASSWORD)
    admin.save()
    second_town.town_admin = admin
    return second_town


def list_url(town):
    return reverse("concerns:town_category_list", args=[town.pk])


def edit_url(town, category):
    return reverse("concerns:town_category_edit", args=[town.pk, category.pk])


def test_the_town_admins_menu_leads_to_the_towns_catalogue(client, login, world):
    admin = world.users.town_admin
    login(admin)
    entry = next(item for item in menu_for(admin) if item["label"] == "诉求类别")
    response = client.get(entry["url"], follow=True)
    assert response.redirect_chain[-1][0] == list_url(world.cast.town)
    page = response.content.decode()
    for category in (world.road, world.sanitation, world.lamp):
        assert category.name in page
    assert "办结5天" in page and world.cast.urban.name in page
    assert not any(item["label"] == "诉求类别" for item in menu_for(world.users.dispatcher))


def test_the_admin_sets_the_towns_department_and_limit_and_the_list_shows_them(client, login, world):
    town = world.cast.town
    login(world.users.town_admin)
    response = client.post(
        edit_url(town, world.road),
        {"default_department": world.env.pk, "response_limit_days": "", "resolution_limit_days": "8"},
    )
    assert response.status_code == 302 and response["Location"] == list_url(town)
    row = TownCategorySetting.objects.get(town=town, category=world.road)
    assert (row.default_department, row.response_limit_days, row.resolution_limit_days) == (world.env, None, 8)
    entry = AuditEntry.objects.get(object_type="concerns.TownCategorySetting", object_id=str(row.pk))
    assert entry.actor_id == world.users.town_admin.pk
    page = client.get(list_url(town)).content.decode()
    assert "环保办" in page and "办结8天" in page and "本镇设置" in page
    form = client.get(edit_url(town, world.road)).content.decode()
    assert 'value="8"' in form


def test_bad_input_comes_back_in_chinese_beside_its_field(client, login, world):
    login(world.users.town_admin)
    response = client.post(
        edit_url(world.cast.town, world.road),
        {"default_department": "", "response_limit_days": "3", "resolution_limit_days": "两周"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["resolution_limit_days"]
    assert "本镇办结时限须为整数" in errors["resolution_limit_days"][0]
    assert "本镇办结时限须为整数" in response.content.decode()
    assert not TownCategorySetting.objects.exists()


def test_a_department_of_another_town_is_not_a_choice(client, login, world, other):
    login(world.users.town_admin)
    response = client.post(
        edit_url(world.cast.town, world.road), {"default_department": other.urban.pk}
    )
    assert response.status_code == 200
    assert "本镇默认承办部门" in response.context["form"].errors["default_department"][0]
    assert not TownCategorySetting.objects.exists()


def test_another_towns_admin_can_neither_open_nor_change_the_towns_categories(client, login, world, other):
    town = world.cast.town
    login(other.town_admin)
    assert client.get(list_url(town)).status_code == 404
    assert client.get(edit_url(town, world.road)).status_code == 404
    assert client.post(edit_url(town, world.road), {"resolution_limit_days": "9"}).status_code == 404
    assert not TownCategorySetting.objects.exists()
    # …and their own town's page is theirs.
    assert client.get(list_url(other.town)).status_code == 200


@pytest.mark.parametrize("role", ["leader", "dispatcher", "handler", "secretary", "grid_worker"])
def test_other_roles_of_the_town_may_not_set_its_categories(client, login, world, role):
    login(getattr(world.users, role))
    town = world.cast.town
    assert client.get(reverse("concerns:category_catalogue")).status_code == 403
    assert client.get(list_url(town)).status_code == 403
    assert client.post(edit_url(town, world.road), {"resolution_limit_days": "9"}).status_code == 403
    assert not TownCategorySetting.objects.exists()


def test_limits_the_county_keeps_are_shown_but_not_editable(client, login, world):
    world.road.town_limits_allowed = False
    world.road.save()
    login(world.users.town_admin)
    page = client.get(edit_url(world.cast.town, world.road)).content.decode()
    assert "县里规定本类别时限各镇不能自定" in page
    response = client.post(
        edit_url(world.cast.town, world.road), {"default_department": world.env.pk, "resolution_limit_days": "9"}
    )
    assert response.status_code == 302
    row = TownCategorySetting.objects.get()
    assert (row.default_department, row.resolution_limit_days) == (world.env, None)


def test_the_admin_adds_and_stops_an_own_category_and_other_towns_never_see_it(client, login, world, other):
    town = world.cast.town
    login(world.users.town_admin)
    new = reverse("concerns:town_category_create", args=[town.pk])
    response = client.post(
        new, {"name": "花炮安全", "group": "", "default_department": world.env.pk,
              "response_limit_days": "1", "resolution_limit_days": "3"}
    )
    assert response.status_code == 302
    fireworks = Category.objects.get(name="花炮安全")
    assert (fireworks.town, fireworks.default_department, fireworks.is_active) == (town, world.env, True)
    assert "花炮安全" in client.get(list_url(town)).content.decode()
    register = client.get(reverse("concerns:concern_register")).content.decode()
    assert "花炮安全" in register

    response = client.post(
        edit_url(town, fireworks),
        {"name": "花炮安全", "response_limit_days": "1", "resolution_limit_days": "3"},  # 启用 unticked
    )
    assert response.status_code == 302
    fireworks.refresh_from_db()
    assert not fireworks.is_active and fireworks.default_department is None

    client.logout()
    login(other.town_admin)
    assert client.get(edit_url(town, fireworks)).status_code == 404
    assert client.get(edit_url(other.town, fireworks)).status_code == 404
    assert "花炮安全" not in client.get(list_url(other.town)).content.decode()


def test_an_own_category_without_a_name_comes_back_with_the_fields_message(client, login, world):
    login(world.users.town_admin)
    response = client.post(
        reverse("concerns:town_category_create", args=[world.cast.town.pk]),
        {"name": "", "response_limit_days": "1", "resolution_limit_days": "3"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["请填写类别名称"]}
    assert not Category.objects.filter(town__isnull=False).exists()
