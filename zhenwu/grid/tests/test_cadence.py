"""The visiting cadence: due dates across month ends, the stricter interval for households with an
elderly resident living alone, overdue lists per member, grid and village, and coverage."""

import datetime

import pytest
from django.utils import timezone

from zhenwu.grid import cadence, services
from zhenwu.grid.models import HouseholdLink
from zhenwu.org.models import Household

D = datetime.date


def _link(member, household, started_on):
    return services.link_households(member=member, households=[household], by=None, started_on=started_on)[0]


def _visit(household, day, member=None):
    # Through the service, which keeps the household's links' last visit (HouseholdLink.last_visited_on).
    now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    return services.record_visit(household=household, visited_on=day, way="home", notes="走访", by=None,
                                 member=member, now=now).visit


def _overdue(today, area=None, **kwargs):
    return list(cadence.overdue_households(area, today=today, **kwargs))


@pytest.fixture
def linked(cast):
    """Both 九龙村 households linked to 黎干亮 and the 集镇村 one to 彭镇铭 since 2027-01-01.
    JL-0001's head 黎明 is tagged 独居老人 (fortnightly); the others follow the 30-day default."""
    _link(cast.members.jiulong, cast.households.jiulong, D(2027, 1, 1))
    _link(cast.members.jiulong, cast.households.jiulong2, D(2027, 1, 1))
    _link(cast.members.jizhen, cast.households.jizhen, D(2027, 1, 1))
    return cast


def test_a_visit_on_january_31st_falls_due_thirty_days_later_on_march_2nd(linked):
    h = linked.households.jiulong2
    _visit(h, D(2027, 1, 31))
    row = cadence.with_cadence(Household.objects.filter(pk=h.pk), today=D(2027, 3, 2)).get()
    assert (row.last_visited_on, row.interval_days, cadence.due_on(row)) == (D(2027, 1, 31), 30, D(2027, 3, 2))
    assert h not in _overdue(D(2027, 3, 2))
    assert h in _overdue(D(2027, 3, 3))


def test_a_leap_february_moves_the_due_date_by_a_day(linked):
    h = linked.households.jiulong2
    HouseholdLink.objects.filter(household=h).update(started_on=D(2028, 1, 1))
    _visit(h, D(2028, 1, 31))
    row = cadence.with_cadence(Household.objects.filter(pk=h.pk), today=D(2028, 3, 1)).get()
    assert cadence.due_on(row) == D(2028, 3, 1)
    assert h not in _overdue(D(2028, 3, 1)) and h in _overdue(D(2028, 3, 2))


def test_an_elderly_resident_living_alone_makes_the_household_fortnightly(linked):
    h = linked.households.jiulong  # 黎明: 独居老人
    _visit(h, D(2027, 2, 20))
    row = cadence.with_cadence(Household.objects.filter(pk=h.pk), today=D(2027, 3, 6)).get()
    assert row.elderly_alone and row.interval_days == 14 and cadence.due_on(row) == D(2027, 3, 6)
    assert h not in _overdue(D(2027, 3, 6))
    assert h in _overdue(D(2027, 3, 7))


def test_the_towns_rule_sets_both_intervals(linked):
    services.set_cadence_rule(town=linked.town, interval_days=7, elderly_interval_days=3, by=linked.users.town_admin)
    _visit(linked.households.jiulong, D(2027, 3, 1))
    _visit(linked.households.jiulong2, D(2027, 3, 1))
    overdue = _overdue(D(2027, 3, 5), area=linked.town)
    assert linked.households.jiulong in overdue  # 3 days: due 03-04
    assert linked.households.jiulong2 not in overdue  # 7 days: due 03-08
    assert [h.interval_days for h in overdue if h.pk == linked.households.jiulong.pk] == [3]


def test_a_household_never_visited_is_due_one_interval_after_it_was_linked(linked):
    h = linked.households.jiulong2
    HouseholdLink.objects.filter(household=h).update(started_on=D(2027, 2, 1))
    assert h not in _overdue(D(2027, 3, 3))  # 02-01 + 30 days = 03-03
    assert h in _overdue(D(2027, 3, 4))
    row = next(r for r in _overdue(D(2027, 3, 4)) if r.pk == h.pk)
    assert row.last_visited_on is None and cadence.due_on(row) == D(2027, 3, 3)


def test_an_ended_link_takes_the_household_out_of_the_cadence(linked):
    h = linked.households.jizhen
    HouseholdLink.objects.filter(household=h).update(ended_on=D(2027, 2, 1))
    assert h not in _overdue(D(2027, 6, 1))
    assert h in list(cadence.unlinked_households(Household.objects.all(), today=D(2027, 6, 1)))


def test_overdue_lists_per_member_grid_and_village_most_overdue_first(linked):
    _visit(linked.households.jiulong, D(2027, 3, 10))  # elderly: due 03-24
    _visit(linked.households.jiulong2, D(2027, 2, 10))  # due 03-12
    _visit(linked.households.jizhen, D(2027, 3, 1))  # due 03-31
    today = D(2027, 4, 2)
    everyone = _overdue(today)
    assert [h.number for h in everyone] == ["JL-0002", "JL-0001", "JZ-0001"]
    assert [cadence.due_on(h) for h in everyone] == [D(2027, 3, 12), D(2027, 3, 24), D(2027, 3, 31)]
    mine = _overdue(today, member=linked.members.jizhen)
    assert [h.number for h in mine] == ["JZ-0001"]
    grid = cadence.overdue_households(linked.jiulong_grid, today=today)
    assert [h.number for h in grid] == ["JL-0001"]
    village = cadence.overdue_households(linked.jiulong, today=today)
    assert [h.number for h in village] == ["JL-0002", "JL-0001"]
    # A visit by anyone (here a grid worker's, without a member) brings the household up to date.
    _visit(linked.households.jiulong2, D(2027, 4, 1))
    assert [h.number for h in _overdue(today)] == ["JL-0001", "JZ-0001"]


def test_coverage_counts_households_visited_within_their_interval(linked, django_assert_max_num_queries):
    Household.objects.create(grid=linked.jiulong_grid, number="JL-0003", address="九龙村一组20号")  # unlinked
    _visit(linked.households.jiulong, D(2027, 3, 25))  # elderly, within 14 days of 04-02: covered
    _visit(linked.households.jiulong2, D(2027, 2, 27))  # 34 days ago: overdue
    _visit(linked.households.jizhen, D(2027, 3, 5))  # 28 days ago: covered
    # areas, household totals, the town rules, the grouped CTE (in a savepoint, with its
    # transaction-local setting on PostgreSQL)
    with django_assert_max_num_queries(7):
        rows = cadence.coverage(linked.town, today=D(2027, 4, 2))
    by_name = {r.area.name: r for r in rows}
    town = by_name["官桥镇"]
    assert (town.households, town.linked, town.covered, town.overdue) == (4, 3, 2, 1)
    assert town.percent == 66.7 and town.unlinked == 1
    jiulong = by_name["九龙村"]
    assert (jiulong.linked, jiulong.covered, jiulong.percent) == (2, 1, 50.0)
    assert (by_name["九龙村第一网格"].households, by_name["九龙村第一网格"].percent) == (2, 100.0)
    assert by_name["九龙村第二网格"].percent == 0.0
    assert by_name["集镇村"].percent == 100.0
    assert [r.area.name for r in rows][0] == "官桥镇"
    # The households behind the figures (the dashboard's drill-down): the same three, flagged alike.
    records = cadence.coverage_records(linked.town, today=D(2027, 4, 2))
    assert [(r.household.number, r.covered, r.overdue) for r in records] == [
        ("JL-0001", True, False), ("JL-0002", False, True), ("JZ-0001", True, False)]
    assert [r.due for r in records] == [D(2027, 4, 8), D(2027, 3, 29), D(2027, 4, 4)]
    assert [r.household.number for r in cadence.coverage_records(linked.jiulong, today=D(2027, 4, 2))] == [
        "JL-0001", "JL-0002"]
