"""Figures of 民情茶室 meetings and 联户走访 visits: one named counting function per figure, each
beside the function returning the records it counts (docs/figures.md lists where each is shown).

Meetings and visits are one-day records: each counts in the period containing its date
(`held_on`, `visited_on`). Every function takes keyword arguments: a base queryset (`meetings`,
`visits`: the user's visible ones, say; all when None), `area` (records in its subtree: a meeting by
its village, a visit by its household's grid) and `start`, `end` (local dates, both included).
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce

from .models import Meeting, MeetingConcern, Visit


def _period(qs, field, start, end):
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{field}__lte": end})
    return qs


# --- 民情茶室 --------------------------------------------------------------------------------------


def counted_meetings(*, meetings=None, area=None, start=None, end=None):
    """民情茶室(场): meetings of villages in `area` held in the period."""
    qs = Meeting.objects.all() if meetings is None else meetings
    if area is not None:
        qs = qs.filter(area__path__startswith=area.path)
    return _period(qs, "held_on", start, end)


def meeting_count(**scope):
    """民情茶室(场): the number of `counted_meetings`."""
    return counted_meetings(**scope).count()


def _through_count(through, field):
    return Coalesce(Subquery(
        through.objects.filter(meeting_id=OuterRef("pk")).order_by().values("meeting_id")
        .annotate(n=Count(field)).values("n")[:1], output_field=IntegerField()), 0)


def with_attendance(meetings):
    """Each meeting annotated with `member_count`, `resident_count` and `attendees` (= members +
    named residents + other guests), one subquery per relation: a join over both relations would
    repeat the guests once per member × resident row."""
    return meetings.annotate(
        member_count=_through_count(Meeting.members.through, "member_id"),
        resident_count=_through_count(Meeting.residents.through, "resident_id"),
    ).annotate(attendees=Coalesce("member_count", 0) + Coalesce("resident_count", 0) + Coalesce("guest_count", 0))


def meeting_attendance_records(**scope):
    """Who the counted meetings were attended by, one row per person: {"meeting", "held_on",
    "who" (党员 / 群众 / 其他群众), "name", "count"}; a meeting's other guests, not named, are one row
    whose `count` is their number. The figure is the sum of `count`."""
    meetings = list(counted_meetings(**scope).order_by("held_on", "id").only("id", "title", "held_on", "guest_count"))
    by_id = {m.pk: m for m in meetings}
    rows = []
    members = (Meeting.members.through.objects.filter(meeting_id__in=by_id).order_by("meeting_id", "member__name")
               .values_list("meeting_id", "member__name"))
    residents = (Meeting.residents.through.objects.filter(meeting_id__in=by_id)
                 .order_by("meeting_id", "resident__name").values_list("meeting_id", "resident__name"))
    named = {}
    for who, pairs in (("党员", members), ("群众", residents)):
        for meeting_id, name in pairs:
            named.setdefault(meeting_id, []).append((who, name))
    for m in meetings:
        for who, name in named.get(m.pk, []):
            rows.append({"meeting": m.title, "held_on": m.held_on, "who": who, "name": name, "count": 1})
        if m.guest_count:
            rows.append({"meeting": m.title, "held_on": m.held_on, "who": "其他群众", "name": f"未具名{m.guest_count}人",
                         "count": m.guest_count})
    return rows


def meeting_attendance(**scope):
    """民情茶室参加(人次): for each counted meeting its members, its named residents and its other
    guests, each person once per meeting (a person at two meetings counts twice)."""
    return with_attendance(counted_meetings(**scope)).order_by().aggregate(n=Sum("attendees"))["n"] or 0


def meeting_concern_records(**scope):
    """Concerns raised at the counted meetings (each concern comes from at most one meeting)."""
    from zhenwu.concerns.models import Concern

    return Concern.objects.filter(pk__in=MeetingConcern.objects.filter(
        meeting__in=counted_meetings(**scope).values("pk")).values("concern_id"))


def meeting_concern_count(**scope):
    """茶室收集诉求(件): concerns raised at the counted meetings."""
    return meeting_concern_records(**scope).count()


# --- 走访 -----------------------------------------------------------------------------------------


def counted_visits(*, visits=None, area=None, start=None, end=None):
    """走访(次): visits to households of grids in `area` made in the period."""
    qs = Visit.objects.all() if visits is None else visits
    if area is not None:
        qs = qs.filter(household__grid__path__startswith=area.path)
    return _period(qs, "visited_on", start, end)


def visit_count(**scope):
    """走访(次): the number of `counted_visits`; two visits to one household count twice."""
    return counted_visits(**scope).count()


def visited_household_records(**scope):
    """The households of the counted visits, each once."""
    from zhenwu.org.models import Household

    return Household.objects.filter(pk__in=counted_visits(**scope).values("household_id"))


def visited_households(**scope):
    """走访户数: distinct households of the counted visits."""
    return counted_visits(**scope).order_by().values("household_id").distinct().count()
