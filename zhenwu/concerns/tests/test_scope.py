"""Who sees which concern, as a matrix, and the list querysets the pages will use."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from zhenwu.concerns import access, services
from zhenwu.concerns.models import Concern, Project
from zhenwu.org.models import Area, AreaLevel

from .conftest import local


@pytest.fixture
def concerns(world, submit):
    c = world.cast
    other_town = Area.objects.add_child(c.county, dict(name="北盛镇", level=AreaLevel.TOWN))
    other_village = Area.objects.add_child(other_town, dict(name="北盛村", level=AreaLevel.VILLAGE))
    d = world.users.dispatcher
    made = {
        "jl_grid1": services.dispatch_concern(submit(area=c.jiulong_grid).concern, by=d),
        "jl_grid2": services.dispatch_concern(
            submit(area=c.jiulong_grid2, category=world.sanitation).concern, by=d
        ),
        "jl_village": services.dispatch_concern(submit(area=c.jiulong).concern, by=d),
        "jz_grid": submit(area=c.jizhen_grid).concern,
        "other_town": submit(area=other_village).concern,
    }
    return made


EXPECTED = {
    "town_admin": {"jl_grid1", "jl_grid2", "jl_village", "jz_grid"},
    "leader": {"jl_grid1", "jl_grid2", "jl_village", "jz_grid"},
    "dispatcher": {"jl_grid1", "jl_grid2", "jl_village", "jz_grid"},
    "handler": {"jl_grid1", "jl_village"},
    "env_handler": {"jl_grid2"},
    "secretary": {"jl_grid1", "jl_grid2", "jl_village"},
    "grid_worker": {"jl_grid1"},
    "other_grid_worker": {"jz_grid"},
    "instructor": set(),
    "member": set(),
}


def user_named(world, name):
    return world.env_handler if name == "env_handler" else getattr(world.users, name)


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_each_role_sees_exactly_its_scope(world, concerns, role):
    user = user_named(world, role)
    names = {name for name, concern in concerns.items() if concern.pk}
    visible = set(Concern.objects.visible_to(user).values_list("pk", flat=True))
    assert {n for n in names if concerns[n].pk in visible} == EXPECTED[role]


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_the_python_scope_check_agrees_with_the_queryset(world, concerns, role):
    user = user_named(world, role)
    for name, concern in concerns.items():
        fresh = Concern.objects.select_related("area").get(pk=concern.pk)
        assert access.in_scope(user, fresh) == (name in EXPECTED[role]), name


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_fetching_a_concern_outside_the_scope_is_a_404(world, concerns, role):
    user = user_named(world, role)
    for name, concern in concerns.items():
        if name in EXPECTED[role]:
            assert access.get_concern_for_user(user, concern.pk) == concern
        else:
            with pytest.raises(Http404):
                access.get_concern_for_user(user, concern.pk)


def test_anonymous_visitors_and_accounts_without_scope_see_nothing(world, concerns):
    assert not Concern.objects.visible_to(AnonymousUser()).exists()
    world.users.grid_worker.area = None
    assert not Concern.objects.visible_to(world.users.grid_worker).exists()
    with pytest.raises(Http404):
        access.get_concern_for_user(AnonymousUser(), concerns["jl_grid1"].pk)
    with pytest.raises(Http404):
        access.get_concern_for_user(world.users.town_admin, "not-a-number")


def test_projects_are_visible_to_the_town_and_to_those_who_see_their_concerns(world, concerns):
    project = services.start_or_join_project(
        concerns["jl_grid1"], by=world.users.dispatcher, name="学校排污管改造"
    )
    for role, sees in [
        ("town_admin", True),
        ("leader", True),
        ("handler", True),
        ("env_handler", False),
        ("secretary", True),
        ("grid_worker", True),
        ("other_grid_worker", False),
        ("member", False),
    ]:
        assert Project.objects.visible_to(user_named(world, role)).filter(pk=project.pk).exists() == sees, (
            role
        )


def _touch(rows):
    """Everything a list row shows."""
    return [
        (
            c.reference,
            c.title,
            c.get_status_display(),
            c.category.name,
            c.department.name if c.department else "",
            c.village.name if c.village else "",
            c.area.name,
            c.response_due,
            c.resolution_due,
            c.is_overdue(),
        )
        for c in rows
    ]


@pytest.fixture
def many(world, submit, time_machine):
    time_machine.move_to(local(2026, 9, 1, 9, 0), tick=True)
    d = world.users.dispatcher
    for i in range(30):
        result = submit(area=world.cast.jiulong_grid if i % 2 else world.cast.jizhen_grid)
        if i % 3 == 0:
            services.dispatch_concern(result.concern, by=d)


def test_list_querysets_take_a_bounded_number_of_queries(world, many, django_assert_max_num_queries):
    users = world.users
    for user, build in [
        (users.dispatcher, lambda u: Concern.objects.visible_to(u).inbox()),
        (users.handler, lambda u: Concern.objects.visible_to(u).department_queue(u.department_id)),
        (users.leader, lambda u: Concern.objects.visible_to(u).supervised()),
        (users.secretary, lambda u: Concern.objects.visible_to(u).public().urgent_first()),
        (users.grid_worker, lambda u: Concern.objects.visible_to(u).open()),
        (users.dispatcher, lambda u: Concern.objects.visible_to(u).awaiting_call_back()),
    ]:
        fresh = type(user).objects.get(pk=user.pk)
        with django_assert_max_num_queries(2):  # the account's area, then the page
            rows = _touch(build(fresh).for_list()[:20])
        assert rows is not None


def test_list_querysets_do_not_decrypt_reporters(world, many):
    row = Concern.objects.visible_to(world.users.dispatcher).for_list().first()
    assert "reporter_phone" in row.get_deferred_fields() and "text" in row.get_deferred_fields()


def test_the_department_queue_puts_overdue_concerns_first(world, submit, time_machine):
    d, h = world.users.dispatcher, world.users.handler
    time_machine.move_to(local(2026, 9, 1, 9, 0), tick=False)
    old = services.dispatch_concern(submit().concern, by=d)
    time_machine.move_to(local(2026, 9, 21, 9, 0), tick=False)
    new = services.dispatch_concern(submit().concern, by=d)
    queue = list(Concern.objects.department_queue(h.department_id))
    assert queue == [old, new]
    assert old.is_overdue() and not new.is_overdue()
    assert list(Concern.objects.overdue()) == [old]
