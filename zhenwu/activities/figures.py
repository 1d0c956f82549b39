"""Figures of activities, volunteer service and contests: one named counting function per figure,
each beside the function returning the records it counts, so a figure always equals what its
records add up to (the count of the rows, or the sum of the value they carry).

Every figure on the dashboard, in the ledgers and in the briefing that counts activities comes from
here; docs/figures.md lists where each is shown.

Which period an activity counts in (one rule, so monthly figures added up never double-count):
an activity counts in the period containing the local date on which it ENDS (`ends_at`, or
`starts_at` when it has no end). The 文艺志愿服务 of 9/28–10/7 is October's; its volunteers, hours
and beneficiaries go with it.

A contest counts in the period of the local date its awards were given (the latest `awarded_at` of
its entries), or of its `held_on` date while no award has been given: the essay call of October
whose prizes are announced in November is November's news, once.

All functions take keyword arguments: `activities` (or `contests`), a base queryset (the user's
visible ones, say; all when None), `area` (an Area: records placed in its subtree) and `start`,
`end` (local dates, both included; either may be None for an open end).
"""

from decimal import Decimal

from django.db.models import Count, DecimalField, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from zhenwu.lib.numbers import one_decimal
from zhenwu.workdays import calendar as workdays

from .beneficiaries import total_beneficiaries, with_beneficiary_totals
from .models import Activity, Contest, Entry, Participation, ParticipationRole

# --- which activities count ------------------------------------------------------------------------


def _period_q(field, start, end):
    q = Q()
    if start is not None:
        q &= Q(**{f"{field}__gte": workdays.start_of_day(start)})
    if end is not None:
        q &= Q(**{f"{field}__lte": workdays.end_of_day(end)})
    return q


def with_counted_at(activities):
    """The activities annotated with `counted_at`: the moment that places them in a period (their
    end, or their start when they have none)."""
    return activities.annotate(counted_at=Coalesce("ends_at", "starts_at"))


def counted_activities(*, activities=None, area=None, start=None, end=None):
    """活动(次): activities placed in `area` that END in the period (see the module's rule)."""
    qs = with_counted_at(Activity.objects.all() if activities is None else activities)
    if area is not None:
        qs = qs.filter(area__path__startswith=area.path)
    return qs.filter(_period_q("counted_at", start, end))


def activity_count(**scope):
    """活动(次): the number of `counted_activities`."""
    return counted_activities(**scope).count()


# --- volunteers and hours ------------------------------------------------------------------------


def volunteer_records(**scope):
    """Every volunteer participation (志愿者 role, hours confirmed or not) of the counted activities."""
    return Participation.objects.filter(role=ParticipationRole.VOLUNTEER,
                                        activity__in=counted_activities(**scope).values("pk"))


def volunteer_turnout(**scope):
    """志愿服务(人次): volunteer participations of the counted activities; a person serving at two
    activities counts twice."""
    return volunteer_records(**scope).count()


def confirmed_hours_records(**scope):
    """Volunteer participations of the counted activities whose hours the organiser confirmed."""
    return volunteer_records(**scope).filter(hours_confirmed_at__isnull=False, hours__isnull=False)


def confirmed_hours(**scope):
    """志愿时长(小时): the sum of confirmed volunteer hours of the counted activities, kept to one
    decimal (11.5, never 11). Unconfirmed (claimed) hours do not count."""
    total = confirmed_hours_records(**scope).aggregate(h=Sum("hours"))["h"]
    return one_decimal(total or Decimal("0"))


def volunteer_people_records(**scope):
    """One row per person with confirmed hours in the counted activities: {member_id, resident_id,
    person_name, name, hours}."""
    rows = (confirmed_hours_records(**scope).order_by()
            .values("member_id", "resident_id", "person_name", "member__name", "resident__name")
            .annotate(h=Sum("hours"), n=Count("id"))
            .order_by("-h", "member__name", "resident__name", "person_name"))
    return [{"member_id": r["member_id"], "resident_id": r["resident_id"],
             "name": r["member__name"] or r["resident__name"] or r["person_name"],
             "hours": one_decimal(r["h"]), "activities": r["n"]} for r in rows]


def volunteer_people(**scope):
    """志愿者(人): distinct people (a member, a resident, or one free-text name) with confirmed hours
    in the counted activities."""
    return (confirmed_hours_records(**scope).order_by()
            .values("member_id", "resident_id", "person_name").distinct().count())


# --- beneficiaries -------------------------------------------------------------------------------


def beneficiary_records(**scope):
    """The counted activities that served anyone, annotated with `beneficiaries_served` (the rule of
    zhenwu.activities.beneficiaries: the larger of the declared total and the named people)."""
    return with_beneficiary_totals(counted_activities(**scope)).filter(beneficiaries_served__gt=0)


def beneficiaries_served(**scope):
    """受益(人次): people the counted activities served, each activity by the beneficiary rule."""
    return total_beneficiaries(counted_activities(**scope))


# --- one activity's figures ----------------------------------------------------------------------


def _participations(role=None, **filters):
    qs = Participation.objects.filter(activity_id=OuterRef("pk"), **filters)
    if role is not None:
        qs = qs.filter(role=role)
    return qs.order_by().values("activity_id")


def _count(qs):
    return Coalesce(Subquery(qs.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), 0)


def with_activity_figures(activities):
    """Each activity annotated with its own figures, one subquery each (no join fan-out):
    `volunteers` and `volunteer_members` (志愿者 and how many of them are members), `participants`
    and `participant_members`, `people` (everyone recorded, any role), `hours` (confirmed volunteer
    hours), `beneficiaries_named` and `beneficiaries_served` (the beneficiary rule)."""
    V, P = ParticipationRole.VOLUNTEER, ParticipationRole.PARTICIPANT
    hours = Subquery(_participations(V, hours_confirmed_at__isnull=False).annotate(h=Sum("hours")).values("h")[:1],
                     output_field=DecimalField(max_digits=9, decimal_places=1))
    return with_beneficiary_totals(activities).annotate(
        volunteers=_count(_participations(V)),
        volunteer_members=_count(_participations(V, member__isnull=False)),
        participants=_count(_participations(P)),
        participant_members=_count(_participations(P, member__isnull=False)),
        people=_count(_participations()),
        hours=Coalesce(hours, Decimal("0"), output_field=DecimalField(max_digits=9, decimal_places=1)),
    )


# --- contests ------------------------------------------------------------------------------------


def with_awarded_at(contests):
    """The contests annotated with `awarded_at`: when their last award was given (None before any)."""
    last = (Entry.objects.filter(contest_id=OuterRef("pk"), awarded_at__isnull=False).order_by()
            .values("contest_id").annotate(at=Max("awarded_at")).values("at")[:1])
    return contests.annotate(awarded_at=Subquery(last))


def counted_contests(*, contests=None, area=None, start=None, end=None):
    """比赛: contests placed in `area` counted in the period: by their last award's date, or by
    `held_on` while none has been given (see the module's rule)."""
    qs = with_awarded_at(Contest.objects.all() if contests is None else contests)
    if area is not None:
        qs = qs.filter(area__path__startswith=area.path)
    held = Q()
    if start is not None:
        held &= Q(held_on__gte=start)
    if end is not None:
        held &= Q(held_on__lte=end)
    return qs.filter((Q(awarded_at__isnull=True) & held) | _period_q("awarded_at", start, end))


def contest_count(**scope):
    """比赛(场): the number of `counted_contests`."""
    return counted_contests(**scope).count()


def entry_records(**scope):
    """The entries of the counted contests."""
    return Entry.objects.filter(contest__in=counted_contests(**scope).values("pk"))


def entry_count(**scope):
    """参赛作品(件): entries of the counted contests."""
    return entry_records(**scope).count()
