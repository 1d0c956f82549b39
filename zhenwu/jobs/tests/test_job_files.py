import datetime
import io

import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import (
    enqueue_job,
    open_job_input,
    open_job_output,
    open_job_stage,
    purge_job_files,
    save_job_output,
    save_job_stage,
)

ROSTER_BYTES = b"PK\x03\x04 430181199001011234 13800138000 " * 100


def test_an_uploaded_file_is_stored_encrypted_and_read_back_intact(db):
    job = enqueue_job(kind="test", input_file=ContentFile(ROSTER_BYTES, name="roster.xlsx"))
    with job.input_file.open("rb") as stored:
        raw = stored.read()
    assert b"430181199001011234" not in raw and not raw.startswith(b"PK")
    with open_job_input(job) as plain:
        assert plain.read() == ROSTER_BYTES


def test_an_output_file_is_stored_encrypted_too(db):
    job = enqueue_job(kind="test")
    save_job_output(job, name="export.xlsx", fileobj=io.BytesIO(b"13800138000"))
    job.save()
    with job.output_file.open("rb") as stored:
        assert b"13800138000" not in stored.read()
    with open_job_output(job) as plain:
        assert plain.read() == b"13800138000"


def test_files_of_jobs_finished_a_week_ago_are_purged_and_newer_ones_kept(db):
    old = enqueue_job(kind="test", input_file=ContentFile(b"old", name="a.xlsx"))
    new = enqueue_job(kind="test", input_file=ContentFile(b"new", name="b.xlsx"))
    now = timezone.now()
    Job.objects.filter(pk=old.pk).update(status=JobStatus.DONE, finished_at=now - datetime.timedelta(days=8))
    Job.objects.filter(pk=new.pk).update(status=JobStatus.DONE, finished_at=now - datetime.timedelta(days=1))
    storage = old.input_file.storage
    old_name = old.input_file.name
    with time_machine.travel(now, tick=False):
        assert purge_job_files(older_than_days=7) == 1
    old.refresh_from_db()
    new.refresh_from_db()
    assert not old.input_file and not storage.exists(old_name)
    assert new.input_file and storage.exists(new.input_file.name)


def test_a_stage_left_for_the_next_job_is_purged_with_the_other_files(db):
    job = enqueue_job(kind="test", input_file=ContentFile(b"in", name="a.xlsx"))
    save_job_stage(job, name="stage.jsonl.z", fileobj=io.BytesIO(b"rows"))
    job.save()
    with open_job_stage(job) as staged:
        assert staged.read() == b"rows"
    storage, name = job.stage_file.storage, job.stage_file.name
    Job.objects.filter(pk=job.pk).update(status=JobStatus.DONE, finished_at=timezone.now() - datetime.timedelta(days=8))
    assert purge_job_files(older_than_days=7) == 2
    job.refresh_from_db()
    assert not job.stage_file and not storage.exists(name)
