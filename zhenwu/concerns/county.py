"""The county centre's figures (县级看板): per town and per department, the concerns received, open
and overdue, the on-time resolution rate and the call-back satisfaction rate.

`county_figures` is the one counting function; the county dashboard prints what it returns, and a
property test (tests/test_county.py) checks it against a count derived from the concerns' history.

The rule:

- Population: the concerns of the county's towns received in [start, end] (local dates, both
  included; either may be left open), merged duplicates (已合并) left out, as in
  zhenwu.concerns.rates. Each concern is counted once, in the town it was reported in and for the
  department that holds it now (a town's or a county department; none: 未派单). 上报 and 下派
  move who holds a concern between the town and the county centre; they never add a concern, so
  one that went up and came back down is one concern, counted once, where it stands now.
- received: every concern of the population.
- open (未办结): status 待受理, 已受理, 已派单, 已退回, 办理中 or 已挂起 (models.OPEN_STATUSES).
- overdue (超期): open with its clock running (not 已挂起) and past its resolution deadline at
  `now` (ConcernQuerySet.overdue, the 督办 list's rule).
- on-time resolution rate (按期办结率) = resolved on time / resolved. Resolved: resolved at least
  once and still so or closed (resolved_at set; rates' `resolved`). On time: its latest resolution
  (resolved_at) at or before its resolution deadline as it stands (extensions and suspensions
  counted, zhenwu.concerns.deadlines).
- satisfaction rate (满意率): zhenwu.concerns.rates' definition: (满意 + 基本满意) / assessed, on
  the latest call-back verdict; 联系不上 is not assessed.

Rates are percentages rounded half-up to one decimal (rates.percent), None without a denominator.
One grouped aggregate query per table, plus one small query for the labels of each.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils import timezone

from zhenwu.org.models import Area, AreaLevel, Department
from zhenwu.workdays import calendar as workdays

from .models import CLOCK_STATUSES, OPEN_STATUSES, Concern, Status
from .rates import percent, rate_conditions

COUNT_FIELDS = ("received", "open", "overdue", "resolved", "resolved_on_time", "assessed", "satisfied",
                "basically_satisfied")


@dataclass
class CountyRow:
    key: int | None
    label: str
    group: str = ""  # a department's town, or 县直 for the county's own departments
    received: int = 0
    open: int = 0
    overdue: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    assessed: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0

    @property
    def on_time_rate(self):
        return percent(self.resolved_on_time, self.resolved)

    @property
    def satisfaction_rate(self):
        return percent(self.satisfied + self.basically_satisfied, self.assessed)

    def counts(self):
        return {name: getattr(self, name) for name in COUNT_FIELDS}


@dataclass
class CountyFigures:
    county: Area
    start: datetime.date | None
    end: datetime.date | None
    towns: list
    departments: list
    total: CountyRow


def county_conditions(now):
    """{count field: the condition a concern of the population meets to be counted in it} (the
    module's rule); assessed and the verdicts are rates.rate_conditions' own."""
    rates = rate_conditions(now)
    return {
        "open": Q(status__in=OPEN_STATUSES),
        "overdue": Q(status__in=CLOCK_STATUSES, resolution_due__lt=now),
        "resolved": rates["resolved"],
        "resolved_on_time": Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due")),
        "assessed": rates["assessed"],
        "satisfied": rates["satisfied"],
        "basically_satisfied": rates["basically_satisfied"],
    }


def county_towns(county):
    return list(Area.objects.filter(path__startswith=county.path, level=AreaLevel.TOWN).order_by("path"))


def county_figures(county, *, start=None, end=None, now=None):
    """The county dashboard's two tables and their total for `county` (see the module's rule)."""
    now = now or timezone.now()
    towns = county_towns(county)
    population = Concern.objects.filter(town__in=[t.pk for t in towns]).exclude(status=Status.DUPLICATE)
    if start is not None:
        population = population.filter(received_at__gte=workdays.start_of_day(start))
    if end is not None:
        population = population.filter(received_at__lte=workdays.end_of_day(end))
    aggregates = {"received": Count("id"), **{name: Count("id", filter=q) for name, q in county_conditions(now).items()}}

    by_town = {row["town_id"]: row for row in population.values("town_id").annotate(**aggregates).order_by()}
    town_rows = [CountyRow(key=t.pk, label=t.name, **_counts(by_town.get(t.pk))) for t in towns]

    by_department = list(population.values("department_id").annotate(**aggregates).order_by())
    departments = {
        d.pk: d for d in Department.objects.filter(pk__in=[r["department_id"] for r in by_department if r["department_id"]])
        .select_related("town")
    }
    department_rows = []
    for row in by_department:
        department = departments.get(row["department_id"])
        if department is None:
            label, group = "未派单", ""
        else:
            label = department.name
            group = "县直" if department.town.level == AreaLevel.COUNTY else department.town.name
        department_rows.append(CountyRow(key=row["department_id"], label=label, group=group, **_counts(row)))
    # County departments first, then each town's in the towns' order, the unassigned last.
    order = {t.name: n for n, t in enumerate(towns, start=1)}
    department_rows.sort(key=lambda r: (r.key is None, 0 if r.group == "县直" else order.get(r.group, 99), r.label))

    total = CountyRow(key=None, label="合计")
    for row in town_rows:
        for name in COUNT_FIELDS:
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return CountyFigures(county=county, start=start, end=end, towns=town_rows, departments=department_rows,
                         total=total)


def _counts(row):
    return {name: (row or {}).get(name, 0) for name in COUNT_FIELDS}
