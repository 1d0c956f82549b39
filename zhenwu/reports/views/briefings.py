"""Monthly briefings: the list with the generation form, a briefing (edit the text, the highlights
and the recipients, publish, files, versions), a published version, the access-checked file
download, and the town's briefing settings."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenwu.jobs.models import Job
from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.params import int_or_none
from zhenwu.org.models import town_of

from .. import briefing_access as access
from .. import briefing_services as services
from .. import forms
from ..drilldown import briefing_check_list
from ..models import BriefingExport, ExportFormat


def _months():
    today = timezone.localdate()
    return list(range(2015, today.year + 1))[::-1], list(range(1, 13))


@login_required
@require_GET
def briefing_list(request):
    user = request.user
    briefings = (access.visible_briefings(user).select_related("area").order_by("-month", "area__path"))
    if not access.can_edit(user) and not briefings.exists() and access._area_q(user) is None:
        raise Http404
    years, months = _months()
    today = timezone.localdate()
    last = (today.replace(day=1) - timezone.timedelta(days=1))
    return render(request, "reports/briefing_list.html", {
        "briefings": briefings[:100],
        "can_edit": access.can_edit(user),
        "can_configure": access.can_configure(user),
        "areas": access.generation_areas(user),
        "years": years, "months": months,
        "default_year": last.year, "default_month": last.month,
    })


@login_required
@require_POST
def briefing_generate(request):
    """Queue generation for an area and month (new briefing or regenerated draft)."""
    user = request.user
    if not access.can_edit(user):
        raise access.PermissionDenied("只有镇管理员和镇领导可以生成简报")
    areas = access.generation_areas(user)
    area = areas.filter(pk=int_or_none(request.POST.get("area"))).first()
    try:
        briefing, job = services.start_briefing(area=area, year=request.POST.get("year"),
                                                month=request.POST.get("month"), by=user)
    except services.BriefingError as exc:
        messages.error(request, exc.message)
        return redirect("reports:briefing_list")
    messages.success(request, "已开始生成简报，完成后可下载Word和PDF文件")
    return redirect(f"{briefing_url(briefing)}?job={job.pk}")


def _rerender_draft(request, briefing, message):
    """After an edit of the draft: queue its Word and PDF again and show the job on its page."""
    job = services.queue_draft_files(briefing, by=request.user)
    messages.success(request, message)
    return redirect(f"{briefing_url(briefing)}?job={job.pk}")


def briefing_url(briefing):
    from django.urls import reverse

    return reverse("reports:briefing_detail", args=[briefing.pk])


def _detail(request, briefing, *, highlight_formset=None, issue_form=None, status=200):
    user = request.user
    editor = access.can_edit(user)
    versions = list(briefing.versions.select_related("published_by").order_by("-version"))
    exports = BriefingExport.objects.filter(briefing=briefing).select_related("version")
    if not editor:
        exports = exports.exclude(version=None)
    latest = {}
    for export in exports.order_by("-created_at", "-id"):
        latest.setdefault((export.version_id, export.format), export)
    for v in versions:
        v.files = [latest[k] for k in ((v.pk, ExportFormat.DOCX), (v.pk, ExportFormat.PDF)) if k in latest]
    job = None
    job_id = int_or_none(request.GET.get("job"))
    if job_id:
        job = Job.objects.filter(pk=job_id, created_by=user).first()
    context = {
        "briefing": briefing,
        "editor": editor,
        "versions": versions,
        "draft_files": [latest[k] for k in ((None, ExportFormat.DOCX), (None, ExportFormat.PDF)) if k in latest],
        "job": job,
        "shown_text": briefing.text if editor else (versions[0].text if versions else ""),
        "shown_highlights": briefing.highlights if editor else (versions[0].highlights if versions else []),
    }
    if editor:
        context.update(
            highlight_formset=highlight_formset or forms.highlight_formset(briefing),
            highlights_basis=services.highlights_basis(briefing.highlights),
            issue_form=issue_form or forms.IssueForm(initial={"report_to": briefing.report_to,
                                                              "copy_to": briefing.copy_to,
                                                              "copies": briefing.copies}),
            settings=services.default_settings(briefing.area),
            can_configure=access.can_configure(user),
            figures=briefing_check_list(user, briefing),
        )
    return render(request, "reports/briefing_detail.html", context, status=status)


@login_required
@require_GET
def briefing_detail(request, pk):
    return _detail(request, access.get_briefing_for_user(request.user, pk))


@login_required
@require_POST
def briefing_highlights(request, pk):
    """Save the highlights as edited (reordered, removed, added), then re-render the draft's files."""
    user = request.user
    briefing = access.get_briefing_for_user(user, pk, for_change=True)
    formset = forms.highlight_formset(briefing, request.POST)
    if formset.is_valid():
        try:
            services.edit_highlights(briefing, highlights=forms.highlight_rows(formset), by=user,
                                     basis=request.POST.get("basis", ""))
        except services.BriefingError as exc:
            formset.non_form_errors().append(exc.message)
        else:
            return _rerender_draft(request, briefing, "已保存本月要闻（草稿），正在重新生成文件")
    return _detail(request, briefing, highlight_formset=formset, status=400)


@login_required
@require_POST
def briefing_issue(request, pk):
    """Save the issue's recipients and print run, then re-render the draft's files."""
    user = request.user
    briefing = access.get_briefing_for_user(user, pk, for_change=True)
    form = forms.IssueForm(request.POST)
    if form.is_valid():
        try:
            services.edit_issue(briefing, by=user, **form.cleaned_data)
        except services.BriefingError as exc:
            attach_errors(form, exc)
        else:
            return _rerender_draft(request, briefing, "已保存报送、抄送（草稿），正在重新生成文件")
    return _detail(request, briefing, issue_form=form, status=400)


@login_required
@require_POST
def briefing_edit(request, pk):
    user = request.user
    briefing = access.get_briefing_for_user(user, pk, for_change=True)
    try:
        services.edit_briefing(briefing, title=request.POST.get("title"), text=request.POST.get("text"), by=user)
    except services.BriefingError as exc:
        messages.error(request, exc.message)
        return redirect(briefing_url(briefing))
    return _rerender_draft(request, briefing, "已保存修改（草稿），正在重新生成文件")


@login_required
@require_POST
def briefing_regenerate(request, pk):
    user = request.user
    briefing = access.get_briefing_for_user(user, pk, for_change=True)
    _, job = services.start_briefing(area=briefing.area, year=briefing.month.year, month=briefing.month.month,
                                     by=user)
    messages.success(request, "正在根据业务记录重新生成草稿；已发布的版本不受影响")
    return redirect(f"{briefing_url(briefing)}?job={job.pk}")


@login_required
@require_POST
def briefing_publish(request, pk):
    user = request.user
    briefing = access.get_briefing_for_user(user, pk, for_change=True)
    try:
        version = services.publish_briefing(briefing, by=user)
    except services.BriefingError as exc:
        messages.error(request, exc.message)
        return redirect(briefing_url(briefing))
    job = services.queue_version_files(version, by=user)
    messages.success(request, f"已发布第{version.version}版，正在生成该版本的Word和PDF文件")
    return redirect(f"{briefing_url(briefing)}?job={job.pk}")


@login_required
@require_http_methods(["GET", "POST"])
def briefing_settings(request):
    """The town's briefing settings (masthead, issuing unit, default recipients, print run)."""
    user = request.user
    if not access.can_configure(user):
        raise access.PermissionDenied("只有镇管理员可以修改简报设置")
    town = town_of(user)
    current = services.default_settings(town)
    form = forms.BriefingSettingsForm(request.POST or None, initial={
        "masthead": current.masthead, "issuing_unit": current.issuing_unit, "report_to": current.report_to,
        "copy_to": current.copy_to, "copies": current.copies})
    if request.method == "POST" and form.is_valid():
        try:
            services.save_briefing_settings(town, by=user, **form.cleaned_data)
        except services.BriefingError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存简报设置，新生成的简报将使用新的报送、抄送")
            return redirect("reports:briefing_settings")
    return render(request, "reports/briefing_settings.html", {"form": form, "town": town},
                  status=400 if form.is_bound else 200)


@login_required
@require_GET
def briefing_version(request, pk, number):
    version = access.get_version_for_user(request.user, pk, number)
    return render(request, "reports/briefing_version.html", {"version": version, "briefing": version.briefing})


@login_required
@require_GET
def briefing_download(request, pk):
    export = access.get_export_for_user(request.user, pk)
    try:
        handle = export.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("文件已被清理") from None
    content_type = ("application/pdf" if export.format == ExportFormat.PDF else
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    response = FileResponse(handle, as_attachment=True, filename=export.filename, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
