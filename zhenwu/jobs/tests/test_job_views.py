"""The job status fragment polled by htmx, and the download of a job's output file."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import enqueue_job, job_handler, run_pending_jobs, save_job_output


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def job(cast):
    return enqueue_job(kind="test_views", created_by=cast.users.secretary)


def status(client, job, **headers):
    return client.get(reverse("jobs:job_status", args=[job.pk]), headers=headers)


def test_progress_reported_by_a_running_handler_is_visible_to_the_poller(client, cast, login):
    login(cast.users.secretary)
    seen = []

    @job_handler("test_progress")
    def handler(job, report):
        report(30, 120, "已处理 30 行")
        seen.append(status(client, job, **{"HX-Request": "true"}).content.decode())
        report(120, 120, "已处理 120 行")
        return {"message": "全部完成"}

    job = enqueue_job(kind="test_progress", created_by=cast.users.secretary)
    run_pending_jobs()

    assert "30 / 120（25%）" in seen[0] and "已处理 30 行" in seen[0] and 'hx-trigger="every 1s"' in seen[0]
    job.refresh_from_db()
    assert (job.status, job.progress, job.total, job.message) == (JobStatus.DONE, 120, 120, "全部完成")
    response = status(client, job, **{"HX-Request": "true"})
    assert response["HX-Refresh"] == "true"
    assert "hx-trigger" not in response.content.decode()


def test_the_status_without_htmx_is_a_whole_page(client, cast, login, job):
    login(cast.users.secretary)
    response = status(client, job)
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page and "排队中" in page
    assert "HX-Refresh" not in response


@pytest.mark.parametrize("who", ["town_admin", "secretary"])
def test_the_creator_and_a_town_admin_may_follow_a_job(client, cast, login, job, who):
    login(getattr(cast.users, who))
    assert status(client, job).status_code == 200


@pytest.mark.parametrize("who", ["grid_worker", "member", "handler", "leader"])
def test_anyone_else_gets_403(client, cast, login, job, who):
    login(getattr(cast.users, who))
    assert status(client, job).status_code == 403
    assert client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 403


def test_an_unknown_job_is_404_and_an_anonymous_visitor_must_log_in(client, cast, login, job):
    assert client.get(reverse("jobs:job_status", args=[job.pk]))["Location"].startswith("/accounts/login/")
    login(cast.users.secretary)
    assert client.get(reverse("jobs:job_status", args=[job.pk + 100])).status_code == 404


def test_the_output_file_is_downloaded_by_its_creator_under_its_given_name(client, cast, login, job):
    save_job_output(job, name="out.xlsx", fileobj=ContentFile(b"PK\x03\x04data"))
    job.result = {"output_name": "错误清单.xlsx"}
    job.status = JobStatus.DONE
    job.save()
    login(cast.users.secretary)
    response = client.get(reverse("jobs:job_download", args=[job.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04data"
    assert "attachment" in response["Content-Disposition"] and "%E9%94%99%E8%AF%AF" in response["Content-Disposition"]


def test_a_job_without_output_has_nothing_to_download(client, cast, login, job):
    login(cast.users.secretary)
    assert client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404
    Job.objects.filter(pk=job.pk).update(output_file="jobs/output/gone.xlsx")
    assert client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404
