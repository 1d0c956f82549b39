"""Working days on the Chinese calendar: public holidays and 调休 make-up workdays.

The official schedule comes from the `chinesecalendar` package (updated each year when the State
Council publishes the next year's holidays). Callers may pass `overrides`, a mapping of
date -> is_workday, which wins over the package: `workday_overrides()` reads the admin-editable
WorkdayOverride rows (zhenwu.workdays.models), so a town can enter next year's schedule (or a local
day off) without a release. For a year the package does not know, the rule falls back to Monday–Friday plus the
overrides, and a warning is logged once per year.

Deadline rule (used for every due date in the product):
- A limit of n working days counts from the *local date* (Asia/Shanghai, settings.TIME_ZONE) of
  the start timestamp; the day of receipt itself does not count. The due date is the n-th working
  day after that date, so a concern received on a Wednesday evening with a 1-day limit is due on
  Thursday, and one received on a holiday is due on the first working day after it for n=1.
- n=0 means "the same working day": the start date if it is a working day, else the next one.
- The deadline is the *end* of the due date, 23:59:59.999999 local time (DUE_TIME): the calendar
  day counts, not office hours, which is how 12345 rules word "N个工作日内".
"""

import datetime
import functools
import logging
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import chinese_calendar
from django.conf import settings

log = logging.getLogger(__name__)

DUE_TIME = datetime.time.max  # 23:59:59.999999 local time
_MAX_SCAN_DAYS = 3660  # no real limit needs ten years; guards against an all-holiday override table
_warned_years = set()


def local_zone():
    return ZoneInfo(settings.TIME_ZONE)


def local_date(value):
    """The local (settings.TIME_ZONE) calendar date of an aware datetime; dates pass through."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime: use timezone.now() / aware datetimes")
        return value.astimezone(local_zone()).date()
    if isinstance(value, datetime.date):
        return value
    raise TypeError(f"expected a date or an aware datetime, got {type(value).__name__}")


def start_of_day(day):
    """The aware datetime at which a local calendar day begins (00:00 local time)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=local_zone())


def end_of_day(day):
    """The aware datetime at which a due date ends (DUE_TIME on `day`, local time)."""
    return datetime.datetime.combine(day, DUE_TIME, tzinfo=local_zone())


@functools.lru_cache(maxsize=8192)
def _official(day):
    """The package's answer for a date it knows, kept per process (some 20 years of days); a year
    it does not know raises NotImplementedError, which is not kept."""
    return chinese_calendar.is_workday(day)


def _package_says(day):
    try:
        return _official(day)
    except NotImplementedError:
        if day.year not in _warned_years:
            _warned_years.add(day.year)
            log.warning(
                "chinesecalendar has no holiday data for %s: counting Monday–Friday as working days "
                "(enter the year's holidays as WorkdayOverride rows, or upgrade chinesecalendar)",
                day.year,
            )
        return day.weekday() < 5


def is_workday(day, overrides: Mapping | None = None):
    """Whether `day` (a date, or an aware datetime's local date) is a working day."""
    return _is_workday_date(local_date(day), overrides)


def _is_workday_date(day, overrides):
    if overrides and day in overrides:
        return bool(overrides[day])
    return _package_says(day)


_ONE_DAY = datetime.timedelta(days=1)


def next_workday(day, overrides=None, *, include_start=False):
    day = local_date(day)
    if not include_start:
        day += _ONE_DAY
    for _ in range(_MAX_SCAN_DAYS):
        if _is_workday_date(day, overrides):
            return day
        day += _ONE_DAY
    raise ValueError("no working day found within ten years: check the workday overrides")


def add_workdays_date(start, n, overrides=None):
    """The due *date* n working days after the local date of `start` (see the module rule)."""
    if n < 0:
        raise ValueError("n must be zero or more working days")
    day = local_date(start)
    if n == 0:
        return next_workday(day, overrides, include_start=True)
    for _ in range(n):
        day = next_workday(day, overrides)
    return day


def add_workdays(start, n, overrides=None):
    """The deadline (aware datetime, end of the due date) n working days after `start`."""
    return end_of_day(add_workdays_date(start, n, overrides))


def workdays_between(start, end, overrides=None):
    """Working days elapsed from `start` to `end`: the working days in (start date, end date],
    by local dates. Same day -> 0; the next working day -> 1; so
    workdays_between(t, add_workdays(t, n)) == n for n >= 1. Negative when `end` is earlier."""
    first, last = local_date(start), local_date(end)
    if last < first:
        return -workdays_between(end, start, overrides)
    count = 0
    day = first + _ONE_DAY
    while day <= last:
        if _is_workday_date(day, overrides):
            count += 1
        day += _ONE_DAY
    return count


def workday_overrides():
    """The admin-entered WorkdayOverride rows as {date: is_workday} (one query)."""
    from .models import WorkdayOverride  # the functions above need no app registry

    return dict(WorkdayOverride.objects.values_list("date", "is_workday"))


def schedule_known(year, overrides: Mapping | None = None):
    """Whether `year`'s public holidays are known: the package has the year, or the town has
    entered its schedule as overrides (at least one weekday of the year marked as a day off; 元旦
    or 春节 alone makes one). Otherwise the year's deadlines count 元旦, 春节 and 国庆 as working days."""
    try:
        _official(datetime.date(year, 1, 1))
        return True
    except NotImplementedError:
        pass
    return any(day.year == year and not is_work and day.weekday() < 5 for day, is_work in (overrides or {}).items())


def unknown_schedule_years(today, overrides: Mapping | None = None):
    """The years, among this one and (from November, when the State Council publishes it) the
    next, whose holidays are not known (schedule_known)."""
    years = [today.year, today.year + 1] if today.month >= 11 else [today.year]
    return [year for year in years if not schedule_known(year, overrides)]
