"""Working days on the Chinese calendar (zhenwu.workdays.calendar).

The 2026 schedule in chinesecalendar 1.11: 中秋 Fri 25 – Sun 27 September; 国庆 Thu 1 – Wed 7
October; Saturday 10 October is a 调休 make-up working day; Sunday 20 September too.
"""

import datetime
import logging
from zoneinfo import ZoneInfo

import pytest

from zhenwu.workdays import calendar as workdays

SHANGHAI = ZoneInfo("Asia/Shanghai")

D = datetime.date
UTC = datetime.UTC


def local(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def test_national_day_holidays_are_not_working_days():
    for day in range(1, 8):
        assert not workdays.is_workday(D(2026, 10, day))


def test_make_up_saturday_after_national_day_is_a_working_day():
    assert D(2026, 10, 10).weekday() == 5
    assert workdays.is_workday(D(2026, 10, 10))
    assert not workdays.is_workday(D(2026, 10, 11))


def test_ordinary_weekdays_and_weekends():
    assert workdays.is_workday(D(2026, 9, 30))  # Wednesday
    assert not workdays.is_workday(D(2026, 9, 19))  # Saturday


def test_one_working_day_from_the_eve_of_national_day_lands_after_the_holiday():
    due = workdays.add_workdays(local(2026, 9, 30, 10, 0), 1)
    assert due == datetime.datetime(2026, 10, 8, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def test_three_working_days_across_national_day_end_on_the_make_up_saturday():
    # 8 Oct (Thu), 9 Oct (Fri), 10 Oct (调休 Saturday)
    assert workdays.add_workdays_date(local(2026, 9, 30, 16, 0), 3) == D(2026, 10, 10)


def test_five_working_days_across_national_day_skip_the_sunday_after_the_make_up_day():
    # 8, 9, 10 (Sat, make-up), 12, 13 — Sunday 11 October is a rest day
    assert workdays.add_workdays_date(local(2026, 9, 30, 16, 0), 5) == D(2026, 10, 13)


def test_a_concern_received_during_the_holiday_is_due_after_it():
    assert workdays.add_workdays_date(local(2026, 10, 3, 9, 0), 1) == D(2026, 10, 8)
    assert workdays.add_workdays_date(local(2026, 10, 3, 9, 0), 0) == D(2026, 10, 8)


def test_zero_days_means_the_same_working_day():
    assert workdays.add_workdays(local(2026, 9, 29, 8, 0), 0) == workdays.end_of_day(D(2026, 9, 29))


def test_late_evening_utc_on_30_september_is_already_national_day_in_beijing():
    received = datetime.datetime(2026, 9, 30, 23, 30, tzinfo=UTC)  # 07:30 on 1 October in Beijing
    assert workdays.local_date(received) == D(2026, 10, 1)
    assert not workdays.is_workday(received)
    assert workdays.add_workdays_date(received, 1) == D(2026, 10, 8)


def test_early_utc_afternoon_on_30_september_is_still_30_september_in_beijing():
    received = datetime.datetime(2026, 9, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 September in Beijing
    assert workdays.local_date(received) == D(2026, 9, 30)
    assert workdays.add_workdays_date(received, 1) == D(2026, 10, 8)
    assert workdays.add_workdays_date(received, 0) == D(2026, 9, 30)


def test_due_time_is_the_end_of_the_local_day_which_is_mid_afternoon_utc():
    due = workdays.add_workdays(local(2026, 10, 8, 9, 0), 1)
    assert due.astimezone(UTC) == datetime.datetime(2026, 10, 9, 15, 59, 59, 999999, tzinfo=UTC)


def test_a_local_day_starts_at_four_in_the_afternoon_utc_the_day_before():
    start = workdays.start_of_day(D(2026, 10, 9))
    assert start.astimezone(UTC) == datetime.datetime(2026, 10, 8, 16, 0, tzinfo=UTC)
    assert workdays.local_date(start) == D(2026, 10, 9)


def test_workdays_between_counts_working_days_after_the_start_date():
    start = local(2026, 9, 30, 10, 0)
    assert workdays.workdays_between(start, local(2026, 9, 30, 18, 0)) == 0
    assert workdays.workdays_between(start, local(2026, 10, 7, 18, 0)) == 0
    assert workdays.workdays_between(start, local(2026, 10, 8, 9, 0)) == 1
    assert workdays.workdays_between(start, local(2026, 10, 10, 9, 0)) == 3
    assert workdays.workdays_between(start, local(2026, 10, 12, 9, 0)) == 4


def test_workdays_between_is_the_inverse_of_add_workdays():
    start = local(2026, 9, 24, 14, 0)
    for n in range(1, 15):
        assert workdays.workdays_between(start, workdays.add_workdays(start, n)) == n


def test_workdays_between_is_negative_when_the_end_comes_first():
    assert workdays.workdays_between(local(2026, 10, 9, 9, 0), local(2026, 9, 30, 9, 0)) == -2


def test_overrides_win_over_the_package():
    overrides = {D(2026, 10, 8): False, D(2026, 10, 4): True}
    assert not workdays.is_workday(D(2026, 10, 8), overrides)
    assert workdays.is_workday(D(2026, 10, 4), overrides)
    assert workdays.add_workdays_date(local(2026, 9, 30, 10, 0), 1, overrides) == D(2026, 10, 4)
    assert workdays.add_workdays_date(local(2026, 10, 5, 10, 0), 1, overrides) == D(2026, 10, 9)


def test_years_the_package_does_not_know_fall_back_to_monday_to_friday_and_warn_once(caplog):
    workdays._warned_years.discard(2099)
    with caplog.at_level(logging.WARNING, logger="zhenwu.workdays.calendar"):
        assert workdays.is_workday(D(2099, 1, 1))  # a Thursday; no holiday data for 2099
        assert not workdays.is_workday(D(2099, 1, 3))  # Saturday
        assert workdays.add_workdays_date(D(2099, 1, 2), 1) == D(2099, 1, 5)
    warnings = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(warnings) == 1


def test_overrides_fill_in_a_year_the_package_does_not_know():
    overrides = {D(2099, 1, 1): False}
    assert not workdays.is_workday(D(2099, 1, 1), overrides)
    assert workdays.add_workdays_date(D(2098, 12, 31), 1, overrides) == D(2099, 1, 2)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        workdays.add_workdays(datetime.datetime(2026, 9, 30, 10, 0), 1)


def test_negative_limits_are_refused():
    with pytest.raises(ValueError):
        workdays.add_workdays(local(2026, 9, 30, 10, 0), -1)


def test_an_override_table_without_any_working_day_fails_clearly():
    never = {D(2026, 10, 8) + datetime.timedelta(days=i): False for i in range(workdays._MAX_SCAN_DAYS + 1)}
    with pytest.raises(ValueError, match="no working day"):
        workdays.add_workdays(local(2026, 10, 8, 10, 0), 1, never)


def test_the_towns_overrides_are_read_as_a_date_map_in_one_query(db, django_assert_num_queries):
    from zhenwu.workdays.models import WorkdayOverride

    WorkdayOverride.objects.create(date=D(2026, 10, 8), is_workday=False, note="镇防汛调休")
    WorkdayOverride.objects.create(date=D(2026, 10, 11), is_workday=True)
    with django_assert_num_queries(1):
        overrides = workdays.workday_overrides()
    assert overrides == {D(2026, 10, 8): False, D(2026, 10, 11): True}
    assert workdays.add_workdays_date(local(2026, 10, 7, 10, 0), 1, overrides) == D(2026, 10, 9)


def test_a_years_schedule_is_known_from_the_package_or_from_the_towns_entered_holidays():
    assert workdays.schedule_known(2026)  # chinesecalendar has it
    assert not workdays.schedule_known(2099)  # nobody has it
    # The town entered the year's 元旦 (a Thursday) as a day off: the year is known.
    assert workdays.schedule_known(2099, {D(2099, 1, 1): False})
    # A weekend made a working day (调休) alone, or a day off in another year, is not a schedule.
    assert not workdays.schedule_known(2099, {D(2099, 1, 3): True, D(2098, 12, 31): False})
    assert not workdays.schedule_known(2099, {D(2099, 1, 4): False})  # a Sunday: off anyway


def test_next_years_schedule_is_asked_for_from_november():
    assert workdays.unknown_schedule_years(D(2099, 10, 31)) == [2099]
    assert workdays.unknown_schedule_years(D(2099, 11, 1)) == [2099, 2100]
    assert workdays.unknown_schedule_years(D(2099, 11, 1), {D(2099, 10, 1): False}) == [2100]
    assert workdays.unknown_schedule_years(D(2026, 6, 1)) == []
