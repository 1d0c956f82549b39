"""A job whose worker went silent goes back to the queue, and only its current claim finishes it."""

import datetime

import pytest
from django.utils import timezone

from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import enqueue_job, job_handler, requeue_stale_jobs, run_pending_jobs

pytestmark = pytest.mark.django_db


def test_a_running_job_without_a_recent_heartbeat_is_requeued_and_a_fresh_one_is_not():
    stale = enqueue_job(kind="test.stale")
    fresh = enqueue_job(kind="test.stale")
    now = timezone.now()
    Job.objects.filter(pk=stale.pk).update(status=JobStatus.RUNNING, heartbeat_at=now - datetime.timedelta(seconds=11))
    Job.objects.filter(pk=fresh.pk).update(status=JobStatus.RUNNING, heartbeat_at=now - datetime.timedelta(seconds=5))

    assert requeue_stale_jobs(older_than_seconds=10) == 1

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert stale.status == JobStatus.PENDING and stale.message == "处理进程中断，已重新排队"
    assert fresh.status == JobStatus.RUNNING


def test_a_run_whose_job_was_requeued_meanwhile_does_not_finish_it_the_second_claim_does():
    runs = []

    @job_handler("test.requeued")
    def handler(job, report):
        runs.append(job.started_at)
        if len(runs) == 1:
            # Another worker decided this run was dead: the job went back to the queue.
            Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING)
            return {"message": "第一次"}
        return {"message": "第二次"}

    job = enqueue_job(kind="test.requeued")
    assert run_pending_jobs() == 2

    job.refresh_from_db()
    assert len(runs) == 2
    assert job.status == JobStatus.DONE and job.message == "第二次" and job.result == {"message": "第二次"}
