"""数据看板 page: the panels of zhenwu.reports.dashboard for a period and an area."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..dashboard import dashboard
from ..dashboard_map import concern_map
from ..filters import MAX_DASHBOARD_DAYS, filter_from_request, require_report_user


@login_required
@require_GET
def dashboard_page(request):
    require_report_user(request.user)
    form, flt = filter_from_request(request, max_days=MAX_DASHBOARD_DAYS)
    panels = dashboard(request.user, flt)
    return render(request, "reports/dashboard.html", {
        "form": form,
        "flt": flt,
        "panels": panels,
        "chart_data": [chart.as_json() for panel in panels for chart in panel.charts],
        "concern_map": concern_map(request.user, flt),
    })
