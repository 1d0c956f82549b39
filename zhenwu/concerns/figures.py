"""Figures of 民情办理 (concerns): one named counting function per figure, each beside the function
returning the records it counts (docs/figures.md lists where each is shown). The three rates and the
median time are zhenwu.concerns.rates' (their population is `received_records`); the concerns
behind each rate's numerator and denominator are listed here with the rates' own conditions
(`rate_conditions`), so the drill-down of 响应率 shows exactly the concerns it divides.

- 受理: concerns received in the period (local dates), merged duplicates (已合并) left out — their
  original carries the matter; this is the population of the three rates and of the 民情办理台账.
- 其中已办结: of those received in the period, the ones resolved since (whenever).
- 办结 (in a month's briefing): concerns resolved in the period that are resolved or closed now,
  whenever they were received — so monthly briefings added up count each resolution once.

Every function takes keyword arguments: `concerns`, a base queryset (the user's visible ones, say;
all when None), `area` (concerns inside it) and `start`, `end` (local dates, both included).
"""

from django.utils import timezone

from zhenwu.workdays import calendar as workdays

from .models import CallBackResult, Concern, Status
from .querysets import area_scope_q
from .rates import rate_conditions


def _base(concerns, area):
    qs = Concern.objects.all() if concerns is None else concerns
    return qs.filter(area_scope_q(area)) if area is not None else qs


def _between(qs, field, start, end):
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": workdays.start_of_day(start)})
    if end is not None:
        qs = qs.filter(**{f"{field}__lte": workdays.end_of_day(end)})
    return qs


def received_records(*, concerns=None, area=None, start=None, end=None):
    """受理: concerns received in the period, merged duplicates left out."""
    return _between(_base(concerns, area), "received_at", start, end).exclude(status=Status.DUPLICATE)


def received_count(**scope):
    """受理诉求(件): the number of `received_records`."""
    return received_records(**scope).count()


def resolved_of_received_records(**scope):
    """Of the concerns received in the period, those resolved since (as the rates count 办结)."""
    return received_records(**scope).filter(resolved_at__isnull=False)


def resolved_of_received_count(**scope):
    """已办结(件): the number of `resolved_of_received_records`."""
    return resolved_of_received_records(**scope).count()


def resolved_records(*, concerns=None, area=None, start=None, end=None):
    """办结 in the period: concerns whose (latest) resolution falls in it and that stand resolved or
    closed now, whenever they were received."""
    return _between(_base(concerns, area), "resolved_at", start, end).filter(
        status__in=(Status.RESOLVED, Status.CLOSED))


def resolved_count(**scope):
    """办结(件): the number of `resolved_records`."""
    return resolved_records(**scope).count()


def rate_records(part, *, now=None, **scope):
    """The received concerns counted in one part of a rate (a key of `rate_conditions`:
    due_for_response, responded_in_time, assessed, solved, …) at `now`."""
    return received_records(**scope).filter(rate_conditions(now or timezone.now())[part])


def satisfied_records(*, now=None, **scope):
    """满意率's numerator: the assessed concerns whose latest verdict is 满意 or 基本满意."""
    return received_records(**scope).filter(
        callback_result__in=(CallBackResult.SATISFIED, CallBackResult.BASICALLY_SATISFIED))


def resolution_time_records(**scope):
    """The population of the median time to resolve: received concerns resolved (or closed) with
    their working days counted."""
    return received_records(**scope).filter(resolved_at__isnull=False, resolution_workdays__isnull=False)
