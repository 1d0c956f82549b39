"""花名册导入导出 pages: upload, the validation/commit job page, export and templates.

The work happens in zhenwu.org.roster (background jobs for import); these views check who is
asking, validate the upload and hand over. An upload is size-checked before anything reads it:
a request larger than the limit is drained and answered with a friendly page, never parsed.
"""

import tempfile

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenwu.core.roles import Role
from zhenwu.jobs.models import JobStatus
from zhenwu.lib import uploads

from ..roster.errors import RosterError, RosterFileError
from ..roster.export import export_roster, sample_rows, write_template
from ..roster.jobs import (
    COMMIT_JOB,
    VALIDATE_JOB,
    roster_job_for,
    roster_jobs_for,
    start_roster_commit,
    start_roster_import,
)
from ..roster.layouts import KIND_LABELS, KINDS, RESIDENTS
from ..roster.scan import ERROR_CAP, sniff_xlsx
from ..roster.scope import can_import, roster_choices

# Multipart overhead (boundaries, the other fields) allowed on top of the file itself.
_UPLOAD_SLACK = 256 * 1024


def _max_bytes():
    return uploads.max_upload_bytes()


def _too_large_message(size=None):
    limit_mb = _max_bytes() / (1024 * 1024)
    if size:
        return f"文件过大（约{size / (1024 * 1024):.1f} MB），最大允许{limit_mb:.0f} MB；请删除无关的工作表、图片和空行，或把花名册拆分成几个文件"
    return f"文件过大，最大允许{limit_mb:.0f} MB；请删除无关的工作表、图片和空行，或把花名册拆分成几个文件"


class _UploadLimit(FileUploadHandler):
    """Skips (does not store) a file once it passes the limit; the form then reports it."""

    def __init__(self, request, limit):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.roster_upload_too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def _drain(request):
    """Read and discard the body so the client gets our answer instead of a reset connection."""
    while request.read(64 * 1024):
        pass


def _require_roster_user(user):
    if not can_import(user):
        raise PermissionDenied("只有镇管理员和村(社区)支部书记可以导入导出花名册")


class RosterUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="花名册类型", choices=list(KIND_LABELS.items()), widget=forms.RadioSelect,
        error_messages={"required": "请选择花名册类型", "invalid_choice": "请选择花名册类型"},
    )
    file = forms.FileField(
        label="Excel 文件（.xlsx）",
        error_messages={"required": "请选择要上传的 .xlsx 文件", "empty": "文件是空的", "invalid": "请选择文件"},
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > _max_bytes():
            raise forms.ValidationError(_too_large_message(upload.size))
        name = (upload.name or "").lower()
        if name.endswith(".xls"):
            raise forms.ValidationError("不支持旧版 .xls 文件，请在 Excel/WPS 中“另存为” .xlsx 后再上传")
        if name.endswith((".csv", ".et", ".wps", ".numbers", ".ods")):
            raise forms.ValidationError("请上传 Excel(.xlsx) 文件；可在 Excel/WPS 中“另存为” .xlsx")
        try:
            sniff_xlsx(upload)
        except RosterFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        return upload


def _import_page(request, form, *, error="", status=200):
    user = request.user
    context = {
        "form": form,
        "upload_error": error,
        "jobs": roster_jobs_for(user),
        "kinds": list(KIND_LABELS.items()),
        "max_mb": int(_max_bytes() / (1024 * 1024)),
        "can_full_export": user.role == Role.TOWN_ADMIN,
    }
    return render(request, "org/roster_import.html", context, status=status)


@csrf_exempt  # checked below, after the upload limit is in place (CSRF reads the body)
@login_required
def roster_import(request):
    """GET: the upload form and the user's recent imports. POST: queue the validation job."""
    _require_roster_user(request.user)
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > _max_bytes() + _UPLOAD_SLACK:
            _drain(request)
            return _import_page(request, RosterUploadForm(), error=_too_large_message(length), status=413)
        request.upload_handlers.insert(0, _UploadLimit(request, _max_bytes()))
    return _roster_import(request)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _roster_import(request):
    if request.method != "POST":
        return _import_page(request, RosterUploadForm(initial={"kind": RESIDENTS}))
    data, files = request.POST, request.FILES  # parses the body, through _UploadLimit
    if getattr(request, "roster_upload_too_large", False):
        form = RosterUploadForm(initial={"kind": data.get("kind") or RESIDENTS})
        return _import_page(request, form, error=_too_large_message(), status=413)
    form = RosterUploadForm(data, files)
    if form.is_valid():
        try:
            job = start_roster_import(
                kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"], by=request.user
            )
        except (RosterFileError, RosterError) as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("org:roster_job", pk=job.pk)
    return _import_page(request, form)


@login_required
@require_GET
def roster_job(request, pk):
    """The job page: progress while it runs (polled by htmx), then the preview or the outcome."""
    _require_roster_user(request.user)
    job = roster_job_for(request.user, pk)
    if job is None:
        raise Http404
    result = job.result or {}
    commit_job = None
    if job.kind == VALIDATE_JOB and result.get("commit_job_id"):
        commit_job = roster_job_for(request.user, result["commit_job_id"])
    can_commit = (
        job.kind == VALIDATE_JOB
        and job.status == JobStatus.DONE
        and not result.get("error_count")
        and job.created_by_id == request.user.pk
        and (commit_job is None or commit_job.status == JobStatus.FAILED)
    )
    context = {
        "job": job,
        "result": result,
        "kind_label": KIND_LABELS.get(job.payload.get("kind"), "花名册"),
        "is_commit": job.kind == COMMIT_JOB,
        "commit_job": commit_job,
        "can_commit": can_commit,
        "error_cap": ERROR_CAP,
    }
    return render(request, "org/roster_job.html", context)


@login_required
@require_POST
def roster_commit(request, pk):
    _require_roster_user(request.user)
    job = roster_job_for(request.user, pk)
    if job is None:
        raise Http404
    try:
        commit = start_roster_commit(job, by=request.user)
    except RosterError as exc:
        messages.error(request, str(exc))
        return redirect("org:roster_job", pk=job.pk)
    return redirect("org:roster_job", pk=commit.pk)


def _xlsx_response(tmp, filename):
    tmp.seek(0)
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_http_methods(["GET", "POST"])
def roster_export(request, kind):
    """GET: masked export. POST with a reason: full numbers (town admins only, audited)."""
    _require_roster_user(request.user)
    if kind not in KINDS:
        raise Http404
    full = request.method == "POST"
    if full:
        if request.user.role != Role.TOWN_ADMIN:
            raise PermissionDenied("只有镇管理员可以导出完整号码")
        reason = (request.POST.get("reason") or "").strip()
        if not reason:
            messages.error(request, "导出完整号码须填写用途")
            return redirect("org:roster_import")
    else:
        reason = ""
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        export_roster(kind=kind, user=request.user, out=tmp, full=full, reason=reason)
    except RosterError as exc:
        tmp.close()
        messages.error(request, str(exc))
        return redirect("org:roster_import")
    suffix = "（完整）" if full else ""
    return _xlsx_response(tmp, f"{KIND_LABELS[kind]}{suffix}-{timezone.localdate():%Y%m%d}.xlsx")


@login_required
@require_GET
def roster_sample(request, kind):
    """A blank template with example rows and the names this user may use."""
    _require_roster_user(request.user)
    if kind not in KINDS:
        raise Http404
    choices = roster_choices(kind, request.user)
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    write_template(kind, tmp, rows=sample_rows(kind, choices=choices), choices=choices)
    return _xlsx_response(tmp, f"{KIND_LABELS[kind]}模板.xlsx")
