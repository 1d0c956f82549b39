"""Tracking of the periodic management commands (cron / systemd timers).

A command opts in with one decorator on its class::

    @periodic
    class Command(BaseCommand): ...

Each run leaves a CommandRun row (started, finished, ok, error, duration). The expected interval
of each command is `settings.ZHENWU_PERIODIC` ({name: seconds}); `overdue_commands()` (used by the
health endpoint and the status page) lists those whose last successful run is older than the
interval plus a grace period.

This module only depends on Django and zhenwu.ops.models, so commands of any app may import it.
"""

import datetime
import functools
import time
import traceback

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from .models import CommandRun

# A run counts as on time when it is at most this late: cron jitter, a slow previous run.
GRACE_FACTOR = 0.5
MIN_GRACE_SECONDS = 10 * 60


def periodic(command_class):
    """Class decorator: record every run of the command's handle() as a CommandRun."""
    name = command_class.__module__.rsplit(".", 1)[-1]
    handle = command_class.handle

    @functools.wraps(handle)
    def tracked_handle(self, *args, **options):
        run = CommandRun.objects.create(name=name, started=timezone.now())
        clock = time.monotonic()
        try:
            result = handle(self, *args, **options)
        except BaseException as exc:
            _finish(run, clock, ok=False, error=_describe(exc))
            raise
        _finish(run, clock, ok=True)
        return result

    command_class.handle = tracked_handle
    command_class.periodic_name = name
    return command_class


def _describe(exc):
    text = str(exc) or exc.__class__.__name__
    if not getattr(exc, "returncode", None):  # a CommandError's message says it all; others get the trace
        text = f"{text}\n\n{traceback.format_exc(limit=8)}"
    return text[:4000]


def _finish(run, clock, *, ok, error=""):
    if connection.in_atomic_block and connection.needs_rollback:
        return  # a broken transaction of the command itself: the row stays "running" and shows as such
    run.finished = timezone.now()
    run.ok = ok
    run.error = error
    run.duration = round(time.monotonic() - clock, 3)
    run.save(update_fields=["finished", "ok", "error", "duration"])


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


def overdue_commands(now=None):
    return [state["name"] for state in command_states(now) if state["overdue"]]
