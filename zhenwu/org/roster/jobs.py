"""The import's two background jobs (`roster_validate`, `roster_commit`): starting them, running
them as the user who uploaded the file, and finding a user's roster jobs."""

import hashlib
import uuid

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from zhenwu.core.roles import Role
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import (
    JobError,
    enqueue_job,
    job_handler,
    open_job_input,
    open_job_stage,
    save_job_output,
    save_job_stage,
)
from zhenwu.lib.request_context import Actor, acting_as, current_actor

from .commit import RosterRejected, commit_roster
from .errors import RosterError, RosterFileError
from .layouts import KIND_LABELS, KINDS, RESIDENTS
from .scan import sniff_xlsx, validate_roster
from .scope import can_import
from .stage import Stage, scope_signature

VALIDATE_JOB = "roster_validate"
COMMIT_JOB = "roster_commit"
JOB_KINDS = (VALIDATE_JOB, COMMIT_JOB)


def file_sha256(fileobj):
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def start_roster_import(*, kind, upload, by):
    """Queue the validation of an uploaded roster; returns the job. Raises RosterFileError."""
    if kind not in KINDS:
        raise RosterError("请选择花名册类型")
    if not can_import(by):
        raise RosterError("您没有导入花名册的权限")
    sniff_xlsx(upload)
    actor = current_actor()
    payload = {
        "kind": kind,
        "filename": str(getattr(upload, "name", "") or "花名册.xlsx")[-120:],
        "size": getattr(upload, "size", 0),
        "sha256": file_sha256(upload),
        "ip": actor.ip if actor else "",
        "request_id": actor.request_id if actor else "",
    }
    return enqueue_job(
        kind=VALIDATE_JOB,
        created_by=by,
        payload=payload,
        input_file=File(upload, name=f"roster-{uuid.uuid4().hex}.xlsx"),
    )


@transaction.atomic
def start_roster_commit(job, *, by):
    """Queue the commit of a validated roster job; returns the commit job. Raises RosterError."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.kind != VALIDATE_JOB or job.created_by_id != by.pk:
        raise RosterError("只有上传该文件的人可以确认导入")
    if job.status != JobStatus.DONE:
        raise RosterError("文件还没有校验完成")
    if job.result.get("error_count"):
        raise RosterError("文件中还有错误，请修改后重新上传")
    previous = job.result.get("commit_job_id")
    if previous:
        earlier = Job.objects.filter(pk=previous).first()
        if earlier is not None and earlier.status != JobStatus.FAILED:
            raise RosterError("该文件已经提交导入，请勿重复提交")
    commit = Job.objects.create(
        kind=COMMIT_JOB,
        created_by=by,
        payload={**job.payload, "source_job_id": job.pk},
        message="排队中，请稍候",
        total=job.result.get("rows", 0),
    )
    job.result = {**job.result, "commit_job_id": commit.pk}
    job.save(update_fields=["result"])
    return commit


def _job_actor(job):
    user = job.created_by
    if user is None or not user.is_active:
        raise JobError("发起导入的账号已不存在或已停用")
    return user, Actor(
        user_id=user.pk,
        label=user.get_username(),
        ip=job.payload.get("ip", ""),
        request_id=job.payload.get("request_id", ""),
    )


def _previous_import(sha256):
    return (
        Job.objects.filter(kind=COMMIT_JOB, status=JobStatus.DONE, payload__sha256=sha256)
        .order_by("-id")
        .values_list("finished_at", flat=True)
        .first()
    )


@job_handler(VALIDATE_JOB)
def run_validate_job(job, report):
    user, _ = _job_actor(job)
    kind = job.payload.get("kind")
    if kind not in KINDS:
        raise JobError("未知的花名册类型")
    report(0, 0, "正在读取文件")
    try:
        with open_job_input(job) as fileobj:
            scan = validate_roster(kind=kind, fileobj=fileobj, user=user, progress=report, stage=True)
    except (RosterFileError, RosterError) as exc:
        raise JobError(str(exc)) from None
    result = scan.summary()
    staged = scan.staged()
    if staged is not None:
        with staged:
            save_job_stage(job, name=f"roster-stage-{job.pk}.jsonl.z", fileobj=staged)
        result["stage_scope"] = scope_signature(user)
    sha256 = job.payload.get("sha256", "")
    earlier = _previous_import(sha256) if sha256 else None
    if earlier:
        when = timezone.localtime(earlier).strftime("%Y-%m-%d %H:%M")
        result["warnings"].insert(0, {"row": None, "column": "", "reason": f"内容完全相同的文件已于{when}导入过"})
    error_file = scan.errors.save()
    if error_file is not None:
        with error_file:
            save_job_output(job, name=f"roster-errors-{job.pk}.xlsx", fileobj=error_file)
        result["output_name"] = f"{KIND_LABELS[kind]}错误清单.xlsx"
    if result["error_count"]:
        result["message"] = f"检查完成：{result['rows']}行中发现{result['error_count']}处错误"
    else:
        result["message"] = f"检查完成：{result['rows']}行全部正确，可以确认导入"
    return result


@job_handler(COMMIT_JOB)
def run_commit_job(job, report):
    user, actor = _job_actor(job)
    source = Job.objects.filter(pk=job.payload.get("source_job_id"), kind=VALIDATE_JOB).first()
    if source is None or not source.input_file:
        raise JobError("找不到要导入的文件，请重新上传")
    kind = source.payload["kind"]
    rows = source.result.get("rows", 0)
    report(0, rows, f"正在写入{rows}行数据，请稍候（完成前不会写入任何一行）")
    try:
        with acting_as(actor), open_job_input(source) as fileobj:
            sha256 = file_sha256(fileobj)
            if sha256 != source.payload.get("sha256"):
                raise JobError("上传的文件已发生变化，请重新上传")
            staged = None
            if source.stage_file and source.result.get("stage_scope") == scope_signature(user):
                staged = Stage.read(open_job_stage(source))
            result = commit_roster(
                kind=kind, fileobj=fileobj, user=user, filename=source.payload.get("filename", ""),
                sha256=sha256, job=job, staged=staged,
            )
    except RosterRejected as exc:
        summary = exc.scan.summary()
        Job.objects.filter(pk=job.pk).update(result=summary)
        raise JobError(f"导入前复核发现{exc.scan.errors.count}处错误（数据可能刚被他人修改），未导入任何数据，请重新上传校验") from None
    except (RosterFileError, RosterError) as exc:
        raise JobError(str(exc)) from None
    report(rows, rows)
    if kind == RESIDENTS:
        result["message"] = f"导入完成：新增{result['households_created']}户、{result['residents_created']}人"
    else:
        result["message"] = f"导入完成：新增党员{result['members_created']}名"
    result["source_job_id"] = source.pk
    return result


def roster_jobs_for(user, *, limit=10):
    """The user's recent roster jobs, newest first (to come back to a running import)."""
    return Job.objects.filter(created_by=user, kind__in=JOB_KINDS).order_by("-id")[:limit]


def roster_job_for(user, pk):
    """A roster job the user may look at (its creator, or a town admin), or None."""
    job = Job.objects.filter(pk=pk, kind__in=JOB_KINDS).select_related("created_by").first()
    if job is None:
        return None
    if job.created_by_id == user.pk or user.role == Role.TOWN_ADMIN:
        return job
    return None

