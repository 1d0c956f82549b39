"""数据看板: the town's (or a village's) work by village and by month, from the records.

Every panel is a few grouped aggregate queries, whatever the number of records:
- 民情: received and resolved (办结) counts and the three rates, straight from
  zhenwu.concerns.rates (one call grouped by village and month; coarser rows are combined from it
  with `combine_rows`, as the rates module intends);
- 学习: completion of the latest campaign in the period by organisation's place
  (zhenwu.study.coverage.summary) and study sessions and sign-ins per month;
- 活动: activities, beneficiaries and confirmed volunteer hours (zhenwu.activities.ranking) by
  village and month;
- 走访: today's coverage of linked households (zhenwu.grid.cadence.coverage, as the grid pages
  show it) by village, and visits and visited households per month.

Each panel is a list of `Chart`s; the page renders each as an ECharts chart (static/js/
dashboard.js reads the chart's JSON) with the same figures as a table under it.

Every figure is counted by the domain's counting functions (zhenwu/<app>/figures.py; rules in
docs/figures.md) over the user's visible records; a card whose figure counts records carries the
key of its list (zhenwu.reports.drilldown), so the leader can open the records behind it.
"""

import datetime
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from zhenwu.lib.numbers import one_decimal
from zhenwu.org.models import Area, AreaLevel
from zhenwu.workdays import calendar as workdays

VILLAGE_LEVELS = (AreaLevel.VILLAGE, AreaLevel.COMMUNITY)


@dataclass
class Series:
    name: str
    values: list
    kind: str = "bar"  # bar | line
    percent: bool = False  # drawn on the 0-100 axis


@dataclass
class Chart:
    key: str
    title: str
    category_label: str
    categories: list
    series: list
    note: str = ""

    @property
    def is_empty(self):
        return not self.categories or all(not any(v for v in s.values if v) for s in self.series)

    def rows(self):
        """[(category, [value per series, as shown])] for the table under the chart."""
        return [(cat, [_shown(s.values[i], s.percent) for s in self.series]) for i, cat in enumerate(self.categories)]

    def as_json(self):
        return {
            "key": self.key,
            "title": self.title,
            "categories": self.categories,
            "series": [
                {"name": s.name, "kind": s.kind, "percent": s.percent, "values": [_plain(v) for v in s.values]}
                for s in self.series
            ],
        }


@dataclass
class Panel:
    key: str
    title: str
    charts: list
    figures: list = field(default_factory=list)  # [(label, value)] for the cards above the charts
    note: str = ""
    drill: dict = field(default_factory=dict)  # {label: figure key} of the cards that open their records
    links: dict = field(default_factory=dict)  # {label: url} of cards whose records have a page of their own

    @property
    def cards(self):
        """[(label, value, figure key or None, url or None)] for the cards."""
        return [(label, value, self.drill.get(label), self.links.get(label)) for label, value in self.figures]


def _shown(value, percent):
    if value is None:
        return "—"
    return f"{value}%" if percent else value


def _plain(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def months_between(start, end):
    """First days of the months from start's to end's, in order."""
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def _month_label(month):
    return f"{month:%Y-%m}"


class Places:
    """The chosen area's subtree (one query): which village (or, for a county, which town) each
    area belongs to, and the names to show."""

    def __init__(self, area):
        self.area = area
        self.unit_levels = (AreaLevel.TOWN,) if area.level == AreaLevel.COUNTY else VILLAGE_LEVELS
        rows = list(Area.objects.filter(path__startswith=area.path).order_by("path").values_list(
            "pk", "path", "name", "level"))
        self.names = {pk: name for pk, _path, name, _level in rows}
        self.units = OrderedDict((path, (pk, name)) for pk, path, name, level in rows if level in self.unit_levels)
        self.path_of = {pk: path for pk, path, _name, _level in rows}
        self.unit_label = "镇(乡)" if area.level == AreaLevel.COUNTY else "村(社区)"
        self.other_label = f"{area.name}本级"

    def unit_of(self, area_id):
        """(pk, name) of the village (or town) holding the area, or the chosen area itself for
        records placed above the villages."""
        path = self.path_of.get(area_id)
        if path is not None:
            for i in range(len(path), 0, -Area.steplen):
                unit = self.units.get(path[:i])
                if unit is not None:
                    return unit
        return (None, self.other_label)

    def unit_names(self):
        return [name for _pk, name in self.units.values()]


def _group(values_by_area, places):
    """{unit name: summed values} from {area_id: tuple of numbers}, in the tree's order, units
    without records included, records above the villages last."""
    totals = OrderedDict((name, None) for name in places.unit_names())
    for area_id, numbers in values_by_area.items():
        _pk, name = places.unit_of(area_id)
        current = totals.get(name)
        totals[name] = numbers if current is None else tuple(a + b for a, b in zip(current, numbers, strict=True))
    width = len(next((v for v in totals.values() if v is not None), ()))
    return OrderedDict((name, v if v is not None else (0,) * width) for name, v in totals.items() if width)


# --- 民情 -----------------------------------------------------------------------------------------


def concern_panel(user, flt, places, *, now=None):
    from zhenwu.concerns.models import Concern
    from zhenwu.concerns.querysets import area_scope_q
    from zhenwu.concerns.rates import combine_rows, concern_rates

    dim = "town" if flt.area.level == AreaLevel.COUNTY else "village"
    qs = Concern.objects.visible_to(user).filter(area_scope_q(flt.area))
    rows = concern_rates(queryset=qs, by=(dim, "month"), start=flt.start, end=flt.end, now=now)
    by_unit, by_month = OrderedDict(), OrderedDict()
    for row in rows:
        by_unit.setdefault(row.key[dim], []).append(row)
        by_month.setdefault(row.key["month"], []).append(row)
    total = combine_rows(rows)

    units = [(pk, name) for pk, name in places.units.values()]
    known = {pk for pk, _name in units}
    unit_rows = [(name, combine_rows(by_unit.get(pk, []), label=name)) for pk, name in units]
    for pk, group in by_unit.items():  # concerns placed above the villages (or without a village)
        if pk not in known:
            unit_rows.append((places.names.get(pk, places.other_label), combine_rows(group)))
    month_rows = [(_month_label(m), combine_rows(by_month.get(m, []))) for m in months_between(flt.start, flt.end)]

    def counts_and_rates(key, title, label, pairs):
        return Chart(
            key=key, title=title, category_label=label, categories=[name for name, _ in pairs],
            series=[
                Series("受理", [r.received for _, r in pairs]),
                Series("办结", [r.resolved for _, r in pairs]),
                Series("响应率", [r.response_rate for _, r in pairs], kind="line", percent=True),
                Series("解决率", [r.resolution_rate for _, r in pairs], kind="line", percent=True),
                Series("满意率", [r.satisfaction_rate for _, r in pairs], kind="line", percent=True),
            ],
        )

    def pct(value):
        return "—" if value is None else f"{value}%"

    return Panel(
        key="concerns", title="民情办理",
        figures=[("受理诉求", total.received), ("已办结", total.resolved), ("响应率", pct(total.response_rate)),
                 ("解决率", pct(total.resolution_rate)), ("满意率", pct(total.satisfaction_rate)),
                 ("回访联系不上", total.unreachable),
                 ("办结用时中位数(工作日)", "—" if total.median_workdays is None else total.median_workdays)],
        charts=[
            counts_and_rates("concerns_by_unit", f"各{places.unit_label}诉求与三率", places.unit_label, unit_rows),
            counts_and_rates("concerns_by_month", "各月诉求与三率", "月份", month_rows),
        ],
        note="按登记月份统计，已合并的重复件不计；三率口径与民情公示页相同，回访联系不上的单独计数，不计入解决率和满意率。",
        drill={"受理诉求": "concerns_received", "已办结": "concerns_resolved_of_received", "响应率": "response_due",
               "解决率": "assessed", "满意率": "satisfied", "回访联系不上": "unreachable",
               "办结用时中位数(工作日)": "resolution_time"},
    )


# --- 学习 -----------------------------------------------------------------------------------------


def study_panel(user, flt, places):
    from zhenwu.study import coverage
    from zhenwu.study import figures as study_figures
    from zhenwu.study.access import visible_campaigns, visible_sessions

    zone = workdays.local_zone()
    scope = {"sessions": visible_sessions(user), "area": flt.area, "start": flt.start, "end": flt.end}
    sessions = study_figures.counted_sessions(**scope)
    per_month = dict(
        sessions.order_by().annotate(month=TruncMonth("starts_at", tzinfo=zone)).values("month")
        .annotate(n=Count("id", distinct=True)).values_list("month", "n")
    )
    signins = dict(
        study_figures.attendance_records(**scope)
        .order_by().annotate(month=TruncMonth("session__starts_at", tzinfo=zone)).values("month")
        .annotate(n=Count("id")).values_list("month", "n")
    )
    months = months_between(flt.start, flt.end)

    def month_value(table, month):
        for key, value in table.items():
            if _as_date(key) == month:
                return value
        return 0

    charts = [Chart(
        key="study_by_month", title="各月学习活动与签到", category_label="月份",
        categories=[_month_label(m) for m in months],
        series=[Series("学习活动(场)", [month_value(per_month, m) for m in months]),
                Series("签到(人次)", [month_value(signins, m) for m in months], kind="line")],
    )]
    figures = [("学习活动(场)", sum(per_month.values())), ("签到(人次)", sum(signins.values()))]

    campaign = (visible_campaigns(user).filter(starts_on__lte=flt.end, ends_on__gte=flt.start)
                .order_by("-starts_on", "-id").first())
    note = "学习活动按开始时间统计，含本区域党员参加的上级党组织学习活动。"
    if campaign is not None:
        overview = coverage.summary(campaign, user=user)
        totals = OrderedDict()
        for row in overview.orgs:
            if row.org.area_id is None or not places.path_of.get(row.org.area_id):
                continue  # an organisation placed outside the chosen area
            _pk, name = places.unit_of(row.org.area_id)
            totals.setdefault(name, coverage.Counts()).add(row.counts)
        if totals:
            overall = coverage.Counts()
            for counts in totals.values():
                overall.add(counts)
            charts.insert(0, Chart(
                key="study_coverage", title=f"{campaign.name}：规定动作完成率", category_label=places.unit_label,
                categories=list(totals),
                series=[Series("完成率", [c.completion for c in totals.values()], kind="bar", percent=True),
                        Series("未完成(人次)", [c.missing for c in totals.values()], kind="line")],
            ))
            figures.insert(0, ("规定动作完成率", f"{overall.completion}%"))
        note = f"完成率为“{campaign.name}”规定动作的（已完成+已补学）÷ 应学人次。" + note
    return Panel(key="study", title="学习教育", charts=charts, figures=figures, note=note,
                 drill={"学习活动(场)": "sessions", "签到(人次)": "attendance"},
                 links={"规定动作完成率": reverse("study:coverage", args=[campaign.pk])} if campaign else {})


def _as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


# --- 活动与志愿 -----------------------------------------------------------------------------------


def activity_panel(user, flt, places):
    from django.db.models.functions import Coalesce

    from zhenwu.activities import figures as activity_figures
    from zhenwu.activities.access import visible_activities
    from zhenwu.activities.beneficiaries import with_beneficiary_totals

    zone = workdays.local_zone()
    scope = {"activities": visible_activities(user), "area": flt.area, "start": flt.start, "end": flt.end}
    activities = with_beneficiary_totals(activity_figures.counted_activities(**scope))
    by_area = {
        area_id: (n, beneficiaries or 0)
        for area_id, n, beneficiaries in activities.order_by().values("area_id")
        .annotate(n=Count("id"), b=Sum("beneficiaries_served")).values_list("area_id", "n", "b")
    }
    by_month = {
        _as_date(month): (n, beneficiaries or 0)
        for month, n, beneficiaries in activities.order_by().annotate(month=TruncMonth("counted_at", tzinfo=zone))
        .values("month").annotate(n=Count("id"), b=Sum("beneficiaries_served")).values_list("month", "n", "b")
    }
    hours = activity_figures.confirmed_hours_records(**scope)
    hours_by_area = dict(
        hours.order_by().values("activity__area_id").annotate(h=Sum("hours")).values_list("activity__area_id", "h")
    )
    hours_by_month = {
        _as_date(month): h
        for month, h in hours.order_by().annotate(
            month=TruncMonth(Coalesce("activity__ends_at", "activity__starts_at"), tzinfo=zone))
        .values("month").annotate(h=Sum("hours")).values_list("month", "h")
    }
    volunteers = activity_figures.volunteer_people(**scope)

    merged = {}
    for area_id in set(by_area) | set(hours_by_area):
        n, b = by_area.get(area_id, (0, 0))
        merged[area_id] = (n, b, hours_by_area.get(area_id) or Decimal("0"))
    units = _group(merged, places) or OrderedDict((name, (0, 0, Decimal("0"))) for name in places.unit_names())
    months = months_between(flt.start, flt.end)

    def chart(key, title, label, categories, triples):
        return Chart(key=key, title=title, category_label=label, categories=categories, series=[
            Series("活动(次)", [t[0] for t in triples]),
            Series("受益(人次)", [t[1] for t in triples]),
            Series("志愿时长(小时)", [t[2] for t in triples], kind="line"),
        ])

    month_triples = [(*by_month.get(m, (0, 0)), hours_by_month.get(m) or Decimal("0")) for m in months]
    total_hours = one_decimal(sum((t[2] for t in units.values()), Decimal("0")))
    return Panel(
        key="activities", title="活动与志愿服务",
        figures=[("活动(次)", sum(t[0] for t in units.values())), ("受益(人次)", sum(t[1] for t in units.values())),
                 ("志愿时长(小时)", total_hours), ("志愿者(人)", volunteers)],
        charts=[
            chart("activities_by_unit", f"各{places.unit_label}活动与志愿服务", places.unit_label, list(units),
                  list(units.values())),
            chart("activities_by_month", "各月活动与志愿服务", "月份", [_month_label(m) for m in months],
                  month_triples),
        ],
        note="志愿时长只计组织者确认过的时长；活动计入其结束日期所在的月份，跨月活动只计一次。",
        drill={"活动(次)": "activities", "受益(人次)": "beneficiaries", "志愿时长(小时)": "volunteer_hours",
               "志愿者(人)": "volunteers"},
    )


# --- 走访 -----------------------------------------------------------------------------------------


def visit_panel(user, flt, places, *, today=None):
    from zhenwu.grid import figures as grid_figures
    from zhenwu.grid.access import visible_households
    from zhenwu.grid.cadence import coverage
    from zhenwu.grid.models import Visit

    today = today or timezone.localdate()
    rows = coverage(flt.area, today=today)
    root = rows[0] if rows else None
    units = [row for row in rows if row.area.level in places.unit_levels]
    visits = grid_figures.counted_visits(
        visits=Visit.objects.filter(household__in=visible_households(user).values("pk")), area=flt.area,
        start=flt.start, end=flt.end,
    ).order_by()
    by_month = {
        _as_date(month): (n, households)
        for month, n, households in visits.annotate(month=TruncMonth("visited_on")).values("month")
        .annotate(n=Count("id"), h=Count("household_id", distinct=True)).values_list("month", "n", "h")
    }
    totals = visits.aggregate(n=Count("id"), h=Count("household_id", distinct=True))
    months = months_between(flt.start, flt.end)
    return Panel(
        key="visits", title="联户走访",
        figures=[("联系户覆盖率", "—" if root is None or root.percent is None else f"{root.percent}%"),
                 ("逾期未访(户)", root.overdue if root else 0), ("期间走访(次)", totals["n"]),
                 ("期间走访户数", totals["h"])],
        charts=[
            Chart(key="visits_by_unit", title=f"各{places.unit_label}联系户走访覆盖（截至{today:%Y-%m-%d}）",
                  category_label=places.unit_label, categories=[row.area.name for row in units], series=[
                      Series("覆盖率", [row.percent for row in units], percent=True),
                      Series("逾期未访(户)", [row.overdue for row in units], kind="line"),
                      Series("联系户", [row.linked for row in units], kind="line"),
                  ]),
            Chart(key="visits_by_month", title="各月走访", category_label="月份",
                  categories=[_month_label(m) for m in months], series=[
                      Series("走访(次)", [by_month.get(m, (0, 0))[0] for m in months]),
                      Series("走访户数", [by_month.get(m, (0, 0))[1] for m in months], kind="line"),
                  ]),
        ],
        note="覆盖率 = 在走访周期内走访过的联系户 ÷ 有党员联系的户（按镇里设定的走访周期，当前状态）；"
             "各月走访按走访日期统计。",
        drill={"联系户覆盖率": "linked_households", "期间走访(次)": "visits", "期间走访户数": "visited_households"},
        links={"逾期未访(户)": reverse("grid:overdue_list") + (
            f"?village={flt.area.pk}" if flt.area.level == AreaLevel.VILLAGE else "")},
    )


def dashboard(user, flt, *, now=None):
    """The panels for `user` over the filter's period and area."""
    places = Places(flt.area)
    today = timezone.localdate(now) if now is not None else None
    return [concern_panel(user, flt, places, now=now), visit_panel(user, flt, places, today=today),
            study_panel(user, flt, places), activity_panel(user, flt, places)]
