"""台账 pages: choose a ledger, a period and an area; the export runs as a background job whose
page shows its progress (the user may leave and come back); the file goes only to who asked."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from zhenwu.jobs.services import open_job_output

from ..filters import ReportFilterForm, default_period, require_report_user
from ..ledgers import (
    LedgerError,
    available_ledgers,
    ledger_filename,
    ledger_job_for,
    ledger_jobs_for,
    start_ledger_export,
)


class LedgerForm(ReportFilterForm):
    ledger = forms.ChoiceField(label="台账")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ledger"].choices = [(ledger.key, ledger.title) for ledger in available_ledgers()]
        self.order_fields(["ledger", "start", "end", "area"])


@login_required
@require_http_methods(["GET", "POST"])
def ledger_list(request):
    """GET: the ledgers and the user's recent exports. POST: queue an export."""
    require_report_user(request.user)
    start, end = default_period()
    initial = {"start": start, "end": end, "area": request.user.area_id}
    if request.method == "POST":
        form = LedgerForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                job = start_ledger_export(ledger_key=form.cleaned_data["ledger"], flt=form.result(), by=request.user)
            except LedgerError as exc:
                form.add_error("ledger", str(exc))
            else:
                return redirect("reports:ledger_job", pk=job.pk)
    else:
        form = LedgerForm(initial=initial, user=request.user)
    return render(request, "reports/ledger_list.html", {
        "form": form, "ledgers": available_ledgers(), "jobs": ledger_jobs_for(request.user),
    })


@login_required
@require_GET
def ledger_job(request, pk):
    require_report_user(request.user)
    job = ledger_job_for(request.user, pk)
    if request.htmx:  # the progress block polling itself
        response = render(request, "reports/ledger_status.html", {"job": job})
        if job.is_finished:
            response["HX-Refresh"] = "true"
        return response
    return render(request, "reports/ledger_job.html", {"job": job, "filename": ledger_filename(job)})


@login_required
@require_GET
def ledger_download(request, pk):
    require_report_user(request.user)
    job = ledger_job_for(request.user, pk)
    if not job.output_file:
        raise Http404("台账尚未生成")
    try:
        handle = open_job_output(job)
    except FileNotFoundError:
        raise Http404("文件已过期清理，请重新导出") from None
    return FileResponse(handle, as_attachment=True, filename=ledger_filename(job))
