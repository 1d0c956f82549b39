"""边界导入 pages (town admins): upload a GeoJSON or zipped Shapefile, then follow its job.

The work happens in zhenwu.org.boundaries (a background job, all-or-nothing). The upload is bounded
as the roster's is: a request past the limit is drained and answered with the page, never parsed.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from zhenwu.lib import uploads

from ..boundaries import (
    MAX_ERRORS,
    BoundaryFileError,
    boundary_job_for,
    boundary_jobs_for,
    can_import_boundaries,
    check_size,
    start_boundary_import,
)
from ..models import AreaBoundary, AreaLevel, town_of
from .roster import _UPLOAD_SLACK, _drain, _UploadLimit

ACCEPT = ".geojson,.json,.zip,application/geo+json,application/json,application/zip"


def _limit_mb():
    return int(uploads.max_upload_bytes() / uploads.MB)


def _too_large(size=None):
    if size:
        return f"文件过大（约{size / uploads.MB:.1f} MB），最大允许{_limit_mb()} MB；可按村分成几个文件导入"
    return f"文件过大，最大允许{_limit_mb()} MB；可按村分成几个文件导入"


def _require_admin(user):
    if not can_import_boundaries(user):
        raise PermissionDenied("只有镇管理员可以导入边界")


class BoundaryUploadForm(forms.Form):
    file = forms.FileField(
        label="边界文件（GeoJSON，或打包成 .zip 的 Shapefile）",
        error_messages={"required": "请选择要上传的边界文件", "empty": "文件是空的", "invalid": "请选择文件"},
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            check_size(upload)
        except BoundaryFileError as exc:
            raise forms.ValidationError(str(exc)) from None
        name = (upload.name or "").lower()
        if name.endswith((".shp", ".dbf", ".shx", ".prj")):
            raise forms.ValidationError("Shapefile 须把 .shp、.shx、.dbf、.prj 四个文件一起打包成 .zip 后上传")
        if name.endswith((".kml", ".kmz", ".dwg", ".dxf", ".xlsx", ".csv")):
            raise forms.ValidationError("请上传 GeoJSON（.geojson）或打包成 .zip 的 Shapefile；可在 GIS 软件中导出")
        return upload


def _page(request, form, *, error="", status=200):
    town = town_of(request.user)
    outlines = AreaBoundary.objects.filter(area__path__startswith=town.path).exclude(area__level=AreaLevel.TOWN)
    context = {
        "form": form,
        "upload_error": error,
        "jobs": boundary_jobs_for(request.user),
        "max_mb": _limit_mb(),
        "town": town,
        "outline_count": outlines.count(),
        "illustrative_count": outlines.filter(illustrative=True).count(),
    }
    return render(request, "org/boundary_import.html", context, status=status)


@csrf_exempt  # checked below, after the upload limit is in place (CSRF reads the body)
@login_required
def boundary_import(request):
    """GET: the upload form and the user's recent imports. POST: queue the import job."""
    _require_admin(request.user)
    if request.method == "POST":
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > uploads.max_upload_bytes() + _UPLOAD_SLACK:
            _drain(request)
            return _page(request, BoundaryUploadForm(), error=_too_large(length), status=413)
        request.upload_handlers.insert(0, _UploadLimit(request, uploads.max_upload_bytes()))
    return _boundary_import(request)


@csrf_protect
@require_http_methods(["GET", "POST"])
def _boundary_import(request):
    if request.method != "POST":
        return _page(request, BoundaryUploadForm())
    data, files = request.POST, request.FILES  # parses the body, through _UploadLimit
    if getattr(request, "roster_upload_too_large", False):
        return _page(request, BoundaryUploadForm(), error=_too_large(), status=413)
    form = BoundaryUploadForm(data, files)
    if form.is_valid():
        try:
            job = start_boundary_import(upload=form.cleaned_data["file"], by=request.user)
        except BoundaryFileError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("org:boundary_job", pk=job.pk)
    return _page(request, form)


@login_required
@require_GET
def boundary_job(request, pk):
    """The job page: progress while it runs (polled by htmx), then the errors or what was imported."""
    _require_admin(request.user)
    job = boundary_job_for(request.user, pk)
    if job is None:
        raise Http404
    return render(request, "org/boundary_job.html", {"job": job, "result": job.result or {}, "max_errors": MAX_ERRORS})
