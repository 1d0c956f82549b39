"""Background job pages shared by every app: a status fragment the starting page polls with htmx,
and the download of a job's output file. Only the job's creator or a town admin may see either."""

import os

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from zhenwu.core.roles import Role

from .models import Job
from .services import open_job_output


def get_job_for_user(user, pk):
    """The job, if `user` started it or is a town admin; 404 if it does not exist, else 403."""
    job = get_object_or_404(Job, pk=pk)
    if job.created_by_id != user.pk and user.role != Role.TOWN_ADMIN:
        raise PermissionDenied("只有任务发起人和镇管理员可以查看该任务")
    return job


@login_required
@require_GET
def job_status(request, pk):
    """The progress fragment. Polled every second while the job runs; once it has finished, an
    htmx request gets HX-Refresh so the page that polls shows the outcome."""
    job = get_job_for_user(request.user, pk)
    response = render(request, "jobs/_job_status.html" if request.htmx else "jobs/job_status.html", {"job": job})
    if request.htmx and job.is_finished:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_GET
def job_download(request, pk):
    job = get_job_for_user(request.user, pk)
    if not job.output_file:
        raise Http404("该任务没有生成文件")
    try:
        handle = open_job_output(job)
    except FileNotFoundError:
        raise Http404("文件已被清理") from None
    name = (job.result or {}).get("output_name") or os.path.basename(job.output_file.name).removesuffix(".enc")
    return FileResponse(handle, as_attachment=True, filename=name)
