from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhenwu.core.roles import Role
from zhenwu.lib.paging import paginate

from .export import write_entries
from .forms import EntryFilterForm, object_type_choices
from .models import AuditAction, AuditEntry
from .services import record_event, verify_chain

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
@require_GET
def entry_export(request):
    """The filtered entries as .xlsx; the export is itself an audit entry."""
    _check_access(request)
    form = EntryFilterForm(request.GET)
    if not form.is_valid():
        messages.error(request, "筛选条件有误，请修改后再导出")
        return redirect(f"{reverse('audit:entry_list')}?{_filter_query(request)}")
    out, count = write_entries(form.filter(AuditEntry.objects.all()))
    record_event(
        action=AuditAction.EXPORT,
        object_type=AuditEntry._meta.label,
        object_repr="审计日志",
        note=f"导出审计日志{count}条；筛选：{form.summary()}",
    )
    filename = f"审计日志-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(
        out,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@login_required
@require_POST
def chain_verify(request):
    _check_access(request)
    report = verify_chain()
    if request.htmx:
        return render(request, "audit/entry_list.html#verify-result", {"report": report})
    (messages.success if report.ok else messages.error)(request, report.message)
    return redirect("audit:entry_list")
