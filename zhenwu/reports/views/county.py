"""县级看板: the county centre's dashboard, per town and per department
(zhenwu.concerns.county.county_figures), for county accounts only."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhenwu.concerns.access import works_at_county
from zhenwu.concerns.county import county_figures
from zhenwu.core.roles import Role

from ..filters import MAX_DASHBOARD_DAYS, default_period

COUNTY_DASHBOARD_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)


class PeriodForm(forms.Form):
    start = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError("开始日期不能晚于结束日期")
            if (end - start).days > MAX_DASHBOARD_DAYS:
                raise forms.ValidationError("统计期间最长三年")
        return data


@login_required
@require_GET
def county_dashboard(request):
    user = request.user
    if user.role not in COUNTY_DASHBOARD_ROLES or not works_at_county(user):
        raise PermissionDenied("县级看板供县级领导和县级受理员使用")
    start, end = default_period()
    form = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    elif not form.is_bound:
        form = PeriodForm({"start": start, "end": end})
        form.is_valid()
    return render(request, "reports/county_dashboard.html", {
        "form": form,
        "figures": county_figures(user.area, start=start, end=end),
    })
