import os
import time

from django.core.management.base import BaseCommand

from zhenwu.jobs.services import requeue_stale_jobs, run_follow_up_tasks, run_pending_jobs


class Command(BaseCommand):
    help = "Run background jobs (imports, exports, documents) and the periodic follow-up tasks until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is pending, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument("--parent-pid", type=int, default=None, help="exit when this process is gone")

    def handle(self, *args, once=False, interval=1.0, parent_pid=None, **options):
        requeue_stale_jobs()
        if once:
            ran = run_pending_jobs()
            done = _drain_follow_ups()
            self.stdout.write(f"ran {ran} job(s), {done} follow-up item(s)")
            return
        self.stdout.write("worker started")
        while parent_pid is None or _alive(parent_pid):
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
