"""Each link carries its household's grid (HouseholdLink.grid), by which the overdue lists and
coverage find the links in scope without joining the households: it must follow every link made and
every household moved, and the figures must agree with the household-by-household reading of the
households, their residents and their visits (cadence.with_cadence)."""

import datetime
import random
from collections import defaultdict

from conftest import build_second_town
from zhenwu.grid import cadence, services
from zhenwu.grid.models import HouseholdLink, Visit
from zhenwu.grid.tests.helpers import TODAY, record_visit
from zhenwu.org import services as org_services
from zhenwu.org.models import Area, Household, Resident

D = datetime.date


def _links_follow_their_households():
    return all(link.grid_id == link.household.grid_id for link in HouseholdLink.objects.select_related("household"))


def test_a_link_carries_its_households_grid_and_follows_a_move(cast):
    grid = build_second_town(cast.county).grid
    h = cast.households.jiulong2
    (link,) = services.link_households(member=cast.members.jiulong, households=[h], by=None, started_on=D(2027, 1, 1))
    ended = HouseholdLink.objects.create(
        member=cast.members.jizhen, household=h, grid=h.grid, started_on=D(2026, 1, 1), ended_on=D(2026, 6, 1)
    )
    link.refresh_from_db()
    assert link.grid_id == cast.jiulong_grid2.pk
    record_visit(h, D(2027, 3, 1))  # 32 days before TODAY: overdue

    assert [r.pk for r in cadence.overdue_households(cast.jiulong, today=TODAY)] == [h.pk]
    org_services.update_household(h, grid=grid)

    link.refresh_from_db()
    ended.refresh_from_db()
    assert (link.grid_id, ended.grid_id) == (grid.pk, grid.pk)  # ended links too
    assert list(cadence.overdue_households(cast.jiulong, today=TODAY)) == []
    assert [r.pk for r in cadence.overdue_households(grid, today=TODAY)] == [h.pk]
    rows = {r.area.pk: r for r in cadence.coverage(cast.county, today=TODAY)}
    assert (rows[cast.jiulong_grid2.pk].linked, rows[cast.jiulong_grid2.pk].households) == (0, 0)
    assert (rows[grid.pk].linked, rows[grid.pk].overdue, rows[grid.pk].households) == (1, 1, 1)
    # Changing the address alone leaves the links alone (and moves nothing).
    org_services.update_household(h, address="新安村1号")
    assert _links_follow_their_households()


def test_a_household_with_two_members_counts_once_and_is_due_from_its_first_link(cast):
    h = cast.households.jiulong2  # no 独居老人: every 30 days
    (first,) = services.link_households(member=cast.members.jiulong, households=[h], by=None,
                                        started_on=D(2027, 1, 1))
    services.link_households(member=cast.members.jizhen, households=[h], by=None, started_on=D(2027, 3, 20))

    def figures():
        row = next(r for r in cadence.coverage(cast.town, today=TODAY) if r.area.pk == cast.jiulong_grid2.pk)
        return row.linked, row.covered, row.overdue

    (row,) = list(cadence.overdue_households(cast.jiulong_grid2, today=TODAY))
    assert (row.linked_since, cadence.due_on(row)) == (D(2027, 1, 1), D(2027, 1, 31))  # never visited
    assert figures() == (1, 0, 1)
    services.end_household_link(first, by=None, ended_on=D(2027, 3, 25))
    assert list(cadence.overdue_households(cast.jiulong_grid2, today=TODAY)) == []  # due 04-19 now
    assert figures() == (1, 0, 0)
    record_visit(h, D(2027, 3, 30))
    assert figures() == (1, 1, 0)


def _truth(today):
    """Per area path: [households, linked, covered, overdue] from the households themselves: their
    grid, their residents' tags and their visits (with_cadence), rolled up to every ancestor."""
    figures = defaultdict(lambda: [0, 0, 0, 0])
    steplen = Area.steplen

    def add(path, index):
        for end in range(steplen, len(path) + 1, steplen):
            figures[path[:end]][index] += 1

    for h in Household.objects.select_related("grid"):
        add(h.grid.path, 0)
    linked = cadence.with_cadence(Household.objects.filter(cadence.linked_q(today)).select_related("grid"), today=today)
    for h in linked:
        add(h.grid.path, 1)
        if h.last_visited_on is not None and h.last_visited_on >= h.cutoff:
            add(h.grid.path, 2)
        if cadence.due_on(h) < today:
            add(h.grid.path, 3)
    return figures, list(linked)


def test_after_random_writes_and_moves_the_figures_agree_with_the_households(cast):
    rng = random.Random(66)
    second = build_second_town(cast.county)
    town2, grid2 = second.town, second.grid
    services.set_cadence_rule(town=town2, interval_days=20, elderly_interval_days=7, by=None)
    grids = [cast.jiulong_grid, cast.jiulong_grid2, cast.jizhen_grid, grid2]
    households = [cast.households.jiulong, cast.households.jiulong2, cast.households.jizhen] + [
        Household.objects.create(grid=grids[i % 4], number=f"RX-{i:03d}", address=f"{i}号") for i in range(17)
    ]
    residents = [
        Resident.objects.create(household=h, name=f"住户{h.pk}", relation="户主", tags=[]) for h in households[3:]
    ] + [cast.residents.jiulong, cast.residents.jiulong2]
    members = [cast.members.jiulong, cast.members.jizhen]
    for _ in range(160):
        h = rng.choice(households)
        h.refresh_from_db()
        action = rng.random()
        if action < 0.4:
            record_visit(h, TODAY - datetime.timedelta(days=rng.randint(0, 60)))
        elif action < 0.5 and Visit.objects.filter(household=h).exists():
            services.delete_visit(rng.choice(list(Visit.objects.filter(household=h))), by=None)
        elif action < 0.65:
            member = rng.choice(members)
            if HouseholdLink.objects.filter(member=member, ended_on__isnull=True).count() < 10:
                services.link_households(member=member, households=[h], by=None,
                                         started_on=TODAY - datetime.timedelta(days=rng.randint(10, 90)))
        elif action < 0.75:
            link = HouseholdLink.objects.filter(household=h, ended_on__isnull=True).first()
            if link is not None:
                services.end_household_link(link, by=None, ended_on=max(
                    link.started_on, TODAY - datetime.timedelta(days=rng.randint(0, 10))))
        elif action < 0.9:  # a move, within the village, to another village or to another town
            org_services.update_household(h, grid=rng.choice([g for g in grids if g.pk != h.grid_id]))
        else:  # 独居老人 tagged or untagged: read from the residents, not carried
            resident = rng.choice(residents)
            resident.refresh_from_db()
            tags = [] if "living_alone_elderly" in resident.tags else ["living_alone_elderly"]
            org_services.update_resident(resident, tags=tags + list(resident.sensitive_tags))

    assert _links_follow_their_households()
    assert HouseholdLink.objects.exclude(grid=cast.jiulong_grid).exists()  # the history moved things about
    figures, linked = _truth(TODAY)
    assert 0 < sum(1 for h in linked if cadence.due_on(h) < TODAY) < len(linked)
    rows = cadence.coverage(cast.county, today=TODAY)
    assert len(rows) == Area.objects.count()
    for row in rows:
        got = [row.households, row.linked, row.covered, row.overdue]
        assert got == figures[row.area.path], row.area.name
    towns = cadence.coverage(cast.county, today=TODAY, depth=1)
    assert [r.area.name for r in towns] == ["浏阳市", "官桥镇", "龙伏镇"]
    assert [[r.households, r.linked, r.covered, r.overdue] for r in towns] == [
        figures[r.area.path] for r in towns
    ]
    for area in Area.objects.all():
        expected = sorted(
            (h for h in linked if h.grid.path.startswith(area.path) and cadence.due_on(h) < TODAY),
            key=lambda h: (cadence.due_on(h), h.number),
        )
        got = list(cadence.overdue_households(area, today=TODAY))
        assert [(h.number, h.last_visited_on, cadence.due_on(h), h.elderly_alone) for h in got] == [
            (h.number, h.last_visited_on, cadence.due_on(h), h.elderly_alone) for h in expected
        ], area.name
