"""走访频次: when each linked household is due a visit, which are overdue, and coverage.

A household is *linked* when at least one member's link is in force today. Its due date is its
last visit (by anyone) plus the town's interval — the stricter interval when one of its residents
is tagged 独居老人 — or, never visited, the first day of its links plus the interval. It is
*overdue* once the due date has passed (due < today); it is *covered* when its last visit lies
within the interval (last visit >= today - interval). So a visited household is either covered or
overdue; one linked recently and not yet visited is neither.

Everything is computed in the database; nothing loads all households. The interval becomes a
per-row cutoff date (today minus the interval, a CASE over the towns whose rule differs from the
default). The lists (overdue_households, coverage) start from the links in force, which carry their
household's last visit (HouseholdLink.last_visited_on, kept by the visit services), joined with the
residents tagged 独居老人: one grouped pass, whatever the scope, instead of probing a county's
millions of visits household by household. `with_cadence`, for a page of households (linked or
not), reads the last visit from the visits (a correlated subquery on the (household, visited_on)
index); tests hold the two readings equal.
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
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import JSONIContains
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
    return OverdueList(households, today=today, root=root, member=member)


class _ElderlyTagTest(JSONIContains):
    """`tags__icontains` of the quoted 独居老人 tag, the condition of the residents' partial index
    org_resident_alone_elderly_idx. On SQLite the pattern is written into the SQL as a literal:
    SQLite matches a query to a partial index only through literals, not bound parameters (the
    value is our constant, never user input). PostgreSQL matches the parameter as it is."""

    def as_sql(self, compiler, connection):
        sql, params = super().as_sql(compiler, connection)
        if connection.vendor != "sqlite":
            return sql, params
        *lhs_params, pattern = params
        head, _, tail = sql.rpartition("%s")  # the pattern is the last placeholder
        literal = "'" + pattern.replace("'", "''") + "'"
        return head + literal.replace("%", "%%") + tail, lhs_params


def _linked_values(households, *, today, member=None):
    """One grouped query: a row per household of `households` linked today (to `member`, if given)
    with pk, grid_id, number, `since` (the first day of its links in force), `last` (its latest
    visit, which the links carry: HouseholdLink.last_visited_on) and `elderly` (how many of its
    residents are tagged 独居老人). Links and tagged residents are joined, not probed per household,
    so the database picks index probes for a grid and hash joins for a county."""
    if member is not None:
        households = households.filter(linked_q(today, member=member))
    in_force = Q(member_links__started_on__lte=today) & (
        Q(member_links__ended_on__isnull=True) | Q(member_links__ended_on__gt=today)
    )
    return (
        households.annotate(
            link=FilteredRelation("member_links", condition=in_force),
            alone=FilteredRelation(
                "residents", condition=Q(_ElderlyTagTest(F("residents__tags"), ELDERLY_TAG_TEXT))
            ),
        )
        .filter(link__isnull=False)
        .order_by()
        .values("pk", "grid_id", "number")
        .annotate(since=Min("link__started_on"), last=Max("link__last_visited_on"), elderly=Count("alone__household"))
    )


def _rule_cases(root, today):
    """SQL for the interval (days) and the cutoff (today - interval) of a row `h` with grid_id and
    elderly: (interval sql, params, cutoff sql, params). Towns whose rule differs from the default
    become conditions on the areas under them."""
    interval_whens, interval_params, cutoff_whens, cutoff_params = [], [], [], []
    adapt = connection.ops.adapt_datefield_value

    def when(condition, condition_params, days):
        interval_whens.append(f"WHEN {condition} THEN %s")
        interval_params.extend([*condition_params, days])
        cutoff_whens.append(f"WHEN {condition} THEN %s")
        cutoff_params.extend([*condition_params, adapt(today - datetime.timedelta(days=days))])

    rules = _town_rules(root)
    under = Q()
    for path, _rule in rules:
        under |= Q(path__startswith=path)
    areas = list(Area.objects.filter(under).values_list("pk", "path")) if rules else []
    for path, rule in rules:
        area_ids = [pk for pk, area_path in areas if area_path.startswith(path)]
        marks = ", ".join(["%s"] * len(area_ids))
        when(f"h.grid_id IN ({marks}) AND h.elderly > 0", area_ids, rule.elderly_interval_days)
        when(f"h.grid_id IN ({marks})", area_ids, rule.interval_days)
    when("h.elderly > 0", [], DEFAULT_ELDERLY_INTERVAL_DAYS)
    interval_sql = f"CASE {' '.join(interval_whens)} ELSE %s END"
    cutoff_sql = f"CASE {' '.join(cutoff_whens)} ELSE %s END"
    interval_params.append(DEFAULT_INTERVAL_DAYS)
    cutoff_params.append(adapt(today - datetime.timedelta(days=DEFAULT_INTERVAL_DAYS)))
    return interval_sql, interval_params, cutoff_sql, cutoff_params


def _cadence_rows(households, *, today, root, member=None):
    """(sql, params) of a derived table `c` of linked households: pk, grid_id, number, since, last,
    elderly, interval_days and cutoff, each computed once per household."""
    inner, inner_params = _linked_values(households, today=today, member=member).query.sql_with_params()
    interval_sql, interval_params, cutoff_sql, cutoff_params = _rule_cases(root, today)
    sql = (
        f"(SELECT h.pk, h.grid_id, h.number, h.since, h.last, h.elderly, {interval_sql} AS interval_days, "
        f"{cutoff_sql} AS cutoff FROM ({inner}) h) c"
    )
    return sql, [*interval_params, *cutoff_params, *inner_params]


# Overdue: the due date (last visit, or the first day of the links, plus the interval) has passed.
_OVERDUE_SQL = "COALESCE(c.last, c.since) < c.cutoff"
_COVERED_SQL = "c.last >= c.cutoff"


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


@contextmanager
def _cursor():
    """A cursor for the grouped cadence queries. On PostgreSQL the planner is told, for this
    transaction only, that random reads cost little more than sequential ones (true of SSDs and of
    a cached database): with the default 4.0 it hashes a county's 400,000 households against the
    links and spills the grouping to disk (330 ms of CPU) instead of merging them in index order
    (160 ms)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield cursor


class OverdueList:
    """The overdue households among the linked ones, as a sequence a Paginator can page.

    One query per page: the linked households' values are computed once each (see _linked_values),
    filtered, ordered by the due date and paged in SQL, with the total as a window count; plus one
    query for the page's households. `prefetch(page, per_page)` runs it before the Paginator asks
    for the count, which it then takes from the page. Items are Household instances (grid selected)
    carrying `last_visited_on`, `cutoff`, `linked_since`, `interval_days` and `elderly_alone`.
    """

    def __init__(self, households, *, today, root, member=None):
        self._from, self._params = _cadence_rows(households, today=today, root=root, member=member)
        self._count = None
        self._pages = {}

    def prefetch(self, page, per_page):
        """Fetch page `page` (1-based; anything else counts as the first) and the total at once."""
        try:
            page = max(int(page), 1)
        except (TypeError, ValueError):
            page = 1
        self._rows((page - 1) * per_page, per_page)
        return self

    def count(self):
        if self._count is None:
            with _cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {self._from} WHERE {_OVERDUE_SQL}", self._params)
                self._count = cursor.fetchone()[0]
        return self._count

    def __len__(self):
        return self.count()

    def _due_sql(self):
        basis = "COALESCE(c.last, c.since)"
        if connection.vendor == "postgresql":
            return f"({basis} + c.interval_days)"
        return f"date({basis}, '+' || c.interval_days || ' days')"

    def _cached(self, offset, limit):
        """Rows already fetched from `offset`: a prefetched page also serves the Paginator's shorter
        slice of the last page."""
        for (start, size), rows in self._pages.items():
            if start != offset:
                continue
            if size is None or (limit is not None and limit <= size) or len(rows) < size:
                return rows if limit is None else rows[:limit]
        return None

    def _rows(self, offset, limit):
        cached = self._cached(offset, limit)
        if cached is not None:
            return cached
        query = (
            f"SELECT c.pk, c.last, c.cutoff, c.since, c.interval_days, c.elderly, COUNT(*) OVER () "
            f"FROM {self._from} WHERE {_OVERDUE_SQL} ORDER BY {self._due_sql()}, c.number"
        )
        params = list(self._params)
        if limit is not None:
            query += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with _cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        if rows:
            self._count = rows[0][-1]
        households = Household.objects.select_related("grid").in_bulk([row[0] for row in rows])
        out = []
        for pk, last, cutoff, since, interval, elderly, _total in rows:
            household = households[pk]
            household.last_visited_on, household.cutoff = _date(last), _date(cutoff)
            household.linked_since, household.interval_days = _date(since), interval
            household.elderly_alone = bool(elderly)
            out.append(household)
        self._pages[(offset, limit)] = out
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
    counts = _counts_by_grid(in_scope, today=today, root=root)
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


def _counts_by_grid(households, *, today, root):
    """{grid id: {"linked", "covered", "overdue"}} of the linked households among `households`:
    one grouped query over the per-household values (see _linked_values)."""
    rows_sql, params = _cadence_rows(households, today=today, root=root)
    query = (
        f"SELECT c.grid_id, COUNT(*), SUM(CASE WHEN {_COVERED_SQL} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {_OVERDUE_SQL} THEN 1 ELSE 0 END) FROM {rows_sql} GROUP BY c.grid_id"
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
