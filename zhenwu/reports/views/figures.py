"""查看计入的记录: the records behind one figure of the dashboard or the briefing (reports.drilldown)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhenwu.lib.paging import paginate

from ..drilldown import figure_list
from ..filters import MAX_DASHBOARD_DAYS, filter_from_request, require_report_user

PAGE_SIZE = 100


@login_required
@require_GET
def figure_records(request, key):
    require_report_user(request.user)
    figure = figure_list(key)
    if figure is None:
        raise Http404("没有这个统计数字")
    form, flt = filter_from_request(request, max_days=MAX_DASHBOARD_DAYS)
    value = figure.count(request.user, flt)
    records = figure.records(request.user, flt)
    page = paginate(request, records, per_page=PAGE_SIZE)
    return render(request, "reports/figure_records.html", {
        "figure": figure, "value": value, "total": figure.total(records), "form": form, "flt": flt,
        "summary": figure.summary(request.user, flt) if figure.summary else None,
        "page": page, "rows": [list(zip(figure.columns, figure.cells(record), strict=True)) for record in page.object_list],
    })
