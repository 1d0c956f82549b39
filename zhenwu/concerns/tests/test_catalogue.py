"""The county's catalogue of categories and each town's own rules: routing and deadlines per
town, the county's values where a town set none, and the checks on a town's setting."""

from types import SimpleNamespace

import pytest

from zhenwu.accounts.models import Role, User
from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Concern, TownCategorySetting
from zhenwu.concerns.services import ConcernError, ConcernPermissionDenied
from zhenwu.org.models import Department
from zhenwu.workdays import calendar as workdays

from .conftest import local


@pytest.fixture
def county(world, second_town):
    """Two towns of one county: the cast's 官桥镇 and 龙伏镇, each with a 城建办, a dispatcher
    and an administrator."""
    lf = second_town
    lf.urban = Department.objects.create(name="城建办", town=lf.town)
    lf.transport = Department.objects.create(name="交通站", town=lf.town)

    def user(username, role):
        u = User(username=username, role=role, full_name=username, area=lf.town)
        u.set_unusable_password()
        u.save()
        return u

    lf.dispatcher = user("dispatch_lf", Role.DISPATCHER)
    lf.town_admin = user("admin_lf", Role.TOWN_ADMIN)
    return SimpleNamespace(gq=world.cast, lf=lf, world=world)


def set_rules(town, category, by, **values):
    return services.set_town_category_setting(town=town, category=category, by=by, **values)


def test_two_towns_with_different_default_departments_route_the_same_category_differently(county, submit):
    gq, lf, world = county.gq, county.lf, county.world
    set_rules(lf.town, world.road, lf.town_admin, default_department=lf.transport)
    set_rules(gq.town, world.road, gq.users.town_admin, default_department=world.env)

    here = services.dispatch_concern(submit(area=gq.jiulong_grid).concern, by=gq.users.dispatcher)
    there = services.dispatch_concern(submit(area=lf.grid).concern, by=lf.dispatcher)

    assert here.category == there.category == world.road
    assert here.department == world.env
    assert there.department == lf.transport


def test_a_town_without_its_own_setting_keeps_the_county_default_of_its_own_department(county, submit):
    gq, lf, world = county.gq, county.lf, county.world
    # The county's default for roads is 官桥镇's 城建办: it routes 官桥镇's concerns only.
    here = services.dispatch_concern(submit(area=gq.jiulong_grid).concern, by=gq.users.dispatcher)
    assert here.department == gq.urban
    there = submit(area=lf.grid).concern
    with pytest.raises(ConcernError, match="请选择承办部门"):
        services.dispatch_concern(there, by=lf.dispatcher)
    assert services.category_setting_for(world.road, town_id=lf.town.pk).default_department is None


def test_a_county_limit_applies_to_every_town_without_its_own_and_a_towns_own_wins(county, submit, time_machine):
    gq, lf, world = county.gq, county.lf, county.world
    time_machine.move_to(local(2026, 10, 13, 9, 0), tick=False)  # a Tuesday after 国庆
    set_rules(lf.town, world.road, lf.town_admin, resolution_limit_days=8)
    world.road.resolution_limit_days = 12  # the county changes its limit (was 5)
    world.road.save()

    here = submit(area=gq.jiulong_grid).concern
    there = submit(area=lf.grid).concern

    assert here.resolution_due == workdays.add_workdays(here.received_at, 12)
    assert there.resolution_due == workdays.add_workdays(there.received_at, 8)
    assert here.response_due == there.response_due == workdays.add_workdays(here.received_at, 1)


def test_a_towns_own_response_limit_sets_the_departments_clock_at_dispatch(county, submit, time_machine):
    gq, lf, world = county.gq, county.lf, county.world
    time_machine.move_to(local(2026, 10, 13, 9, 0), tick=False)
    set_rules(lf.town, world.road, lf.town_admin, default_department=lf.urban, response_limit_days=3)
    there = services.dispatch_concern(submit(area=lf.grid).concern, by=lf.dispatcher)
    here = services.dispatch_concern(submit(area=gq.jiulong_grid).concern, by=gq.users.dispatcher)
    assert there.response_due == workdays.add_workdays(there.dispatched_at, 3)
    assert here.response_due == workdays.add_workdays(here.dispatched_at, 1)


def test_town_limits_stop_counting_when_the_county_no_longer_allows_them(county, submit, time_machine):
    lf, world = county.lf, county.world
    time_machine.move_to(local(2026, 10, 13, 9, 0), tick=False)
    set_rules(lf.town, world.road, lf.town_admin, resolution_limit_days=8, default_department=lf.urban)
    world.road.town_limits_allowed = False
    world.road.save()
    concern = submit(area=lf.grid).concern
    assert concern.resolution_due == workdays.add_workdays(concern.received_at, 5)
    # The town's default department still stands: only the limits are the county's to allow.
    assert services.category_setting_for(world.road, town_id=lf.town.pk).default_department == lf.urban
    with pytest.raises(ConcernError, match="时限各镇不能自定") as refused:
        set_rules(lf.town, world.road, lf.town_admin, resolution_limit_days=9)
    assert refused.value.field == "resolution_limit_days"


def test_resolution_never_comes_before_the_first_response_when_the_county_shortens_it(county):
    lf, world = county.lf, county.world
    set_rules(lf.town, world.road, lf.town_admin, response_limit_days=4)  # county: resolution in 5
    world.road.resolution_limit_days = 3
    world.road.save()
    rules = services.category_setting_for(world.road, town_id=lf.town.pk)
    assert (rules.response_limit_days, rules.resolution_limit_days) == (4, 4)


def test_recategorising_reroutes_to_the_towns_own_default_department(county, submit):
    lf, world = county.lf, county.world
    set_rules(lf.town, world.road, lf.town_admin, default_department=lf.urban)
    set_rules(lf.town, world.sanitation, lf.town_admin, default_department=lf.transport)
    concern = services.dispatch_concern(submit(area=lf.grid).concern, by=lf.dispatcher)
    assert concern.department == lf.urban
    concern = services.recategorise_concern(concern, by=lf.dispatcher, category=world.sanitation)
    assert concern.department == lf.transport


def test_a_town_sets_only_its_own_active_departments(county):
    gq, lf, world = county.gq, county.lf, county.world
    with pytest.raises(ConcernError, match="本镇默认承办部门") as refused:
        set_rules(lf.town, world.road, lf.town_admin, default_department=gq.urban)
    assert refused.value.field == "default_department"
    lf.transport.is_active = False
    lf.transport.save()
    with pytest.raises(ConcernError, match="本镇默认承办部门"):
        set_rules(lf.town, world.road, lf.town_admin, default_department=lf.transport)
    assert not TownCategorySetting.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"response_limit_days": "两天"}, "response_limit_days", "本镇响应时限须为整数"),
        ({"response_limit_days": "-1"}, "response_limit_days", "本镇响应时限须在0到365"),
        ({"resolution_limit_days": "0"}, "resolution_limit_days", "本镇办结时限须在1到365"),
        ({"resolution_limit_days": "400"}, "resolution_limit_days", "本镇办结时限须在1到365"),
        ({"response_limit_days": "7"}, "resolution_limit_days", "不能短于响应时限"),  # county resolves in 5
        ({"response_limit_days": "3", "resolution_limit_days": "2"}, "resolution_limit_days", "不能短于响应时限"),
    ],
)
def test_bad_limits_are_refused_naming_the_field(county, values, field, message):
    with pytest.raises(ConcernError, match=message) as refused:
        set_rules(county.lf.town, county.world.road, county.lf.town_admin, **values)
    assert refused.value.field == field
    assert not TownCategorySetting.objects.exists()


def test_only_the_towns_own_administrator_sets_its_rules(county):
    gq, lf, world = county.gq, county.lf, county.world
    for by in (gq.users.town_admin, lf.dispatcher, gq.users.leader):
        with pytest.raises(ConcernPermissionDenied):
            set_rules(lf.town, world.road, by, default_department=lf.urban)
    assert not TownCategorySetting.objects.exists()


def test_each_change_is_audited_and_clearing_every_value_restores_the_county(county, submit):
    lf, world = county.lf, county.world
    row = set_rules(lf.town, world.road, lf.town_admin, default_department=lf.urban)
    set_rules(lf.town, world.road, lf.town_admin, default_department=lf.urban, resolution_limit_days="9")
    assert set_rules(lf.town, world.road, lf.town_admin) is None
    entries = list(
        AuditEntry.objects.filter(object_type="concerns.TownCategorySetting", object_id=str(row.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert entries == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    assert not TownCategorySetting.objects.exists()
    assert services.category_setting_for(world.road, town_id=lf.town.pk).resolution_limit_days == 5


def test_a_towns_dispatcher_never_sees_another_towns_concerns(county, submit):
    gq, lf = county.gq, county.lf
    here = submit(area=gq.jiulong_grid).concern
    there = submit(area=lf.grid).concern
    assert set(Concern.objects.visible_to(gq.users.dispatcher)) == {here}
    assert set(Concern.objects.visible_to(lf.dispatcher)) == {there}
    assert set(Concern.objects.visible_to(gq.users.dispatcher).inbox()) == {here}
    assert set(Concern.objects.visible_to(lf.dispatcher).inbox()) == {there}


# --- a town's own extra categories -----------------------------------------------------------


def own_category(county, **values):
    lf = county.lf
    fields = dict(name="山塘管护", default_department=lf.transport, response_limit_days=2, resolution_limit_days=6)
    fields.update(values)
    return services.save_town_category(town=lf.town, by=lf.town_admin, **fields)


def test_a_towns_own_category_routes_and_times_its_concerns_and_no_other_towns(county, submit, time_machine):
    gq, lf = county.gq, county.lf
    time_machine.move_to(local(2026, 10, 13, 9, 0), tick=False)
    pond = own_category(county)
    assert pond.town == lf.town and pond.code == f"{lf.town.code}-1"
    concern = services.dispatch_concern(submit(area=lf.grid, category=pond).concern, by=lf.dispatcher)
    assert concern.department == lf.transport
    assert concern.resolution_due == workdays.add_workdays(concern.received_at, 6)

    with pytest.raises(ConcernError, match="龙伏镇自设的类别") as refused:
        submit(area=gq.jiulong_grid, category=pond)
    assert refused.value.field == "category"
    here = submit(area=gq.jiulong_grid).concern
    with pytest.raises(ConcernError, match="龙伏镇自设的类别"):
        services.recategorise_concern(here, by=gq.users.dispatcher, category=pond)


def test_a_towns_own_categories_are_offered_to_its_staff_only(county):
    gq, lf = county.gq, county.lf
    pond = own_category(county)
    assert pond in Category.objects.for_town(lf.town.pk)
    assert pond not in Category.objects.for_town(gq.town.pk)
    assert services.user_town_id(lf.dispatcher) == lf.town.pk
    assert services.user_town_id(gq.users.grid_worker) == gq.town.pk


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "请填写类别名称"),
        ({"name": "道路交通"}, "name", "已有名为“道路交通”的类别"),
        ({"response_limit_days": ""}, "response_limit_days", "请填写响应时限"),
        ({"resolution_limit_days": "1", "response_limit_days": "2"}, "resolution_limit_days", "不能短于响应时限"),
        ({"default_department": "gq"}, "default_department", "须是本镇启用中的部门"),
    ],
)
def test_a_towns_own_category_is_checked_naming_the_field(county, values, field, message):
    if values.get("default_department") == "gq":
        values["default_department"] = county.gq.urban
    with pytest.raises(ConcernError, match=message) as refused:
        own_category(county, **values)
    assert refused.value.field == field
    assert not Category.objects.filter(town__isnull=False).exists()


def test_a_town_changes_only_its_own_categories_and_each_change_is_audited(county):
    gq, lf, world = county.gq, county.lf, county.world
    pond = own_category(county)
    changed = own_category(county, category=pond, name="山塘水库管护", is_active=False)
    assert (changed.pk, changed.name, changed.is_active) == (pond.pk, "山塘水库管护", False)
    assert list(
        AuditEntry.objects.filter(object_type="concerns.Category", object_id=str(pond.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == [AuditAction.CREATE, AuditAction.UPDATE]
    with pytest.raises(ConcernPermissionDenied):
        services.save_town_category(town=lf.town, by=gq.users.town_admin, category=pond, name="x",
                                    response_limit_days=1, resolution_limit_days=2)
    with pytest.raises(ConcernError, match="只能修改本镇自设的类别"):
        services.save_town_category(town=lf.town, by=lf.town_admin, category=world.road, name="道路",
                                    response_limit_days=1, resolution_limit_days=2)
    with pytest.raises(ConcernError, match="本镇自设的类别请在其本身的设置中修改"):
        set_rules(lf.town, pond, lf.town_admin, resolution_limit_days=9)


def test_the_api_lists_the_callers_towns_categories_with_the_rules_in_force_there(county, as_user):
    gq, lf, world = county.gq, county.lf, county.world
    set_rules(lf.town, world.road, lf.town_admin, default_department=lf.urban, resolution_limit_days=9)
    own_category(county)
    there = {c["code"]: c for c in as_user(lf.dispatcher, "get", "/categories/").json()}
    here = {c["code"]: c for c in as_user(gq.users.dispatcher, "get", "/categories/").json()}
    assert set(there) == {"lamp", "road", "sanitation", f"{lf.town.code}-1"}
    assert set(here) == {"lamp", "road", "sanitation"}
    assert there["road"]["default_department"] == {"id": lf.urban.pk, "name": "城建办"}
    assert (there["road"]["response_limit_days"], there["road"]["resolution_limit_days"]) == (1, 9)
    assert here["road"]["default_department"] == {"id": gq.urban.pk, "name": "城建办"}
    assert here["road"]["resolution_limit_days"] == 5
    assert there["sanitation"]["default_department"] is None  # the county's default is 官桥镇's
