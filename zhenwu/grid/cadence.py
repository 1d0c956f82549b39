"""走访频次: when each linked household is due a visit, which are overdue, and coverage.

A household is *linked* when at least one member's link is in force today. Its due date is its
last visit (by anyone) plus the town's interval — the stricter interval when one of its residents
is tagged 独居老人 — or, never visited, the first day of its links plus the interval. It is
*overdue* once the due date has passed (due < today); it is *covered* when its last visit lies
within the interval (last visit >= today - interval). So a visited household is either covered or
overdue; one linked recently and not yet visited is neither.

Everything is computed in the database: the interval becomes a per-row cutoff date (today minus
the interval, a Case over the towns whose rule differs from the default), the last visit a
correlated subquery served by the (household, visited_on) index. Nothing loads all households.
"""

import datetime
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from zhenwu.org.models import Area, AreaLevel, Household, Resident, ResidentTag

from .models import (
    DEFAULT_ELDERLY_INTERVAL_DAYS,
    DEFAULT_INTERVAL_DAYS,
    HouseholdLink,
    Visit,
    VisitCadenceRule,
)

# Tags are a fixed vocabulary stored as a JSON list: the quoted value matches exactly (and runs on
# SQLite, which has no JSON containment lookup).
ELDERLY_TAG_TEXT = f'"{ResidentTag.LIVING_ALONE_ELDERLY.value}"'


@dataclass(frozen=True)
class Cadence:
    interval_days: int = DEFAULT_INTERVAL_DAYS
    elderly_interval_days: int = DEFAULT_ELDERLY_INTERVAL_DAYS

    def interval_for(self, *, elderly_alone):
        return self.elderly_interval_days if elderly_alone else self.interval_days


DEFAULT_CADENCE = Cadence()


def cadence_for_town(town):
    rule = VisitCadenceRule.objects.filter(town=town).first() if town is not None else None
    if rule is None:
        return DEFAULT_CADENCE
    return Cadence(rule.interval_days, rule.elderly_interval_days)


def _town_rules(root):
    """[(town path, Cadence)] for the towns at or under/over `root` whose rule is not the default."""
    rules = VisitCadenceRule.objects.select_related("town")
    if root is not None:
        ancestors = [root.path[:pos] for pos in range(root.steplen, len(root.path) + 1, root.steplen)]
        rules = rules.filter(Q(town__path__startswith=root.path) | Q(town__path__in=ancestors))
    out = []
    for rule in rules:
        cadence = Cadence(rule.interval_days, rule.elderly_interval_days)
        if cadence != DEFAULT_CADENCE:
            out.append((rule.town.path, cadence))
    return out


def households_under(area):
    """Households in the grids under `area`. Written as `grid IN (areas under the path)` rather than
    a join on the area's path: SQLite cannot use an index for the path's LIKE, and with the join it
    would walk every household of the county to test its grid's path."""
    return Household.objects.filter(grid__in=Area.objects.filter(path__startswith=area.path).values("pk"))


def active_links(today):
    return HouseholdLink.objects.active(today)


def linked_q(today, *, member=None):
    links = active_links(today).filter(household=OuterRef("pk"))
    if member is not None:
        links = links.filter(member=member)
    return Q(Exists(links))


def with_cadence(households, *, today=None, root=None):
    """Annotate households with `elderly_alone`, `interval_days`, `cutoff` (today - interval),
    `last_visited_on`, `linked_since` and `due_key` (a sortable due date). `root` is the area the
    query is limited to (it narrows the towns whose rules are looked at)."""
    today = today or timezone.localdate()
    rules = _town_rules(root)
    elderly = Exists(Resident.objects.filter(household=OuterRef("pk"), tags__icontains=ELDERLY_TAG_TEXT))
    interval_whens, cutoff_whens, span_whens = [], [], []
    for path, cadence in rules:
        for is_elderly, days in ((True, cadence.elderly_interval_days), (False, cadence.interval_days)):
            cond = Q(grid__path__startswith=path, elderly_alone=is_elderly)
            interval_whens.append(When(cond, then=Value(days)))
            cutoff_whens.append(When(cond, then=Value(today - datetime.timedelta(days=days))))
            span_whens.append(When(cond, then=Value(datetime.timedelta(days=days))))
    elderly_cond = Q(elderly_alone=True)
    interval_whens.append(When(elderly_cond, then=Value(DEFAULT_ELDERLY_INTERVAL_DAYS)))
    cutoff_whens.append(When(elderly_cond, then=Value(today - datetime.timedelta(days=DEFAULT_ELDERLY_INTERVAL_DAYS))))
    span_whens.append(When(elderly_cond, then=Value(datetime.timedelta(days=DEFAULT_ELDERLY_INTERVAL_DAYS))))
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_on").values("visited_on")[:1]
    since = (
        active_links(today).filter(household=OuterRef("pk")).order_by().values("household")
        .annotate(first=Min("started_on")).values("first")
    )
    default_cutoff = today - datetime.timedelta(days=DEFAULT_INTERVAL_DAYS)
    return (
        households.annotate(elderly_alone=elderly)
        .annotate(
            interval_days=Case(*interval_whens, default=Value(DEFAULT_INTERVAL_DAYS), output_field=IntegerField()),
            cutoff=Case(*cutoff_whens, default=Value(default_cutoff), output_field=DateField()),
            last_visited_on=Subquery(last, output_field=DateField()),
            linked_since=Subquery(since, output_field=DateField()),
        )
        .annotate(
            due_key=ExpressionWrapper(
                Coalesce("last_visited_on", "linked_since")
                + Case(
                    *span_whens,
                    default=Value(datetime.timedelta(days=DEFAULT_INTERVAL_DAYS)),
                    output_field=DurationField(),
                ),
                output_field=DateField(),
            ),
        )
    )


def due_on(household):
    """The due date of an annotated household (None when it is not linked and never visited)."""
    basis = household.last_visited_on or household.linked_since
    return basis + datetime.timedelta(days=household.interval_days) if basis else None


def overdue_households(households, *, today=None, root=None, member=None):
    """Linked households (linked to `member`, if given) whose visit is overdue, most overdue first:
    an OverdueList (give it to a Paginator, or iterate it)."""
    today = today or timezone.localdate()
    linked = with_cadence(households.filter(linked_q(today, member=member)), today=today, root=root)
    return OverdueList(linked)


_OVERDUE_SQL = "(h.last_visited_on < h.cutoff OR (h.last_visited_on IS NULL AND h.linked_since < h.cutoff))"


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


@contextmanager
def _cursor():
    """A cursor for the grouped cadence queries. On PostgreSQL, JIT compilation is turned off for
    the transaction: the planner prices thousands of index probes of the correlated subqueries
    above jit_above_cost and then spends a second compiling a query that runs in milliseconds."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
        yield cursor


class OverdueList:
    """The overdue households of annotated linked households, as a sequence a Paginator can page.

    The ORM's per-household SQL (last visit, cutoff, first day of the links) is wrapped in a
    materialised CTE so each value is computed once per household (filtered on, ordered by the due
    date and counted without repeating the subqueries); a page is one LIMIT/OFFSET query plus
    one query for its households. Items are Household instances (grid selected) carrying
    `last_visited_on`, `cutoff`, `linked_since`, `interval_days` and `elderly_alone`.
    """

    def __init__(self, linked):
        inner = linked.order_by().values(
            "pk", "number", "last_visited_on", "cutoff", "linked_since", "interval_days", "elderly_alone"
        )
        sql, params = inner.query.sql_with_params()
        self._cte = f"WITH h AS MATERIALIZED ({sql}) "
        self._params = params
        self._count = None

    def count(self):
        if self._count is None:
            with _cursor() as cursor:
                cursor.execute(f"{self._cte}SELECT COUNT(*) FROM h WHERE {_OVERDUE_SQL}", self._params)
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self):
        return self.count()

    def _due_sql(self):
        basis = "COALESCE(h.last_visited_on, h.linked_since)"
        if connection.vendor == "postgresql":
            return f"({basis} + h.interval_days)"
        return f"date({basis}, '+' || h.interval_days || ' days')"

    def _rows(self, offset, limit):
        query = (
            f"{self._cte}SELECT h.pk, h.last_visited_on, h.cutoff, h.linked_since, h.interval_days, h.elderly_alone "
            f"FROM h WHERE {_OVERDUE_SQL} ORDER BY {self._due_sql()}, h.number"
        )
        params = list(self._params)
        if limit is not None:
            query += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with _cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        households = Household.objects.select_related("grid").in_bulk([row[0] for row in rows])
        out = []
        for pk, last, cutoff, since, interval, elderly in rows:
            household = households[pk]
            household.last_visited_on, household.cutoff = _date(last), _date(cutoff)
            household.linked_since, household.interval_days = _date(since), interval
            household.elderly_alone = bool(elderly)
            out.append(household)
        return out

    def __getitem__(self, index):
        if isinstance(index, slice):
            if index.step not in (None, 1):
                raise ValueError("OverdueList slices take no step")
            start = index.start or 0
            limit = None if index.stop is None else max(index.stop - start, 0)
            return self._rows(start, limit)
        return self._rows(index, 1)[0]

    def __iter__(self):
        return iter(self._rows(0, None))


@dataclass
class CoverageRow:
    area: Area
    linked: int = 0
    covered: int = 0
    overdue: int = 0
    households: int = 0
    indent: int = 0

    @property
    def percent(self):
        return round(100 * self.covered / self.linked, 1) if self.linked else None

    @property
    def unlinked(self):
        return self.households - self.linked


def coverage(root, *, today=None):
    """Coverage of the grids under `root`, rolled up to villages and the root itself: a list of
    CoverageRow in tree order (root first). Two grouped queries, whatever the number of households."""
    today = today or timezone.localdate()
    areas = list(
        Area.objects.filter(path__startswith=root.path)
        .exclude(level=AreaLevel.COUNTY)
        .order_by("path")
        .only("id", "name", "level", "path", "depth")
    )
    in_scope = households_under(root)
    totals = dict(in_scope.order_by().values_list("grid_id").annotate(n=Count("id")))
    linked = with_cadence(in_scope.filter(linked_q(today)), today=today, root=root)
    counts = _counts_by_grid(linked)
    rows = {}
    for area in areas:
        row = CoverageRow(area=area, indent=area.depth - root.depth)
        c = counts.get(area.pk)
        if c:
            row.linked, row.covered, row.overdue = c["linked"], c["covered"], c["overdue"]
        row.households = totals.get(area.pk, 0)
        rows[area.path] = row
    for area in reversed(areas):  # descendants follow ancestors in path order
        parent = rows.get(area.path[: -area.steplen])
        if parent is not None:
            child = rows[area.path]
            parent.linked += child.linked
            parent.covered += child.covered
            parent.overdue += child.overdue
            parent.households += child.households
    return [rows[a.path] for a in areas]


def _counts_by_grid(linked):
    """{grid id: {"linked", "covered", "overdue"}} for annotated linked households.

    Grouping the annotated queryset directly would repeat each correlated subquery in every
    aggregate's condition (Django inlines annotations: the last visit four times, the 独居老人
    test six). The ORM's own SQL for the per-household values is wrapped instead in a
    materialised CTE (SQLite >= 3.35, PostgreSQL >= 12), so each is computed once per household.
    """
    inner = linked.order_by().values("grid_id", "last_visited_on", "cutoff", "linked_since")
    sql, params = inner.query.sql_with_params()
    query = (
        f"WITH h AS MATERIALIZED ({sql}) "
        "SELECT h.grid_id, COUNT(*), "
        "SUM(CASE WHEN h.last_visited_on >= h.cutoff THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN h.last_visited_on < h.cutoff "
        "OR (h.last_visited_on IS NULL AND h.linked_since < h.cutoff) THEN 1 ELSE 0 END) "
        "FROM h GROUP BY h.grid_id"
    )
    with _cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    return {
        grid_id: {"linked": n, "covered": int(covered or 0), "overdue": int(overdue or 0)}
        for grid_id, n, covered, overdue in rows
    }


def unlinked_households(households, *, today=None):
    today = today or timezone.localdate()
    return households.exclude(linked_q(today)).select_related("grid").order_by("number")
