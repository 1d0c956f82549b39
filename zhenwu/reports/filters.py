"""The period and area a dashboard or a ledger covers, within what the user may see.

Reports are for leaders and the town office (their town, or a county account's towns) and for
village secretaries (their village only). The area choices are the user's own area and the
towns, villages and communities under it; grids are too small to report on.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from zhenwu.core.roles import Role
from zhenwu.org.models import Area, AreaLevel

REPORT_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY)
AREA_LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWN, AreaLevel.VILLAGE, AreaLevel.COMMUNITY)
# A dashboard reads month by month: more than three years would not fit a phone's chart.
MAX_DASHBOARD_DAYS = 3 * 366


def require_report_user(user):
    """The user's own area (the widest they may report on); 403 for other roles or no area."""
    if not getattr(user, "is_authenticated", False) or user.role not in REPORT_ROLES:
        raise PermissionDenied("数据看板和台账供镇领导、镇管理员和村党组织书记使用")
    if user.area_id is None or user.area.level not in AREA_LEVELS:
        raise PermissionDenied("您的账号没有设置所属镇或村，无法查看统计")
    return user.area


def area_choices(user):
    """Areas the user may pick, the widest first: their own area, then the towns and villages
    under it in tree order (one query)."""
    root = require_report_user(user)
    return list(
        Area.objects.filter(path__startswith=root.path, level__in=AREA_LEVELS).order_by("path").only(
            "id", "name", "level", "path", "depth"
        )
    )


def default_period(today=None):
    """The last twelve months: the first day of the month eleven months ago up to today."""
    today = today or timezone.localdate()
    year, month = today.year, today.month - 11
    if month <= 0:
        year, month = year - 1, month + 12
    return datetime.date(year, month, 1), today


@dataclass
class Filter:
    start: datetime.date
    end: datetime.date
    area: Area  # the chosen area, inside the user's scope

    @property
    def label(self):
        return f"{self.area.name} {self.start:%Y-%m-%d}至{self.end:%Y-%m-%d}"


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.TypedChoiceField(label="区域", coerce=int)

    def __init__(self, *args, user, max_days=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {a.pk: a for a in area_choices(user)}
        self.max_days = max_days
        self.fields["area"].choices = [
            (a.pk, ("\u3000" * max(0, a.depth - self._top_depth()) + a.name)) for a in self.areas.values()
        ]

    def _top_depth(self):
        return min((a.depth for a in self.areas.values()), default=0)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                self.add_error("end", "结束日期不能早于开始日期")
            elif self.max_days and (end - start).days > self.max_days:
                self.add_error("end", f"统计期间最长{self.max_days // 366}年，请缩短期间")
        return data

    def result(self):
        data = self.cleaned_data
        return Filter(start=data["start"], end=data["end"], area=self.areas[data["area"]])


def filter_from_request(request, *, max_days=None):
    """(form, Filter) from the query string; the defaults (last twelve months, the user's whole
    area) when nothing was asked. An invalid query falls back to the defaults with the form's
    errors shown."""
    start, end = default_period()
    initial = {"start": start, "end": end, "area": request.user.area_id}
    if any(key in request.GET for key in ("start", "end", "area")):
        form = ReportFilterForm({**initial, **request.GET.dict()}, user=request.user, max_days=max_days)
        if form.is_valid():
            return form, form.result()
    else:
        form = ReportFilterForm(initial=initial, user=request.user, max_days=max_days)
    return form, Filter(start=start, end=end, area=form.areas[request.user.area_id])
