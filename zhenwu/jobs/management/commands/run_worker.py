import os
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from zhenwu.jobs.services import requeue_stale_jobs, run_follow_up_tasks, run_pending_jobs


class Command(BaseCommand):
    help = "Run background jobs (imports, exports, documents) and the periodic follow-up tasks until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is pending, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")
        parser.add_argument("--stale-after", type=float, default=None,
                            help="seconds without a heartbeat after which a running job is requeued "
                                 "(default ZHENWU_JOB_STALE_SECONDS)")

    def handle(self, *args, once=False, interval=1.0, parent_pid=None, stale_after=None, **options):
        stale_after = settings.ZHENWU_JOB_STALE_SECONDS if stale_after is None else stale_after
        requeue_stale_jobs(older_than_seconds=stale_after)
        if once:
            ran = run_pending_jobs()
            done = _drain_follow_ups()
            self.stdout.write(f"ran {ran} job(s), {done} follow-up item(s)")
            return
        self.stdout.write("worker started")
        # A worker killed mid-job (a crash, SIGKILL, a lost machine) leaves its job running; the
        # workers still alive put it back in the queue once its heartbeat is stale_after old.
        next_requeue = time.monotonic() + stale_after / 2
        while parent_pid is None or _alive(parent_pid):
            if time.monotonic() >= next_requeue:
                requeue_stale_jobs(older_than_seconds=stale_after)
                next_requeue = time.monotonic() + stale_after / 2
            ran = run_pending_jobs()
            done = run_follow_up_tasks()
            if not ran and not done:
                time.sleep(interval)
        self.stdout.write("parent process gone; worker stopped")


def _drain_follow_ups():
    done = 0
    while True:
        step = run_follow_up_tasks()
        if not step:
            return done
        done += step


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return os.getppid() == pid
