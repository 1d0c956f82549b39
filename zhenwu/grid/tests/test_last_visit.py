"""Each link carries its household's latest visit (HouseholdLink.last_visited_on), which the overdue
list and coverage read instead of the visits: it must follow every visit recorded or deleted and
every link made or ended, and agree with the visits themselves."""

import datetime
import random

from django.db.models import Max
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.grid import cadence, services
from zhenwu.grid.models import HouseholdLink, Visit
from zhenwu.grid.tests.helpers import TODAY, record_visit
from zhenwu.org.models import Household

D = datetime.date


def _last(household):
    return sorted({link.last_visited_on for link in HouseholdLink.objects.filter(household=household)},
                  key=lambda d: d or D.min)


def _overdue_numbers(today=TODAY):
    return [h.number for h in cadence.overdue_households(None, today=today)]


def test_a_visit_moves_the_last_visit_of_every_link_of_the_household_forward_never_back(cast):
    h = cast.households.jiulong2
    for member in (cast.members.jiulong, cast.members.jizhen):
        services.link_households(member=member, households=[h], by=None, started_on=D(2027, 1, 1))
    record_visit(h, D(2027, 3, 10))
    assert _last(h) == [D(2027, 3, 10)]
    record_visit(h, D(2027, 2, 1))  # entered late, for an earlier day
    assert _last(h) == [D(2027, 3, 10)]
    record_visit(h, D(2027, 3, 20))
    assert _last(h) == [D(2027, 3, 20)]
    assert _last(cast.households.jiulong) == []  # another household's links are untouched


def test_a_replayed_visit_changes_nothing(cast):
    h = cast.households.jiulong
    services.link_households(member=cast.members.jiulong, households=[h], by=None, started_on=D(2027, 1, 1))
    now = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10)))
    for _ in range(2):
        services.record_visit(household=h, visited_on=D(2027, 3, 1), way="home", notes="走访", by=None, now=now,
                              idempotency_key="replayed-draft")
    assert Visit.objects.filter(household=h).count() == 1 and _last(h) == [D(2027, 3, 1)]


def test_a_link_made_after_visits_starts_with_the_households_last_visit(cast):
    h = cast.households.jizhen
    record_visit(h, D(2027, 3, 1))
    record_visit(h, D(2027, 3, 20))
    (link,) = services.link_households(member=cast.members.jizhen, households=[h], by=None, started_on=D(2027, 1, 1))
    link.refresh_from_db()
    assert link.last_visited_on == D(2027, 3, 20)
    assert "JZ-0001" not in _overdue_numbers()  # visited 13 days ago
    assert "JZ-0001" in _overdue_numbers(D(2027, 4, 20))


def test_deleting_a_visit_falls_back_to_the_latest_remaining_one_and_is_audited(cast):
    h = cast.households.jiulong2
    services.link_households(member=cast.members.jiulong, households=[h], by=None, started_on=D(2027, 1, 1))
    early, late = record_visit(h, D(2027, 2, 20)), record_visit(h, D(2027, 3, 25))
    assert "JL-0002" not in _overdue_numbers()
    services.delete_visit(late, by=cast.users.grid_worker)
    assert _last(h) == [D(2027, 2, 20)] and "JL-0002" in _overdue_numbers()
    services.delete_visit(early, by=cast.users.grid_worker)
    assert _last(h) == [None]
    # Never visited: due one interval after it was linked (01-01 + 30 days), so still overdue.
    row = next(r for r in cadence.overdue_households(None, today=TODAY) if r.pk == h.pk)
    assert row.last_visited_on is None and cadence.due_on(row) == D(2027, 1, 31)
    assert not Visit.objects.filter(household=h).exists()
    assert AuditEntry.objects.filter(object_type="grid.Visit", action="delete").count() == 2


def test_an_ended_link_leaves_the_household_to_its_other_links_with_the_same_last_visit(cast):
    h = cast.households.jiulong
    services.link_households(member=cast.members.jiulong, households=[h], by=None, started_on=D(2027, 1, 1))
    services.link_households(member=cast.members.jizhen, households=[h], by=None, started_on=D(2027, 2, 1))
    record_visit(h, D(2027, 3, 10))  # 独居老人: due 03-24
    first = HouseholdLink.objects.get(household=h, member=cast.members.jiulong)
    services.end_household_link(first, by=None, ended_on=D(2027, 3, 15))
    (row,) = [r for r in cadence.overdue_households(h.grid, today=TODAY) if r.pk == h.pk]
    assert (row.last_visited_on, row.linked_since, cadence.due_on(row)) == (D(2027, 3, 10), D(2027, 2, 1),
                                                                          D(2027, 3, 24))
    # The member's own list no longer holds it; the other member's does.
    assert not list(cadence.overdue_households(None, today=TODAY, member=cast.members.jiulong))
    assert [r.pk for r in cadence.overdue_households(None, today=TODAY, member=cast.members.jizhen)] == [h.pk]


def test_refreshing_after_a_bulk_load_sets_each_link_from_the_visits(cast):
    households = [cast.households.jiulong, cast.households.jiulong2, cast.households.jizhen]
    services.link_households(member=cast.members.jiulong, households=households, by=None, started_on=D(2027, 1, 1))
    Visit.objects.bulk_create([
        Visit(household=households[0], visited_on=D(2027, 3, 1), way="home"),
        Visit(household=households[0], visited_on=D(2027, 3, 9), way="phone"),
        Visit(household=households[2], visited_on=D(2027, 2, 2), way="home"),
    ])
    assert services.refresh_last_visits(households=[h.pk for h in households[:2]]) == 2
    assert (_last(households[0]), _last(households[1]), _last(households[2])) == ([D(2027, 3, 9)], [None], [None])
    services.refresh_last_visits()
    assert _last(households[2]) == [D(2027, 2, 2)]


def test_after_random_visits_deletions_and_link_changes_the_lists_agree_with_the_visits(cast):
    """The overdue list and coverage (from the links' last visit) against the household-by-household
    reading of the visits themselves (cadence.with_cadence), after a random history."""
    rng = random.Random(6)
    grids = [cast.jiulong_grid, cast.jiulong_grid2]
    households = [cast.households.jiulong, cast.households.jiulong2] + [
        Household.objects.create(grid=grids[i % 2], number=f"JL-5{i:03d}", address=f"九龙村{i}号") for i in range(14)
    ]
    members = [cast.members.jiulong, cast.members.jizhen]
    for _ in range(120):
        h = rng.choice(households)
        action = rng.random()
        if action < 0.55:
            record_visit(h, TODAY - datetime.timedelta(days=rng.randint(0, 80)))
        elif action < 0.7 and Visit.objects.filter(household=h).exists():
            services.delete_visit(rng.choice(list(Visit.objects.filter(household=h))), by=None)
        elif action < 0.85:
            member = rng.choice(members)
            if HouseholdLink.objects.filter(member=member, ended_on__isnull=True).count() < 10:
                services.link_households(member=member, households=[h], by=None,
                                         started_on=TODAY - datetime.timedelta(days=rng.randint(20, 90)))
        else:
            link = HouseholdLink.objects.filter(household=h, ended_on__isnull=True).first()
            if link is not None:
                services.end_household_link(link, by=None, ended_on=max(link.started_on, TODAY - datetime.timedelta(
                    days=rng.randint(0, 10))))
    truth = dict(Visit.objects.values("household").annotate(last=Max("visited_on")).values_list("household", "last"))
    for link in HouseholdLink.objects.all():
        assert link.last_visited_on == truth.get(link.household_id), link.pk

    scope = Household.objects.filter(grid__in=grids)
    expected = [
        h for h in cadence.with_cadence(scope.filter(cadence.linked_q(TODAY)), today=TODAY)
        if cadence.due_on(h) < TODAY
    ]
    expected.sort(key=lambda h: (cadence.due_on(h), h.number))
    got = list(cadence.overdue_households(cast.jiulong, today=TODAY))
    assert [(h.number, h.last_visited_on, cadence.due_on(h)) for h in got] == [
        (h.number, h.last_visited_on, cadence.due_on(h)) for h in expected
    ]
    assert 0 < len(got) < len(households)
    village = next(r for r in cadence.coverage(cast.jiulong, today=TODAY) if r.area.pk == cast.jiulong.pk)
    linked = list(cadence.with_cadence(scope.filter(cadence.linked_q(TODAY)), today=TODAY))
    covered = [h for h in linked if h.last_visited_on and h.last_visited_on >= h.cutoff]
    assert (village.linked, village.covered, village.overdue) == (len(linked), len(covered), len(expected))
