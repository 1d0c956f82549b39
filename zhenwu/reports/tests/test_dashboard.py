"""数据看板: the figures come from the rates, coverage and ranking modules for the chosen period
and area, a secretary sees her village only, the query count does not grow with the records, and
the page loads nothing from outside the app."""

import datetime
import json
import re

import pytest

from zhenwu.concerns.models import Concern
from zhenwu.concerns.rates import concern_rates
from zhenwu.reports.dashboard import dashboard
from zhenwu.reports.filters import Filter
from zhenwu.study import coverage
from zhenwu.study.tests.conftest import build_study

from .report_data import build_activities, build_concerns, local, make_concern

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def records(cast):
    return build_concerns(cast), build_activities(cast)


def charts_of(response):
    data = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>',
                     response.content.decode(), re.S)
    return {c["key"]: c for c in json.loads(data.group(1))}


def series(chart, name):
    values = next(s["values"] for s in chart["series"] if s["name"] == name)
    return dict(zip(chart["categories"], values, strict=True))


def test_the_leaders_dashboard_shows_concerns_by_village_and_month_from_the_rates(client, login, cast, records):
    login(cast.users.leader)
    response = client.get("/reports/", {**OCTOBER, "area": cast.town.pk})
    assert response.status_code == 200
    charts = charts_of(response)
    by_village = charts["concerns_by_unit"]
    assert by_village["categories"] == ["九龙村", "集镇村"]
    assert series(by_village, "受理") == {"九龙村": 2, "集镇村": 1}
    assert series(by_village, "办结") == {"九龙村": 1, "集镇村": 0}
    assert series(by_village, "响应率") == {"九龙村": 100.0, "集镇村": None}
    assert charts["concerns_by_month"]["categories"] == ["2026-10"]

    # The overall figures are exactly the rates module's for the same concerns and period.
    overall = concern_rates(queryset=Concern.objects.filter(town=cast.town), start=datetime.date(2026, 10, 1),
                            end=datetime.date(2026, 10, 31))[0]
    body = re.sub(r"\s+", " ", response.content.decode())
    assert re.search(rf'<a class="value" href="/reports/figures/concerns_received/\?area={cast.town.pk}&amp;'
                     rf'start=2026-10-01&amp;end=2026-10-31"[^>]*>{overall.received}</a><div class="label">受理诉求</div>',
                     body)
    assert overall.received == 3
    # The figure opens the list of what it counts: the same three concerns.
    listed = client.get("/reports/figures/concerns_received/", {**OCTOBER, "area": cast.town.pk})
    assert listed.status_code == 200
    assert listed.context["value"] == listed.context["total"] == 3 and len(listed.context["rows"]) == 3
    assert re.search(rf'data-figure="satisfied">{overall.satisfaction_rate}%</a><div class="label">满意率</div>', body)
    # The rate opens the concerns it divides, with the division stated.
    rated = client.get("/reports/figures/satisfied/", {**OCTOBER, "area": cast.town.pk}).content.decode()
    assert f"满意率 {overall.satisfaction_rate}% = 满意和基本满意" in rated
    # Each chart has its figures as a table under it.
    assert 'data-testid="table-concerns_by_unit"' in body
    assert '<th scope="row">九龙村</th><td>2</td><td>1</td><td>100.0%</td>' in body


def test_a_year_by_month_and_the_activity_panel(client, login, cast, records):
    login(cast.users.leader)
    response = client.get("/reports/", {"start": "2026-01-01", "end": "2026-12-31", "area": cast.town.pk})
    charts = charts_of(response)
    months = charts["concerns_by_month"]
    assert len(months["categories"]) == 12 and months["categories"][0] == "2026-01"
    assert series(months, "受理")["2026-09"] == 1 and series(months, "受理")["2026-10"] == 3
    assert series(months, "解决率")["2026-09"] == 0.0 and series(months, "解决率")["2026-11"] is None

    units = charts["activities_by_unit"]
    assert series(units, "活动(次)") == {"九龙村": 2, "集镇村": 1}
    assert series(units, "受益(人次)") == {"九龙村": 230, "集镇村": 0}
    # Only confirmed hours count (戊's five hours are not confirmed).
    assert series(units, "志愿时长(小时)") == {"九龙村": 8.5, "集镇村": 4.0}
    by_month = charts["activities_by_month"]
    assert series(by_month, "志愿时长(小时)")["2026-10"] == 11.5
    assert series(by_month, "活动(次)")["2026-09"] == 1


def test_a_secretary_sees_her_village_only(client, login, cast, records):
    login(cast.users.secretary)
    response = client.get("/reports/", OCTOBER)
    body = response.content.decode()
    charts = charts_of(response)
    assert charts["concerns_by_unit"]["categories"] == ["九龙村"]
    assert series(charts["concerns_by_unit"], "受理") == {"九龙村": 2}
    assert series(charts["activities_by_unit"], "活动(次)") == {"九龙村": 1}
    assert f'<option value="{cast.jizhen.pk}"' not in body
    # Asking for another village is refused by the form; the page stays on her own village.
    response = client.get("/reports/", {**OCTOBER, "area": cast.jizhen.pk})
    assert "统计范围有误" in response.content.decode()
    assert charts_of(response)["concerns_by_unit"]["categories"] == ["九龙村"]


def test_the_study_panel_shows_the_campaigns_completion_by_village(client, login, cast):
    study = build_study(cast)
    login(cast.users.leader)
    response = client.get("/reports/", {"start": "2019-09-01", "end": "2019-11-30", "area": cast.town.pk})
    charts = charts_of(response)
    chart = charts["study_coverage"]
    assert study.campaign.name in chart["title"]
    overview = coverage.summary(study.campaign, user=cast.users.leader)
    expected = {}
    for row in overview.orgs:
        name = "九龙村" if row.org.area_id == cast.jiulong.pk else ("集镇村" if row.org.area_id == cast.jizhen.pk else None)
        if name:
            expected.setdefault(name, coverage.Counts()).add(row.counts)
    assert series(chart, "完成率") == {name: c.completion for name, c in expected.items()}
    assert series(chart, "完成率")["集镇村"] == 50.0  # 陈七 done both, 彭镇铭 neither
    months = charts["study_by_month"]
    assert series(months, "学习活动(场)") == {"2019-09": 1, "2019-10": 1, "2019-11": 0}
    assert series(months, "签到(人次)") == {"2019-09": 4, "2019-10": 2, "2019-11": 0}


def test_the_dashboard_reads_a_bounded_number_of_queries(client, login, cast, records, django_assert_max_num_queries):
    login(cast.users.leader)
    params = {"start": "2026-01-01", "end": "2026-12-31", "area": cast.town.pk}
    client.get("/reports/", params)
    with django_assert_max_num_queries(33) as first:  # 30, and the 民情分布 map's three
        client.get("/reports/", params)
    for n in range(100, 140):
        make_concern(cast, records[0].road, n, received=local(2026, 3, 1 + n % 28, 10, 0),
                     area=cast.jizhen_grid if n % 2 else cast.jiulong_grid)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get("/reports/", params)
    assert sum(series(charts_of(response)["concerns_by_month"], "受理").values()) == 44


def test_the_page_loads_only_the_apps_own_scripts(client, login, cast):
    login(cast.users.leader)
    body = client.get("/reports/").content.decode()
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', body)
    assert "/static/vendor/echarts-6.1.0.min.js" in sources and "/static/js/dashboard.js" in sources
    assert all(s.startswith("/") for s in sources), sources


@pytest.mark.parametrize("role", ["member", "handler", "grid_worker", "dispatcher", "instructor"])
def test_other_roles_are_refused(client, login, cast, role):
    login(getattr(cast.users, role))
    assert client.get("/reports/").status_code == 403


def test_a_county_area_groups_by_town(cast, records):
    from zhenwu.accounts.models import Role, User
    from zhenwu.org.models import Area

    county_leader = User.objects.create(username="county", role=Role.LEADER, area=Area.objects.get(path=cast.town.path[: Area.steplen]))
    flt = Filter(start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31), area=county_leader.area)
    panels = {p.key: p for p in dashboard(county_leader, flt)}
    chart = panels["concerns"].charts[0]
    assert chart.categories == ["官桥镇"] and chart.series[0].values == [3]


def test_the_visit_panel_shows_todays_coverage_by_village_and_visits_by_month(cast):
    from zhenwu.grid import services

    from .report_data import VISITS_NOW, build_visits

    admin, h = cast.users.town_admin, cast.households
    services.link_households(member=cast.members.jiulong, households=[h.jiulong, h.jiulong2], by=admin,
                             started_on=datetime.date(2026, 9, 1))
    services.link_households(member=cast.members.jizhen, households=[h.jizhen], by=admin,
                             started_on=datetime.date(2026, 9, 1))
    build_visits(cast)
    flt = Filter(start=datetime.date(2026, 9, 1), end=datetime.date(2026, 10, 31), area=cast.town)
    panel = {p.key: p for p in dashboard(cast.users.leader, flt, now=VISITS_NOW)}["visits"]
    by_unit, by_month = panel.charts
    assert by_unit.categories == ["九龙村", "集镇村"]
    # JL-0001's elderly resident living alone is due every 14 days: last seen 10-02, overdue on 11-01.
    assert by_unit.series[0].values == [50.0, 100.0]
    assert by_unit.series[1].values == [1, 0]
    assert dict(panel.figures)["联系户覆盖率"] == "66.7%"
    assert by_month.categories == ["2026-09", "2026-10"]
    assert by_month.series[0].values == [1, 3] and by_month.series[1].values == [1, 3]

    # The secretary's panel holds her village only.
    flt = Filter(start=flt.start, end=flt.end, area=cast.jiulong)
    panel = {p.key: p for p in dashboard(cast.users.secretary, flt, now=VISITS_NOW)}["visits"]
    assert panel.charts[0].categories == ["九龙村"] and panel.charts[1].series[0].values == [1, 2]


def test_every_panel_together_reads_a_fixed_number_of_queries(cast, records, django_assert_max_num_queries):
    """With records in every panel (a campaign's coverage included), adding concerns, visits,
    sessions and activities adds no query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhenwu.activities import services as activity_services
    from zhenwu.grid import services as grid_services

    from .report_data import VISITS_NOW, build_visits

    study = build_study(cast)
    admin, h = cast.users.town_admin, cast.households
    grid_services.link_households(member=cast.members.jiulong, households=[h.jiulong], by=admin,
                                  started_on=datetime.date(2026, 9, 1))
    build_visits(cast)
    flt = Filter(start=datetime.date(2019, 9, 1), end=datetime.date(2026, 12, 31), area=cast.town)
    leader = cast.users.leader
    with CaptureQueriesContext(connection) as first:
        dashboard(leader, flt, now=VISITS_NOW)
    assert any("study_campaign" in q["sql"] for q in first.captured_queries)

    for n in range(200, 220):
        make_concern(cast, records[0].road, n, received=local(2025, 1 + n % 12, 3, 10, 0), area=cast.jizhen_grid)
    grid_services.record_visit(household=h.jizhen, visited_on=datetime.date(2026, 10, 30), way="home", by=admin,
                               notes="再访", now=VISITS_NOW)
    activity_services.create_activity(kind="talk", title="宣讲", starts_at=local(2024, 5, 1, 9, 0), place="集镇村",
                                      area=cast.jizhen, department=cast.urban, by=admin)
    from zhenwu.study import services as study_services

    study_services.create_session(kind="party_day", title="主题党日", starts_at=local(2019, 11, 5, 9, 0),
                                  ends_at=local(2019, 11, 5, 11, 0), party_orgs=[cast.jizhen_org],
                                  campaign=study.campaign, by=admin)
    with django_assert_max_num_queries(len(first.captured_queries)):
        panels = {p.key: p for p in dashboard(leader, flt, now=VISITS_NOW)}
    assert dict(panels["concerns"].figures)["受理诉求"] == 25
    assert len(first.captured_queries) <= 30  # 26 today: about six grouped queries per panel


def concern_map_of(response):
    data = re.search(r'<script id="concern-map-data" type="application/json">(.*?)</script>',
                     response.content.decode(), re.S)
    return json.loads(data.group(1))


def test_the_dashboards_map_shades_villages_by_the_charts_counts_and_marks_overdue_concerns(
    client, login, cast, records
):
    road = records[0].road
    late = make_concern(cast, road, 90, received=local(2026, 10, 20, 9, 0), area=cast.jizhen_grid,
                        status="in_progress", department=cast.urban,
                        latitude="28.160000", longitude="113.650000")
    make_concern(cast, road, 91, received=local(2026, 10, 21, 9, 0), area=cast.jizhen_grid, status="in_progress",
                 department=cast.urban)  # overdue too, but without a point
    login(cast.users.leader)
    response = client.get("/reports/", {**OCTOBER, "area": cast.town.pk})
    data = concern_map_of(response)
    by_village = series(charts_of(response)["concerns_by_unit"], "受理")
    assert data["dim"] == "village"
    assert data["counts"] == {str(cast.jiulong.pk): by_village["九龙村"], str(cast.jizhen.pk): by_village["集镇村"]}
    assert [c["ref"] for c in data["overdue"]] == [late.reference] and data["overdue_more"] is False
    assert data["overdue"][0]["url"] == f"/concerns/{late.pk}/"
    assert 'data-map="density"' in response.content.decode()

    login(cast.users.secretary)  # her village only
    data = concern_map_of(client.get("/reports/", OCTOBER))
    assert set(data["counts"]) <= {str(cast.jiulong.pk)} and data["overdue"] == []
