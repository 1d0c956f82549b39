"""Settled months of the three rates, kept in a summary so the public rates page reads only the
recent months from the concerns.

A month is summarised once it is older than the previous month (SUMMARY_AFTER_MONTHS): its
(town, department) groups' counts and working-day histograms are stored in RateSummary, and
RateMonth records the month's `version` at computing. Database triggers on the concerns table
(installed by migration 0008) add one to the version of a concern's month on every insert, update
and delete, whatever writes it (services, admin, imports, raw SQL), in the writer's transaction.
A page uses a month's summary only while its summarised_version equals its version and it was
settled (no dispatched concern without a response had its response deadline still ahead, so the
响应率 cannot move with time alone); every other month is computed live by zhenwu.concerns.rates.
So the page always equals the live computation; the summary only saves the work.

Refreshing (`refresh_rate_summaries`) is a worker follow-up task: each pass recomputes the months
whose summary is missing, out of date or not yet settled. The version is read before the month
is counted, so a change committed meanwhile leaves the summary one version behind (and unused)
rather than wrong. New month rows are created under a share lock of the concerns table on
PostgreSQL, so no concern write in flight can miss its month's row.

On SQLite a table rebuild (a later migration altering the concerns table) drops its triggers:
`triggers_installed` is checked before a summary is used, and the refresher reinstalls them and
recomputes every month.
"""

import datetime
import json
import time

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from zhenwu.jobs.services import follow_up_task
from zhenwu.workdays import calendar as workdays

from .models import Concern, RateMonth, RateSummary
from .rates import COUNT_FIELDS, RateCells, rate_cells

SUMMARY_AFTER_MONTHS = 2  # the current and the previous month are always computed live
KEEP_MONTHS = 12  # as many months as the public page shows
UNSETTLED_RETRY = datetime.timedelta(minutes=15)  # how often a month not yet settled is counted again

TRIGGER_NAMES = ("concerns_rates_month_ins", "concerns_rates_month_upd", "concerns_rates_month_del")

_SQLITE_TRIGGERS = [
    "CREATE TRIGGER IF NOT EXISTS concerns_rates_month_ins AFTER INSERT ON concerns_concern BEGIN "
    "UPDATE concerns_ratemonth SET version = version + 1 WHERE month = NEW.received_month; END",
    "CREATE TRIGGER IF NOT EXISTS concerns_rates_month_upd AFTER UPDATE ON concerns_concern BEGIN "
    "UPDATE concerns_ratemonth SET version = version + 1 "
    "WHERE month = OLD.received_month OR month = NEW.received_month; END",
    "CREATE TRIGGER IF NOT EXISTS concerns_rates_month_del AFTER DELETE ON concerns_concern BEGIN "
    "UPDATE concerns_ratemonth SET version = version + 1 WHERE month = OLD.received_month; END",
]
_POSTGRES_TRIGGERS = [
    """CREATE OR REPLACE FUNCTION concerns_rates_month_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE concerns_ratemonth SET version = version + 1 WHERE month = OLD.received_month;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.received_month IS DISTINCT FROM OLD.received_month) THEN
        UPDATE concerns_ratemonth SET version = version + 1 WHERE month = NEW.received_month;
    END IF;
    RETURN NULL;
END $$""",
    "DROP TRIGGER IF EXISTS concerns_rates_month_ins ON concerns_concern",
    "CREATE TRIGGER concerns_rates_month_ins AFTER INSERT OR UPDATE OR DELETE ON concerns_concern "
    "FOR EACH ROW EXECUTE FUNCTION concerns_rates_month_bump()",
]


def install_triggers(conn=None):
    conn = conn or connection
    statements = _POSTGRES_TRIGGERS if conn.vendor == "postgresql" else _SQLITE_TRIGGERS
    with conn.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def drop_triggers(conn=None):
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "postgresql":
            cursor.execute("DROP TRIGGER IF EXISTS concerns_rates_month_ins ON concerns_concern")
            cursor.execute("DROP FUNCTION IF EXISTS concerns_rates_month_bump()")
        else:
            for name in TRIGGER_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def triggers_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'concerns_rates_month_ins' "
                "AND tgrelid = 'concerns_concern'::regclass AND tgenabled <> 'D'"
            )
            return cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'concerns_concern' "
            "AND name IN (%s, %s, %s)",
            TRIGGER_NAMES,
        )
        return cursor.fetchone()[0] == len(TRIGGER_NAMES)


def _months_back(first, count):
    for _ in range(count):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def summarisable_months(today):
    """The first days of the months kept in the summary as of local date `today`, newest first."""
    newest = _months_back(today.replace(day=1), SUMMARY_AFTER_MONTHS)
    return [_months_back(newest, i) for i in range(KEEP_MONTHS - SUMMARY_AFTER_MONTHS)]


def usable_months(months):
    """Of `months`, those whose summary may be read now (see the module docstring)."""
    if not months:
        return set()
    usable = set(
        RateMonth.objects.filter(month__in=months, settled=True, summarised_version=F("version")).values_list(
            "month", flat=True
        )
    )
    if usable and not triggers_installed():
        return set()
    return usable


def summary_cells(months, *, town=None):
    """RateCells by (department, month) of the summarised `months`, for one town or all (the
    histograms kept grouped, as stored)."""
    qs = RateSummary.objects.filter(month__in=months)
    if town is not None:
        qs = qs.filter(town_id=town.pk)
    # Read as the cursor returns them (the ORM's per-row converters cost more than the query).
    sql, params = qs.values_list("department_id", "month", "histogram", *COUNT_FIELDS).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and isinstance(rows[0][1], str):  # SQLite returns a date column of a raw query as text
        rows = [(r[0], datetime.date.fromisoformat(r[1]), *r[2:]) for r in rows]
    # One decode for all the histograms (a json.loads call each cost more than its parsing), each
    # a flat list of (working days, concerns) pairs: pairs as lists made enough objects to set off
    # the garbage collector's full passes (50 ms) every few pages.
    decoded = json.loads("[" + ",".join(r[2] for r in rows) + "]")
    return RateCells(
        by=("department", "month"),
        counts=[(r[0], r[1], *r[3:]) for r in rows],
        histogram=[],
        histograms=[(r[0], r[1], h) for r, h in zip(rows, decoded, strict=True)],
    )


def department_month_cells(months, *, today, now, town=None):
    """RateCells by (department, month) of `months` (the public rates page's twelve): the settled
    months from their summary while it is current, the others counted from the concerns, narrowed
    by received_month so the databases read the month index."""
    summarised = usable_months([m for m in summarisable_months(today) if m in months])
    concerns = Concern.objects.filter(received_month__in=[m for m in months if m not in summarised])
    if town is not None:
        concerns = concerns.filter(town=town)
    cells = rate_cells(queryset=concerns, by=("department", "month"), start=months[-1], end=today, now=now)
    if not summarised:
        return cells
    kept = summary_cells(summarised, town=town)
    return RateCells(cells.by, cells.counts + kept.counts, cells.histogram, kept.histograms)


def refresh_rate_summaries(*, now=None):
    """Recompute the summaries that are missing, out of date or not settled; returns how many
    months were computed. Safe to run on several workers at once (a month computed twice is
    stored twice; the last one stands, and it is correct for the version it records)."""
    now = now or timezone.now()
    today = workdays.local_date(now)
    months = summarisable_months(today)
    if not triggers_installed():
        install_triggers()
        RateMonth.objects.update(summarised_version=None)
    existing = set(RateMonth.objects.filter(month__in=months).values_list("month", flat=True))
    missing = [m for m in months if m not in existing]
    if missing:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Waits for the concern writes in flight and holds new ones for this moment: a
                # write whose trigger found no row for its month is then visible to the count.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '5s'")  # else the next pass tries again
                    cursor.execute("LOCK TABLE concerns_concern IN SHARE MODE")
            RateMonth.objects.bulk_create([RateMonth(month=m) for m in missing], ignore_conflicts=True)
    stale = [
        month
        for month, version, summarised, settled, computed_at in RateMonth.objects.filter(
            month__in=months
        ).values_list("month", "version", "summarised_version", "settled", "computed_at")
        if summarised != version
        or (not settled and (computed_at is None or now - computed_at >= UNSETTLED_RETRY))
    ]
    for month in stale:
        _summarise(month, now)
    # Months that left the page's window are not kept.
    RateSummary.objects.exclude(month__in=months).delete()
    RateMonth.objects.exclude(month__in=months).delete()
    return len(stale)


def _summarise(month, now):
    version = RateMonth.objects.filter(month=month).values_list("version", flat=True).first()
    if version is None:
        return
    concerns = Concern.objects.filter(received_month=month)
    cells = rate_cells(queryset=concerns, by=("town", "department"), now=now)
    histograms = {}
    for town, department, days, n in sorted(cells.histogram, key=lambda r: r[2]):
        histograms.setdefault((town, department), []).extend((days, n))
    pending = concerns.filter(
        department__isnull=False,
        dispatched_at__isnull=False,
        responded_at__isnull=True,
        response_due__gte=now,
    ).exists()
    with transaction.atomic():
        RateSummary.objects.filter(month=month).delete()
        RateSummary.objects.bulk_create(
            RateSummary(
                month=month,
                town_id=town,
                department_id=department,
                histogram=json.dumps(histograms.get((town, department), [])),
                **dict(zip(COUNT_FIELDS, numbers, strict=True)),
            )
            for town, department, *numbers in cells.counts
        )
        RateMonth.objects.filter(month=month).update(
            summarised_version=version, settled=not pending, computed_at=now
        )


WORKER_EVERY = 30  # seconds between the worker's refreshes (it polls every second)
_last_refresh = [None]


@follow_up_task("concerns.refresh_rate_summaries")
def _refresh_in_worker():
    """The worker's refresh, at most every WORKER_EVERY seconds: a summary out of date is never
    read (the page counts that month live), so the wait costs time, not correctness."""
    now = time.monotonic()
    if _last_refresh[0] is not None and now - _last_refresh[0] < WORKER_EVERY:
        return 0
    _last_refresh[0] = now
    return refresh_rate_summaries()
