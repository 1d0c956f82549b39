"""The periodic commands' runs (zhenwu.core.periodic announces them): each run is a CommandRun row,
written by the receivers below (connected in OpsConfig.ready), and `command_states()` (the health
endpoint and the status page) marks overdue those whose last successful run is older than the
expected interval (`settings.ZHENWU_PERIODIC`, {name: seconds}) plus a grace period."""

import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from .models import CommandRun

# A run counts as on time when it is at most this late: cron jitter, a slow previous run.
GRACE_FACTOR = 0.5
MIN_GRACE_SECONDS = 10 * 60


def record_start(sender, *, run, **kwargs):
    run.record = CommandRun.objects.create(name=run.name, started=run.started)


def record_finish(sender, *, run, **kwargs):
    if run.record is None:
        return
    if connection.in_atomic_block and connection.needs_rollback:
        return  # a broken transaction of the command itself: the row stays "running" and shows as such
    row = run.record
    row.finished, row.ok, row.error, row.duration = run.finished, run.ok, run.error, run.duration
    row.save(update_fields=["finished", "ok", "error", "duration"])


def expected_intervals():
    return dict(getattr(settings, "ZHENWU_PERIODIC", {}))


def grace(interval):
    return max(interval * GRACE_FACTOR, MIN_GRACE_SECONDS)


def installed_at():
    """When tracking began (the ops app's first migration): a command that never ran is only
    overdue once the installation is older than its interval."""
    from django.db.migrations.recorder import MigrationRecorder

    return (
        MigrationRecorder.Migration.objects.filter(app="ops", name="0001_initial")
        .values_list("applied", flat=True)
        .first()
    )


def command_states(now=None):
    """One dict per expected command: name, interval, last run, last success, overdue."""
    now = now or timezone.now()
    intervals = expected_intervals()
    last_ok = dict(
        CommandRun.objects.filter(name__in=intervals, ok=True).values_list("name").annotate(Max("started"))
    )
    latest = {}
    for run in CommandRun.objects.filter(
        id__in=CommandRun.objects.filter(name__in=intervals)
        .values("name")
        .annotate(last=Max("id"))
        .values("last")
    ):
        latest[run.name] = run
    since = None
    states = []
    for name, seconds in intervals.items():
        reference = last_ok.get(name)
        if reference is None:
            if since is None:
                since = installed_at() or now
            reference = since
        deadline = reference + datetime.timedelta(seconds=seconds + grace(seconds))
        states.append({
            "name": name,
            "interval": seconds,
            "last_run": latest.get(name),
            "last_ok": last_ok.get(name),
            "overdue": now > deadline,
            "deadline": deadline,
        })
    return states
