from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from zhenwu.core.roles import Role
from zhenwu.lib.paging import paginate

from .export import start_export
from .forms import EntryFilterForm, object_type_choices
from .models import AuditEntry
from .services import verify_chain

PAGE_SIZE = 50
AUDIT_ROLES = (Role.TOWN_ADMIN,)


def _check_access(request):
    if request.user.role not in AUDIT_ROLES:
        raise PermissionDenied


def _filter_query(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def entry_list(request):
    _check_access(request)
    form = EntryFilterForm(request.GET)
    entries = form.filter(AuditEntry.objects.all()) if form.is_valid() else AuditEntry.objects.none()
    page = paginate(request, entries.order_by("-id"), per_page=PAGE_SIZE)
    context = {
        "form": form,
        "page": page,
        "object_types": object_type_choices()[1:],
    }
    template = "audit/entry_list.html#results" if request.htmx else "audit/entry_list.html"
    return render(request, template, context)


@login_required
@require_POST
def entry_export(request):
    """Queue the filtered entries (the filters ride in the query string) as an .xlsx export; its
    page shows the progress and then the download. The export is itself an audit entry."""
    _check_access(request)
    form = EntryFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, "筛选条件有误，请修改后再导出")
        return redirect(f"{reverse('audit:entry_list')}?{_filter_query(request)}")
    job = start_export(form=form, by=request.user)
    return redirect("jobs:job_status", pk=job.pk)


@login_required
@require_POST
def chain_verify(request):
    _check_access(request)
    report = verify_chain()
    if request.htmx:
        return render(request, "audit/entry_list.html#verify-result", {"report": report})
    (messages.success if report.ok else messages.error)(request, report.message)
    return redirect("audit:entry_list")
