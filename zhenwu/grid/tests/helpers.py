"""Shared by the grid tests of the links' derived columns (test_last_visit, test_link_grid)."""

import datetime

from django.utils import timezone

from zhenwu.grid import services

TODAY = datetime.date(2027, 4, 2)


def record_visit(household, day):
    """A home visit to `household` on `day`, entered on TODAY at 10:00."""
    now = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10)))
    return services.record_visit(household=household, visited_on=day, way="home", notes="走访", by=None, now=now).visit
