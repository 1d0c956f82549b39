"""Queueing, claiming and running background jobs.

A job is a row; a worker (`manage.py run_worker`, started by `make run` beside the web server)
claims pending rows one at a time and runs the handler registered for the job's kind. Claiming
uses SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL so several workers on several machines
share the queue; on SQLite the IMMEDIATE write lock makes the claim exclusive.
"""

import json
import logging
import os
import tempfile
import time
import traceback

from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.db.models.sql.subqueries import UpdateQuery
from django.utils import timezone

from zhenwu.core.errors import DomainError
from zhenwu.lib.crypto import fernet

from .models import Job, JobStatus

log = logging.getLogger(__name__)

_HANDLERS = {}


def job_handler(kind):
    """Register `func(job, report)` as the handler of `kind`; `report(progress, total, message)`."""

    def decorator(func):
        _HANDLERS[kind] = func
        return func

    return decorator


_FOLLOW_UPS = {}


def follow_up_task(name):
    """Register `func()` to run on every pass of the worker (`run_worker`) — for follow-up work
    the web requests leave as marked rows, done in batches. (Not to be confused with the cron-run
    management commands that zhenwu.core.periodic announces: these run continuously inside the worker.) It returns how many items it did
    (0 lets the worker sleep) and must be safe to run on several workers at once."""

    def decorator(func):
        _FOLLOW_UPS[name] = func
        return func

    return decorator


def run_follow_up_tasks():
    """One pass of every registered periodic task; returns the number of items done. A failing
    task is logged and does not stop the others (its rows stay marked for the next pass)."""
    done = 0
    for name, func in list(_FOLLOW_UPS.items()):
        try:
            done += func() or 0
        except Exception:
            log.error("follow-up task %s failed:\n%s", name, traceback.format_exc())
    return done


class JobError(DomainError):
    """A handler's failure with a message for the user (Chinese)."""


def enqueue_job(*, kind, created_by=None, payload=None, input_file=None):
    job = Job(kind=kind, created_by=created_by, payload=payload or {}, message="排队中，请稍候")
    if input_file is not None:
        _save_encrypted(job.input_file, getattr(input_file, "name", "upload"), input_file)
    job.save()
    return job


# Job files hold personal data (uploaded rosters, full exports): they are stored encrypted with
# the field keys, whatever the storage (local disk or S3), and decrypted only when read.


def _save_encrypted(field_file, name, fileobj):
    fileobj.seek(0)
    token = fernet().encrypt(fileobj.read())
    field_file.save(f"{os.path.basename(name)}.enc", ContentFile(token), save=False)


def _open_decrypted(field_file):
    with field_file.open("rb") as stored:
        token = stored.read()
    out = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    out.write(fernet().decrypt(token))
    out.seek(0)
    return out


def open_job_input(job):
    """The job's uploaded file, decrypted, as a seekable binary file (close it after use)."""
    return _open_decrypted(job.input_file)


def save_job_output(job, *, name, fileobj):
    """Store a generated file for the job (encrypted); the caller saves the job or returns from
    its handler (run_job records output_file)."""
    _save_encrypted(job.output_file, name, fileobj)


def open_job_output(job):
    return _open_decrypted(job.output_file)


def save_job_stage(job, *, name, fileobj):
    """Store intermediate data for a later job (encrypted); saved with the job like the output."""
    _save_encrypted(job.stage_file, name, fileobj)


def open_job_stage(job):
    return _open_decrypted(job.stage_file)


def purge_job_files(*, older_than_days=7, now=None):
    """Delete the files of jobs finished more than `older_than_days` ago (uploaded rosters are not
    kept once imported). Returns the number of files deleted."""
    cutoff = (now or timezone.now()) - timezone.timedelta(days=older_than_days)
    deleted = 0
    jobs = Job.objects.filter(status__in=[JobStatus.DONE, JobStatus.FAILED], finished_at__lt=cutoff)
    # The rows are read first: writing while a cursor is open on SQLite fails once a web request
    # has committed meanwhile (see _ProgressWriter).
    for job in list(jobs.exclude(input_file="", output_file="", stage_file="").only(
            "pk", "input_file", "output_file", "stage_file")):
        fields = []
        for name in ("input_file", "output_file", "stage_file"):
            field_file = getattr(job, name)
            if field_file:
                field_file.delete(save=False)
                setattr(job, name, "")
                fields.append(name)
                deleted += 1
        if fields:
            job.save(update_fields=fields)
    return deleted


def _claim_next():
    with transaction.atomic():
        qs = Job.objects.filter(status=JobStatus.PENDING).order_by("id")
        if connection.vendor == "postgresql":
            qs = qs.select_for_update(skip_locked=True)
        job = qs.first()
        if job is None:
            return None
        now = timezone.now()
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, message="开始处理"
        )
        job.refresh_from_db()
        return job


class _ProgressWriter:
    """Writes a running job's progress row.

    On a SQLite file a handler that reports progress while it reads (a ledger or the audit log
    streamed from an open cursor) holds a read snapshot; once a web request commits meanwhile, the
    same connection can no longer write (SQLite refuses to upgrade a stale snapshot: "database is
    locked", at once, whatever the busy timeout), and the export failed halfway. Progress is
    therefore written through a connection of its own there, which never holds the handler's
    snapshot. On PostgreSQL, and on an in-memory test database (one connection shared by design),
    the job's own connection writes it. A progress row its own connection cannot write is logged
    and skipped: the job goes on, the next report tries again."""

    def __init__(self):
        self.own = None
        if connection.vendor == "sqlite" and not connection.is_in_memory_db() and not connection.in_atomic_block:
            self.own = connections.create_connection(DEFAULT_DB_ALIAS)

    def write(self, pk, **values):
        if self.own is None:  # the job's own connection: an error there is the handler's to see
            Job.objects.filter(pk=pk).update(**values)
            return
        try:
            query = Job.objects.filter(pk=pk).query.chain(UpdateQuery)
            query.add_update_values(values)
            statement, params = query.get_compiler(connection=self.own).as_sql()
            with self.own.cursor() as cursor:
                cursor.execute(statement, params)
        except DatabaseError:
            log.warning("job %s: progress not written:\n%s", pk, traceback.format_exc())

    def close(self):
        if self.own is not None:
            self.own.close()


def run_job(job):
    """Run one claimed job to its end, recording progress, result or failure."""
    handler = _HANDLERS.get(job.kind)
    last_write = [0.0]
    writer = _ProgressWriter()

    def report(progress, total=None, message=None):
        job.progress = progress
        if total is not None:
            job.total = total
        if message is not None:
            job.message = message[:300]
        now = time.monotonic()
        if now - last_write[0] >= 0.5 or (total and progress >= total):
            last_write[0] = now
            writer.write(job.pk, progress=job.progress, total=job.total, message=job.message,
                         heartbeat_at=timezone.now())

    # The outcome is recorded after the except blocks: a traceback kept alive there would keep the
    # handler's frames, and with them an open cursor (and on SQLite its read snapshot).
    status, message, result = JobStatus.DONE, None, None
    try:
        if handler is None:
            raise JobError(f"未知的任务类型：{job.kind}")
        result = handler(job, report) or {}
    except JobError as exc:
        status, message = JobStatus.FAILED, str(exc)
    except Exception:  # a bug: keep the trace for the operator, tell the user plainly
        log.error("job %s failed:\n%s", job.pk, traceback.format_exc())
        status, message = JobStatus.FAILED, "处理过程中出现系统错误，请联系管理员"
    finally:
        writer.close()
    if status == JobStatus.DONE:
        _finish(job, status, result=result, message=result.get("message", "已完成"))
    else:
        _finish(job, status, message=message)
    job.refresh_from_db()
    return job


# A result is what a job page renders and a database row holds: summaries, counts and the first
# errors, never a file's content. A handler that returns more is stopped here (a bug to fix, or
# user content that escaped its cap), so a row, its page and its write-ahead log stay small.
MAX_RESULT_BYTES = 2 * 1024 * 1024


def _bounded_result(job, result):
    size = len(json.dumps(result, ensure_ascii=False, default=str).encode())
    if size <= MAX_RESULT_BYTES:
        return result, None
    log.error("job %s (%s) returned a result of %d bytes; not stored", job.pk, job.kind, size)
    return {}, "任务结果过大，未能保存；请联系管理员"


def _finish(job, status, *, message, result=None):
    if result is not None:
        result, refused = _bounded_result(job, result)
        if refused:
            status, message = JobStatus.FAILED, refused
    fields = {"status": status, "message": message[:300], "finished_at": timezone.now()}
    if result is not None:
        fields["result"] = result
    if job.output_file:
        fields["output_file"] = job.output_file.name
    if job.stage_file:
        fields["stage_file"] = job.stage_file.name
    # Only the claim that is still current records the outcome: a job whose worker went silent was
    # requeued (requeue_stale_jobs) and perhaps claimed again; the silent run, should it come back,
    # must not finish it a second time.
    finished = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, started_at=job.started_at).update(**fields)
    if not finished:
        log.warning("job %s was requeued while this worker ran it; this run's outcome is not recorded", job.pk)


def run_pending_jobs(*, limit=None):
    """Claim and run pending jobs until none is left (or `limit` ran). Returns how many ran."""
    ran = 0
    while limit is None or ran < limit:
        job = _claim_next()
        if job is None:
            break
        run_job(job)
        ran += 1
    return ran


def requeue_stale_jobs(*, older_than_seconds=300):
    """Jobs whose worker died (no heartbeat for a while) go back to the queue. Every worker calls
    this on start and then periodically (run_worker), so a job claimed by a worker that was killed
    is run by another one; `older_than_seconds` must exceed the longest stretch in which a running
    handler reports no progress (ZHENWU_JOB_STALE_SECONDS)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).update(
        status=JobStatus.PENDING, message="处理进程中断，已重新排队"
    )
