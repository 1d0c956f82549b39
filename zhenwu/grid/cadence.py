"""走访频次: when each linked household is due a visit, which are overdue, and coverage.

A household is *linked* when at least one member's link is in force today. Its due date is its
last visit (by anyone) plus the town's interval — the stricter interval when one of its residents
is tagged 独居老人 — or, never visited, the first day of its links plus the interval. It is
*overdue* once the due date has passed (due < today); it is *covered* when its last visit lies
within the interval (last visit >= today - interval). So a visited household is either covered or
overdue; one linked recently and not yet visited is neither.

Everything is computed in the database; nothing loads all households. The interval becomes a
per-row cutoff date (today minus the interval, a CASE over the towns whose rule differs from the
default). The lists (overdue_households, coverage) start from the links in force of the grids in
scope: each link carries its household's grid and last visit (HouseholdLink.grid and
.last_visited_on, kept by the services), so a county's figures read its 120,000 links and the
residents tagged 独居老人 (a partial index) instead of joining its 400,000 households (only
counted, per grid, from their grid index) and millions of visits; coverage counts a grid's
distinct households straight from the links, and the overdue list groups only the overdue
households' links. `with_cadence`, for a page of households (linked or not),
reads the grid from the household and the last visit from the visits (a correlated subquery on
the (household, visited_on) index); tests hold the two readings equal.
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
    IntegerField,
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
from zhenwu.org.ordering import tree_order

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


def overdue_households(area, *, today=None, member=None):
    """Linked households of the grids under `area` (every grid when None; linked to `member`, if
    given) whose visit is overdue, most overdue first: an OverdueList (give it to a Paginator, or
    iterate it). Callers pass the area the user may see (access.scope_root) or one under it, or
    None with the member whose own list it is."""
    today = today or timezone.localdate()
    return OverdueList(area, today=today, member=member)


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


def links_in_scope(area, *, today, member=None):
    """The links in force of the households in the grids under `area` (every grid when None), by
    the grid the links carry (HouseholdLink.grid); with `member`, only the links of the households
    linked to that member (their other members' links included: they count for `since`)."""
    links = active_links(today)
    if area is not None:
        if area.level == AreaLevel.GRID:
            links = links.filter(grid_id=area.pk)
        else:
            links = links.filter(grid__in=Area.objects.filter(path__startswith=area.path).values("pk"))
    if member is not None:
        links = links.filter(household__in=active_links(today).filter(member=member).values("household"))
    return links


def _elderly_join():
    """(sql, params) of a LEFT JOIN of the residents tagged 独居老人 to the links `k`, on the
    condition of the residents' partial index (org_resident_alone_elderly_idx). SQLite probes the
    index link by link; PostgreSQL probes it for a town's links and hashes it whole for a county's
    (it knows the index's size from the statistics of org migration 0003; without them it hashed
    it whole even for a grid, 5 ms instead of 0.4). (As a subquery in the select list, the
    planners copied it into each CASE that reads it, and PostgreSQL scanned the whole index once
    for each copy, 30 ms for a grid.) A household with two tagged residents gives two rows, which
    the counts and the groups over households absorb."""
    table = connection.ops.quote_name(Resident._meta.db_table)
    alone = Resident.objects.filter(_ElderlyTagTest(F("tags"), ELDERLY_TAG_TEXT))
    condition, params = alone.query.get_compiler(connection=connection).compile(alone.query.where)
    household = f"{table}.{connection.ops.quote_name('household_id')}"
    return f"LEFT JOIN {table} ON {household} = k.household_id AND {condition}", params


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


def _link_rows(area, *, today, member=None):
    """(sql, params) of a derived table `l` of the links in force in scope, one row a link:
    household_id, grid_id, started_on, last, elderly, interval_days and cutoff.

    Every value but started_on is the household's, the same on each of its links: the grid and the
    last visit are carried by every link of the household (HouseholdLink.grid, .last_visited_on),
    and the interval follows from the grid and the residents. So a household is covered when one
    of its links says so (last >= cutoff), and overdue when one of its links says so
    (COALESCE(last, started_on) < cutoff: with a visit, the same on each link; never visited, when
    its first link started more than an interval ago) — which lets coverage count households per
    grid straight from the links, and the overdue list group only the overdue households' links."""
    links = (
        links_in_scope(area, today=today, member=member)
        .order_by()
        .values("household_id", "grid_id", "started_on", "last_visited_on")
    )
    inner, inner_params = links.query.sql_with_params()
    join, join_params = _elderly_join()
    table = connection.ops.quote_name(Resident._meta.db_table)
    interval_sql, interval_params, cutoff_sql, cutoff_params = _rule_cases(area, today)
    sql = (
        f"(SELECT h.household_id, h.grid_id, h.started_on, h.last, h.elderly, "
        f"{interval_sql} AS interval_days, {cutoff_sql} AS cutoff FROM ("
        f"SELECT k.household_id, k.grid_id, k.started_on, k.last_visited_on AS last, "
        f"CASE WHEN {table}.{connection.ops.quote_name('household_id')} IS NULL THEN 0 ELSE 1 END AS elderly "
        f"FROM ({inner}) k {join}) h) l"
    )
    return sql, [*interval_params, *cutoff_params, *inner_params, *join_params]


# A link says its household is overdue (the due date — last visit, or the first day of the links,
# plus the interval — has passed) or covered (visited within the interval); see _link_rows.
_OVERDUE_SQL = "COALESCE(l.last, l.started_on) < l.cutoff"
_COVERED_SQL = "l.last >= l.cutoff"


def _date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


@contextmanager
def _cursor():
    """A cursor for the grouped cadence queries. On PostgreSQL, for this transaction only, the
    planner is told that random reads cost little more than sequential ones (true of SSDs and of a
    cached database: with the default 4.0 a town's links were read whole rather than through the
    grid index, 26 ms instead of 12), and sorts get 16 MB (a county's 120,000 links sorted by grid
    spilled to disk with the default 4 MB: 160 ms instead of 100)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # SET LOCAL of both, in one statement.
        cursor.execute("SELECT set_config('random_page_cost', '1.1', true), set_config('work_mem', '16MB', true)")
        yield cursor


class OverdueList:
    """The overdue households among the linked ones, as a sequence a Paginator can page.

    One query per page: the links in force that say their household is overdue (see _link_rows)
    are grouped into their households, ordered by the due date (then the household number, joined
    for the overdue households only) and paged in SQL, with the total as a window count; plus one
    query for the page's households. `prefetch(page, per_page)` runs it before the Paginator asks
    for the count, which it then takes from the page. Items are Household instances (grid selected)
    carrying `last_visited_on`, `cutoff`, `linked_since`, `interval_days` and `elderly_alone`.
    """

    def __init__(self, area, *, today, member=None):
        links, self._params = _link_rows(area, today=today, member=member)
        # Grouped over the overdue links only: every value but `since` is the same on each link
        # of a household, and the links left out (started within the interval, never visited)
        # never hold the household's first day (_link_rows).
        self._overdue = (
            f"SELECT l.household_id AS pk, MAX(l.last) AS last, MIN(l.started_on) AS since, "
            f"MAX(l.cutoff) AS cutoff, MAX(l.interval_days) AS interval_days, MAX(l.elderly) AS elderly "
            f"FROM {links} WHERE {_OVERDUE_SQL} GROUP BY l.household_id"
        )
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
                cursor.execute(f"SELECT COUNT(*) FROM ({self._overdue}) c", self._params)
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
        # The household number breaks ties of the due date. It is joined only to the households
        # due no later than the last one of the page (the due date of the row at offset + limit,
        # in due-date order): a county's first page then joins some hundreds of its 30,000
        # overdue households, not all.
        due = self._due_sql()
        table = connection.ops.quote_name(Household._meta.db_table)
        params = list(self._params)
        upto = ""
        if limit is not None:
            upto = f"WHERE {due} <= COALESCE((SELECT {due} FROM c ORDER BY 1 LIMIT 1 OFFSET %s), {due}) "
            params.append(max(offset + limit - 1, 0))
        query = (
            f"WITH c AS ({self._overdue}) "
            f"SELECT c.pk, c.last, c.cutoff, c.since, c.interval_days, c.elderly, (SELECT COUNT(*) FROM c) "
            f"FROM c INNER JOIN {table} n ON n.id = c.pk {upto}ORDER BY {due}, n.number"
        )
        if limit is not None:
            query += " LIMIT %s OFFSET %s"
            params += [limit, offset]
        with _cursor() as cursor:
            cursor.execute(query, params)
            rows = cursor.fetchall()
        if rows:
            self._count = rows[0][-1]
        elif offset == 0 and limit != 0:
            self._count = 0
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


def coverage(root, *, today=None, depth=None):
    """Coverage of the grids under `root`, rolled up to villages, towns and the root itself: a list
    of CoverageRow in tree order, the root first, down to `depth` levels below the root (every
    level when None). Three queries, whatever the number of households: the areas, the households
    per grid (an index-only count) and the links' grouped figures (_counts_by_grid)."""
    today = today or timezone.localdate()
    areas = list(
        Area.objects.filter(path__startswith=root.path)
        .order_by("path")
        .only("id", "name", "level", "path", "depth")
    )
    totals = dict(households_under(root).order_by().values_list("grid_id").annotate(n=Count("id")))
    counts = _counts_by_grid(root, today=today)
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
    return [rows[a.path] for a in tree_order(areas) if depth is None or a.depth <= root.depth + depth]


@dataclass
class CoverageRecord:
    """One linked household behind `coverage`'s figures: whether it is covered (visited within its
    interval) and overdue, its last visit and the date its next visit is due."""

    household: Household
    covered: bool
    overdue: bool
    last: datetime.date | None
    due: datetime.date | None


def coverage_records(root, *, today=None):
    """The linked households under `root` that `coverage(root)[0].linked` counts, one
    CoverageRecord each, in household-number order: the same derived table of links and the same
    covered/overdue conditions, grouped by household instead of by grid (two queries)."""
    today = today or timezone.localdate()
    links, params = _link_rows(root, today=today)
    query = (
        f"SELECT l.household_id, MAX(CASE WHEN {_COVERED_SQL} THEN 1 ELSE 0 END), "
        f"MAX(CASE WHEN {_OVERDUE_SQL} THEN 1 ELSE 0 END), MAX(l.last), MIN(l.started_on), MAX(l.interval_days) "
        f"FROM {links} GROUP BY l.household_id"
    )
    with _cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    households = Household.objects.select_related("grid").in_bulk([row[0] for row in rows])
    records = []
    for household_id, covered, overdue, last, started, interval in rows:
        last, started = _date(last), _date(started)
        basis = last or started
        records.append(CoverageRecord(
            household=households[household_id], covered=bool(covered), overdue=bool(overdue), last=last,
            due=basis + datetime.timedelta(days=int(interval)) if basis and interval is not None else None,
        ))
    records.sort(key=lambda r: (r.household.number, r.household.pk))
    return records


def _counts_by_grid(area, *, today):
    """{grid id: {"linked", "covered", "overdue"}} of the linked households under `area`: one
    query grouping the links in force by grid, counting their distinct households (a household
    with two members counts once; see _link_rows for why a link can speak for its household)."""
    links, params = _link_rows(area, today=today)
    query = (
        f"SELECT l.grid_id, COUNT(DISTINCT l.household_id), "
        f"COUNT(DISTINCT CASE WHEN {_COVERED_SQL} THEN l.household_id END), "
        f"COUNT(DISTINCT CASE WHEN {_OVERDUE_SQL} THEN l.household_id END) FROM {links} GROUP BY l.grid_id"
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
