"""The periodic management commands (cron / systemd timers) announce their runs.

A command opts in with one decorator on its class::

    @periodic
    class Command(BaseCommand): ...

Each run of its handle() sends `run_started` before and `run_finished` after (Django signals,
sender = the command's name, `run` = a PeriodicRun). zhenwu.ops records them as CommandRun rows and
reads them for the health endpoint and the status page (zhenwu.ops.command_runs); this module
names no app, so commands of any app may import it.
"""

import dataclasses
import datetime
import functools
import time
import traceback

from django.dispatch import Signal
from django.utils import timezone

run_started = Signal()  # sender: the command's name; run: the PeriodicRun (started set)
run_finished = Signal()  # sender: the command's name; run: the PeriodicRun (finished, ok, error, duration set)


@dataclasses.dataclass
class PeriodicRun:
    name: str
    started: datetime.datetime
    finished: datetime.datetime | None = None
    ok: bool | None = None
    error: str = ""
    duration: float | None = None
    record: object = None  # what a receiver of run_started keeps to update on run_finished


def periodic(command_class):
    """Class decorator: announce every run of the command's handle() (run_started, run_finished)."""
    name = command_class.__module__.rsplit(".", 1)[-1]
    handle = command_class.handle

    @functools.wraps(handle)
    def tracked_handle(self, *args, **options):
        run = PeriodicRun(name=name, started=timezone.now())
        run_started.send(sender=name, run=run)
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
    run.finished = timezone.now()
    run.ok = ok
    run.error = error
    run.duration = round(time.monotonic() - clock, 3)
    run_finished.send(sender=run.name, run=run)
