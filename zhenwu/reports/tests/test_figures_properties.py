"""Property tests of the figures (issue 15): for random records — 民情茶室 meetings with any mix of
members, residents and unnamed guests; activities spanning month ends; fractional volunteer hours;
declared and named beneficiaries — every figure the briefing, the dashboard and the drill-down
lists show equals a count made here, independently, from the rows generated; and the months'
figures add up to the quarter's (nothing counted in two months)."""

import datetime
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from zhenwu.activities import figures as activity_figures
from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind, ParticipationRole
from zhenwu.grid import figures as grid_figures
from zhenwu.grid import services as grid_services
from zhenwu.lib.numbers import approx_count, hours_text
from zhenwu.org.models import Member, Resident
from zhenwu.reports import briefing
from zhenwu.reports.dashboard import Places, activity_panel
from zhenwu.reports.drilldown import FIGURES
from zhenwu.reports.filters import Filter

SH = ZoneInfo("Asia/Shanghai")
FIRST = datetime.date(2019, 9, 1)
MONTHS = [(2019, 9), (2019, 10), (2019, 11)]
QUARTER = (datetime.date(2019, 9, 1), datetime.date(2019, 11, 30))
# Shrinking replays whole months of records; a failure is reported as found.
EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])


def month_filter(area, year, month):
    start, end = briefing.month_bounds(year, month)
    return Filter(start=start, end=end, area=area)


def in_month(day, year, month):
    return (day.year, day.month) == (year, month)


def drill_total(key, user, flt):
    figure = FIGURES[key]
    records = figure.records(user, flt)
    return figure.count(user, flt), figure.total(records)


def _pool(cast):
    """Members and residents of 九龙村 for the meetings to draw from."""
    members = [cast.members.jiulong] + [
        Member.objects.create(party_org=cast.jiulong_org, name=f"党员{i}", phone=f"1360000010{i}") for i in range(4)]
    residents = [cast.residents.jiulong, cast.residents.jiulong2] + [
        Resident.objects.create(household=cast.households.jiulong, name=f"居民{i}", relation="其他") for i in range(2)]
    return members, residents


meeting = st.tuples(st.integers(0, 90), st.integers(0, 5), st.integers(0, 4), st.integers(0, 40))


def test_meeting_attendance_counts_members_residents_and_guests_once(cast):
    members, residents = _pool(cast)
    leader = cast.users.leader

    @EXAMPLES
    @given(st.lists(meeting, max_size=5))
    def check(meetings):
        with transaction.atomic():
            expected = {}
            for index, (offset, n_members, n_residents, guests) in enumerate(meetings):
                day = FIRST + datetime.timedelta(days=offset)
                grid_services.record_meeting(area=cast.jiulong, title=f"民情茶室{index}", held_on=day, place="茶室",
                                             host="村支书", by=cast.users.secretary, members=members[:n_members],
                                             residents=residents[:n_residents], guest_count=guests)
                expected.setdefault((day.year, day.month), []).append(n_members + n_residents + guests)
            quarter = 0
            for year, month in MONTHS:
                people = sum(expected.get((year, month), []))
                count = len(expected.get((year, month), []))
                flt = month_filter(cast.town, year, month)
                scope = {"area": cast.town, "start": flt.start, "end": flt.end}
                assert grid_figures.meeting_count(**scope) == count
                assert grid_figures.meeting_attendance(**scope) == people
                assert drill_total("meeting_attendance", leader, flt) == (people, people)
                assert drill_total("meetings", leader, flt) == (count, count)
                text = briefing.to_text(briefing.build_sections(cast.town, year, month))
                if count:
                    assert f"召开“民情茶室”{approx_count(count)}场，{approx_count(people)}名党员群众参加" in text
                else:
                    assert "民情茶室”" not in text
                quarter += people
            assert grid_figures.meeting_attendance(area=cast.town, start=QUARTER[0], end=QUARTER[1]) == quarter
            transaction.set_rollback(True)

    check()


hours = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("8"), places=1)
volunteer = st.tuples(st.integers(0, 5), hours, st.booleans())  # (name index, hours, confirmed)
activity = st.tuples(
    st.integers(0, 85),  # start: days after 1 September
    st.integers(0, 20),  # days it lasts
    st.sampled_from([0, 8, 23]),  # hour it starts (23: the next UTC day already)
    st.lists(volunteer, max_size=4, unique_by=lambda v: v[0]),
    st.integers(0, 250),  # declared beneficiaries
    st.integers(0, 3),  # named beneficiaries
)


def test_activity_figures_count_each_activity_in_the_month_it_ends(cast):
    leader = cast.users.leader

    @EXAMPLES
    @given(st.lists(activity, max_size=4))
    def check(activities):
        with transaction.atomic():
            rows = []
            for index, (offset, days, hour, volunteers, declared, named) in enumerate(activities):
                starts = datetime.datetime.combine(FIRST + datetime.timedelta(days=offset), datetime.time(hour),
                                                   tzinfo=SH)
                ends = starts + datetime.timedelta(days=days, minutes=30)
                a = activity_services.create_activity(
                    kind=ActivityKind.VOLUNTEER, title=f"第{index}号服务", starts_at=starts, ends_at=ends, place="村里",
                    area=cast.jiulong, department=cast.urban)
                if declared:
                    activity_services.set_beneficiaries(a, count=declared, description="群众")
                for i in range(named):
                    activity_services.add_beneficiary(a, person_name=f"受益人{i}")
                for name, h, confirmed in volunteers:
                    p = activity_services.add_participant(a, role=ParticipationRole.VOLUNTEER,
                                                          person_name=f"志愿者{name}", hours=h)
                    if confirmed:
                        activity_services.confirm_hours(p, by=cast.users.town_admin)
                rows.append({"ends_on": ends.date(), "served": max(declared, named), "turnout": len(volunteers),
                             "hours": sum((h for _n, h, c in volunteers if c), Decimal("0")),
                             "people": {n for n, _h, c in volunteers if c}})
            places = Places(cast.town)
            totals = {"activities": 0, "hours": Decimal("0"), "served": 0}
            for year, month in MONTHS:
                mine = [r for r in rows if in_month(r["ends_on"], year, month)]
                n, served = len(mine), sum(r["served"] for r in mine)
                confirmed = sum((r["hours"] for r in mine), Decimal("0"))
                people = len(set().union(*(r["people"] for r in mine))) if mine else 0
                turnout = sum(r["turnout"] for r in mine)
                flt = month_filter(cast.town, year, month)
                figures = dict(activity_panel(leader, flt, places).figures)
                assert figures["活动(次)"] == n
                assert figures["受益(人次)"] == served
                assert figures["志愿时长(小时)"] == confirmed
                assert figures["志愿者(人)"] == people
                assert drill_total("activities", leader, flt) == (n, n)
                assert drill_total("beneficiaries", leader, flt) == (served, served)
                assert drill_total("volunteer_hours", leader, flt) == (confirmed, confirmed)
                assert drill_total("volunteers", leader, flt) == (people, people)
                assert drill_total("volunteer_turnout", leader, flt) == (turnout, turnout)
                text = briefing.to_text(briefing.build_sections(cast.town, year, month))
                if turnout:
                    assert (f"本月共开展各类活动{approx_count(n)}场，参与志愿服务{approx_count(turnout)}人次，"
                            f"经组织者确认的志愿服务时长{hours_text(confirmed)}小时") in text
                for r in rows:
                    shown = in_month(r["ends_on"], year, month)
                    assert (f"第{rows.index(r)}号服务" in text) == shown, (r, year, month)
                totals["activities"] += n
                totals["hours"] += confirmed
                totals["served"] += served
            quarter = {"area": cast.town, "start": QUARTER[0], "end": QUARTER[1]}
            in_quarter = [r for r in rows if QUARTER[0] <= r["ends_on"] <= QUARTER[1]]
            assert totals["activities"] == activity_figures.activity_count(**quarter) == len(in_quarter)
            assert totals["hours"] == activity_figures.confirmed_hours(**quarter)
            assert totals["served"] == activity_figures.beneficiaries_served(**quarter)
            transaction.set_rollback(True)

    check()


def test_every_figure_list_adds_up_to_its_figure(cast):
    """The drill-down of every figure, for the leader over a quarter of mixed records: its records
    add up to the figure shown."""
    members, residents = _pool(cast)
    grid_services.record_meeting(area=cast.jiulong, title="民情茶室", held_on=datetime.date(2019, 10, 8),
                                 place="茶室", host="村支书", by=cast.users.secretary, members=members[:4],
                                 residents=residents[:3], guest_count=12)
    a = activity_services.create_activity(
        kind=ActivityKind.CULTURE, title="文艺志愿服务", starts_at=datetime.datetime(2019, 9, 28, 9, tzinfo=SH),
        ends_at=datetime.datetime(2019, 10, 7, 17, tzinfo=SH), place="广场", area=cast.town, department=cast.urban)
    p = activity_services.add_participant(a, role=ParticipationRole.VOLUNTEER, person_name="甲", hours=Decimal("11.5"))
    activity_services.confirm_hours(p, by=cast.users.town_admin)
    flt = Filter(start=QUARTER[0], end=QUARTER[1], area=cast.town)
    for key, figure in FIGURES.items():
        records = figure.records(cast.users.leader, flt)
        assert figure.count(cast.users.leader, flt) == figure.total(records), key
    assert drill_total("meeting_attendance", cast.users.leader, flt) == (19, 19)  # 4 + 3 + 12, not a fan-out
    october = month_filter(cast.town, 2019, 10)
    assert drill_total("volunteer_hours", cast.users.leader, october) == (Decimal("11.5"), Decimal("11.5"))
    text = briefing.to_text(briefing.build_sections(cast.town, 2019, 10))
    assert "召开“民情茶室”1场，19名党员群众参加" in text and "志愿服务时长11.5小时" in text
    assert "文艺志愿服务" not in briefing.to_text(briefing.build_sections(cast.town, 2019, 9))


def test_every_figure_states_its_rule_in_chinese():
    from zhenwu.reports.drilldown import FIGURES, RULES

    assert set(FIGURES) == set(RULES)
    for key, figure in FIGURES.items():
        assert re.search(r"[\u4e00-\u9fff]{6,}", figure.rule), key
        assert not re.search(r"[A-Za-z]{3,}", figure.rule), key
