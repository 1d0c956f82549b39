"""The three rates of 接诉即办 (响应率, 解决率, 满意率) and the median time to resolve.

Definitions (the public board and the staff dashboard show exactly these):

Population. Concerns are counted in the month they were received (local date, Asia/Shanghai,
kept at intake as received_month), optionally limited to a period [start, end] of received dates
and to a queryset (e.g. one town or the user's scope). Merged duplicates (已合并) are left out: their original carries the matter.
A concern counts for the department that holds it now (after returns and re-routing). Figures of
recent months move as concerns progress; a month is settled when its concerns are closed.

- 响应率 (response rate) = responded in time / due for a response.
  Due for a response: held by a department (dispatched at least once and not handed back or
  declined since) and either already responded or past its response deadline. A concern whose
  response deadline is still ahead and that has no response yet is not counted either way, nor
  is a suspended one (挂起, status 已挂起) without a response: its clock is stopped.
  Responded in time: the department's first public update or its resolution (responded_at) at or
  before response_due (end of the due working day; see zhenwu.workdays.calendar).
  Deadlines as they stand count: an approved extension (延期) moves the resolution deadline, and
  resuming a suspended concern moves its deadlines by the working days it was suspended (the
  response deadline only while it has no response), so suspended time never counts against it
  (zhenwu.concerns.deadlines).
- 解决率 (resolution rate) = solved / assessed.
  Assessed: concerns with a call-back verdict (the latest one, whether by phone or on the follow
  page): 满意, 基本满意 or 不满意. Solved: the resident confirmed at that call-back that the problem
  is solved.
- 满意率 (satisfaction rate) = (满意 + 基本满意) / assessed, on the same latest verdicts; the
  counts of each answer are returned too, so a weighted variant can be computed.
- 联系不上 (unreachable): concerns whose latest call-back ended without reaching the resident
  (zhenwu.concerns.callbacks: the set number of attempts on different working days, or no phone
  at all). They are closed but gave no verdict, so they are in neither the 解决率 nor the 满意率
  denominator; they are counted on their own (`unreachable`). A 不满意 reopens the concern: until
  its next call-back its latest verdict stays 不满意 (assessed, not solved, not satisfied). A
  resident still 不满意 after settings.ZHENWU_MAX_REOPENINGS 重办 rounds (default 1) is recorded
  so and the concern closes (services.reopens_on_unsatisfied): that 不满意 stays in the figures.
  The latest call-back decides: a concern whose 重办 was followed by 联系不上 leaves the
  denominators, its earlier 不满意 superseded (it judged the handling that was then redone).
- Median working days to resolve: the median of resolution_workdays (working days from receipt to
  the latest resolution, zhenwu.workdays.calendar.workdays_between, less the working days it was
  suspended, Concern.suspended_workdays) over concerns currently resolved or closed; for an even
  count, the mean of the two middle values. An extension does not change it: it counts the days
  taken, not the deadline.

Rates are percentages rounded half-up to one decimal, or None when the denominator is zero.

Each call runs two aggregate queries over the concerns (counts; a histogram of working days for
the median) plus one small query per named dimension for its labels, never a loop over concerns.
The grouped rows are read as plain tuples from the cursor: a county's twelve months by department
are some 30,000 histogram rows, which the ORM's per-row dicts and converters took longer to build
than the database took to count. The index concern_rates_idx holds every column read here, so
both queries are index-only scans of the months asked for.

A page that shows several coarser groupings of one pass (the public rates page: by department
over the period, overall, by month) takes the raw rows from `rate_cells` and adds them up with
`summarise`, one pass per grouping, instead of building a RateRow for every cell.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Count, F, Q, Value
from django.utils import timezone

from zhenwu.workdays import calendar as workdays

from .models import CallBackResult, Concern, Status

DIMENSIONS = {
    # name: grouped column; labels are looked up afterwards (no join over the concerns)
    "department": "department_id",
    "village": "village_id",
    "category": "category_id",
    "town": "town_id",
    "month": "received_month",
}
EMPTY_LABELS = {"department": "未派单", "village": "未指定村", "category": "未分类", "town": "未指定镇"}


def percent(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def median_from_histogram(histogram):
    """Median of a multiset given as {value: count}; None if empty."""
    total = sum(histogram.values())
    if total == 0:
        return None
    low_position, high_position = (total - 1) // 2, total // 2  # 0-based positions of the middle value(s)
    low = None
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and low_position < seen:
            low = value
        if high_position < seen:
            return (Decimal(low) + Decimal(value)) / 2


@dataclass
class RateRow:
    key: dict
    label: str
    received: int = 0
    due_for_response: int = 0
    responded_in_time: int = 0
    assessed: int = 0
    solved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    resolved: int = 0
    unreachable: int = 0
    median_workdays: Decimal | None = None
    histogram: dict = field(default_factory=dict, repr=False)

    @property
    def response_rate(self):
        return percent(self.responded_in_time, self.due_for_response)

    @property
    def resolution_rate(self):
        return percent(self.solved, self.assessed)

    @property
    def satisfaction_rate(self):
        return percent(self.satisfied + self.basically_satisfied, self.assessed)

    @cached_property
    def figures(self):
        """The rates and the median as the pages print them (computed once; a county's page
        prints some 240 rows, and formatting each number through the template's localisation
        took longer than summing the rows): each rate as text ("87.5%", or "—" without a
        denominator) and as a bar width, the median as text or None."""
        shown = {}
        for name, value in (
            ("response", self.response_rate),
            ("resolution", self.resolution_rate),
            ("satisfaction", self.satisfaction_rate),
        ):
            shown[name] = "—" if value is None else f"{value}%"
            shown[f"{name}_width"] = "0" if value is None else str(value)
        median = self.median_workdays
        shown["median"] = (
            None if median is None else (str(int(median)) if median == int(median) else f"{median:.1f}")
        )
        return shown


def concern_rates(*, queryset=None, by=(), start=None, end=None, now=None):
    """Rates grouped by the named dimensions (any of department, village, category, town, month),
    ordered by the dimensions; by=() gives one overall row. `start`/`end` are local dates of
    receipt, both included."""
    cells = rate_cells(queryset=queryset, by=by, start=start, end=end, now=now)
    by, width = cells.by, len(cells.by)
    histograms = {}
    for row in cells.histogram:
        histograms.setdefault(row[:width], {})[row[width]] = row[width + 1]

    names = group_labels(by, cells.counts)
    result = []
    for row in sorted(cells.counts, key=lambda r: tuple((value is None, value) for value in r[:width])):
        group = row[:width]
        key = {}
        labels = []
        for dim, value in zip(by, group, strict=True):
            key[dim] = value
            if dim == "month":
                labels.append(f"{value:%Y-%m}" if value else "")
            else:
                labels.append(names[dim].get(value) or EMPTY_LABELS[dim])
        hist = histograms.get(group, {})
        result.append(
            RateRow(
                key=key,
                label=" · ".join(labels) or "全部",
                **dict(zip(COUNT_FIELDS, row[width:], strict=True)),
                median_workdays=median_from_histogram(hist),
                histogram=hist,
            )
        )
    return result


@dataclass
class RateCells:
    """The grouped rows of one pass over the concerns, as the cursor returned them: `counts` holds
    (group values..., the COUNT_FIELDS) and `histogram` (group values..., working days, concerns)
    for the median; `histograms` may hold more of the median's rows already grouped, as
    (group values..., [working days, concerns, working days, concerns, ...]) (a summary keeps
    them so). `summarise` adds them up into coarser groups without building a RateRow per cell."""

    by: tuple
    counts: list
    histogram: list
    histograms: list = field(default_factory=list)


def rate_cells(*, queryset=None, by=(), start=None, end=None, now=None):
    """The two aggregate queries of `concern_rates` (same arguments), unassembled."""
    if isinstance(by, str):
        by = (by,)
    by = tuple(by)
    unknown = [d for d in by if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"unknown dimension(s): {', '.join(unknown)}")
    now = now or timezone.now()
    qs = Concern.objects.all() if queryset is None else queryset
    qs = qs.exclude(status=Status.DUPLICATE)
    if start is not None:
        qs = qs.filter(received_at__gte=workdays.start_of_day(start))
    if end is not None:
        qs = qs.filter(received_at__lte=workdays.end_of_day(end))

    keys = [DIMENSIONS[dim] for dim in by]
    # COUNT(1) rather than COUNT(id): the same number (id is never null) without reading a column
    # the covering index need not hold (Django refuses COUNT(*) with a filter).
    aggregates = dict(received=_count(), **{name: _count(q) for name, q in rate_conditions(now).items()})
    month_at = by.index("month") if "month" in by else None
    if keys:
        counts = _tuples(
            qs.values(*keys).annotate(**aggregates).values_list(*keys, *COUNT_FIELDS).order_by(), month_at
        )
    else:
        totals = qs.aggregate(**aggregates)
        counts = [tuple(totals[name] for name in COUNT_FIELDS)]
    histogram = _tuples(
        qs.filter(resolved_at__isnull=False, resolution_workdays__isnull=False)
        .values(*keys, "resolution_workdays")
        .annotate(n=_count())
        .values_list(*keys, "resolution_workdays", "n")
        .order_by(),
        month_at,
    )
    return RateCells(by=by, counts=counts, histogram=histogram)


def rate_conditions(now):
    """{count field: the condition a concern of the population meets to be counted in it}, as the
    module's docstring defines them. The rates' aggregates and the drill-down lists of the concerns
    behind a rate (zhenwu.concerns.figures) both filter with these, so they cannot disagree."""
    held = Q(department__isnull=False, dispatched_at__isnull=False)
    return {
        "due_for_response": held
        & (Q(responded_at__isnull=False) | (Q(response_due__lt=now) & ~Q(status=Status.SUSPENDED))),
        "responded_in_time": held & Q(responded_at__isnull=False, responded_at__lte=F("response_due")),
        "assessed": Q(callback_at__isnull=False) & ~Q(callback_result=CallBackResult.UNREACHABLE),
        "solved": Q(callback_at__isnull=False, callback_solved=True),
        "satisfied": Q(callback_result=CallBackResult.SATISFIED),
        "basically_satisfied": Q(callback_result=CallBackResult.BASICALLY_SATISFIED),
        "unsatisfied": Q(callback_result=CallBackResult.UNSATISFIED),
        "resolved": Q(resolved_at__isnull=False),
        "unreachable": Q(callback_result=CallBackResult.UNREACHABLE),
    }


SKIP = object()


def summarise(cells, key):
    """{key(group): RateRow} over the cells of `rate_cells`, where group is the tuple of a cell's
    dimension values (in the order of `cells.by`); cells whose key is SKIP are left out. One pass
    over each list: a page that shows several coarser groupings of one pass calls this once per
    grouping instead of making a RateRow for every cell and combining them. The rows get no
    label and an empty key dict; the caller names them."""
    width = len(cells.by)
    sums = {}
    for row in cells.counts:
        k = key(row[:width])
        if k is SKIP:
            continue
        total = sums.get(k)
        sums[k] = row[width:] if total is None else tuple(map(_add, total, row[width:]))
    histograms = {k: {} for k in sums}
    for row in cells.histogram:
        k = key(row[:width])
        if k is SKIP:
            continue
        hist = histograms.get(k)
        if hist is None:  # a concern counted between the two queries (PostgreSQL reads each afresh)
            hist = histograms[k] = {}
        days = row[width]
        hist[days] = hist.get(days, 0) + row[width + 1]
    for row in cells.histograms:
        k = key(row[:width])
        if k is SKIP:
            continue
        hist = histograms.get(k)
        if hist is None:
            hist = histograms[k] = {}
        pairs = iter(row[width])
        for days, n in zip(pairs, pairs, strict=True):
            hist[days] = hist.get(days, 0) + n
    return {
        k: RateRow(
            key={},
            label="",
            **dict(zip(COUNT_FIELDS, total, strict=True)),
            median_workdays=median_from_histogram(histograms[k]),
            histogram=histograms[k],
        )
        for k, total in sums.items()
    }


def _add(a, b):
    return a + b


def _count(condition=None):
    return Count(Value(1), filter=condition)


def _tuples(queryset, month_at):
    """The rows of a grouped values_list queryset as the cursor returns them (ids, counts and
    working days are integers on both databases). The month column, declared as a date, comes back
    as a date from both drivers; a text value (an expression SQLite could not type) is parsed."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:  # .none(), or a filter no row can match (pk__in=[]): no groups
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if month_at is not None and any(isinstance(r[month_at], str) for r in rows):
        rows = [(*r[:month_at], _date(r[month_at]), *r[month_at + 1 :]) for r in rows]
    return rows


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def group_labels(by, counts):
    """{dimension: {id: name}} for the ids present, one small query per named dimension."""
    from zhenwu.org.models import Area, Department

    from .models import Category

    models = {"department": Department, "village": Area, "town": Area, "category": Category}
    names = {}
    for dim in by:
        if dim == "month":
            continue
        ids = {row[by.index(dim)] for row in counts} - {None}
        names[dim] = dict(models[dim].objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}
    return names


COUNT_FIELDS = (
    "received",
    "due_for_response",
    "responded_in_time",
    "assessed",
    "solved",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "resolved",
    "unreachable",
)


def combine_rows(rows, *, label="全部", key=None):
    """One RateRow for the union of `rows` (disjoint groups, e.g. the months of a department):
    counts add up and the median comes from the merged histograms, so a page can ask for the
    finest grouping once and show coarser ones without another pass over the concerns."""
    rows = list(rows)
    histogram = {}
    for row in rows:
        for value, count in row.histogram.items():
            histogram[value] = histogram.get(value, 0) + count
    return RateRow(
        key=key or {},
        label=label,
        **{name: sum(getattr(row, name) for row in rows) for name in COUNT_FIELDS},
        median_workdays=median_from_histogram(histogram),
        histogram=histogram,
    )
