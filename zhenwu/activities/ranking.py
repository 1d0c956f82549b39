"""Volunteer hours (志愿服务时长): per person and ranked, over a period and an area.

Only confirmed hours of volunteers count. A person is a member, a resident or a free-text name;
each is one row. One grouped query, whatever the number of activities.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum


@dataclass
class HoursRow:
    rank: int
    name: str
    kind: str  # 党员 / 居民 / 其他
    member_id: int | None
    resident_id: int | None
    hours: Decimal
    activities: int


def confirmed_hours(*, activities=None, start=None, end=None, area=None):
    """Confirmed volunteer participations of activities (a queryset, e.g. the user's visible ones)
    counted between the local dates `start` and `end` (both included) inside `area`: an activity
    counts in the period it ends in (zhenwu.activities.figures)."""
    from .figures import confirmed_hours_records

    return confirmed_hours_records(activities=activities, area=area, start=start, end=end)


def volunteer_ranking(*, activities=None, start=None, end=None, area=None, limit=None):
    """Rows ordered by confirmed hours (descending), then by name; equal hours share a rank."""
    rows = (confirmed_hours(activities=activities, start=start, end=end, area=area)
            .values("member_id", "resident_id", "person_name", "member__name", "resident__name")
            .annotate(total=Sum("hours"), count=Count("activity", distinct=True))
            .order_by("-total", "member__name", "resident__name", "person_name"))
    if limit:
        rows = rows[:limit]
    result, last_total, rank = [], None, 0
    for position, row in enumerate(rows, start=1):
        if row["total"] != last_total:
            rank, last_total = position, row["total"]
        if row["member_id"]:
            name, kind = row["member__name"], "党员"
        elif row["resident_id"]:
            name, kind = row["resident__name"], "居民"
        else:
            name, kind = row["person_name"], "其他"
        result.append(HoursRow(rank=rank, name=name, kind=kind, member_id=row["member_id"],
                               resident_id=row["resident_id"], hours=row["total"], activities=row["count"]))
    return result


def member_hours(member, *, start=None, end=None):
    """One member's confirmed hours in total."""
    total = confirmed_hours(start=start, end=end).filter(member=member).aggregate(total=Sum("hours"))["total"]
    return total or Decimal("0")
