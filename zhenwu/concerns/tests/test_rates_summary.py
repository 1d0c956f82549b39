"""The settled months' summary of the rates: the public page with summaries equals the page
computed live from the concerns after every refresh and every transition (the triggers mark a
month changed however its concerns are written), and a summary that is not current is not read."""

import datetime

import pytest
from django.db import connection

from zhenwu.concerns import callbacks, rates_summary, services
from zhenwu.concerns.models import (
    CallBackChannel,
    CallBackResult,
    Concern,
    ConcernFollower,
    Outcome,
    RateMonth,
    RateSummary,
)

from . import test_public_rates
from .conftest import local

history = test_public_rates.history  # the fixture: concerns of Sep-Nov 2026, now 2026-11-20
SEPTEMBER = datetime.date(2026, 9, 1)
PAGES = [{}, {"month": "2026-09"}, {"month": "2026-11"}]


def bodies(client, world):
    pages = [*PAGES, {"department": world.cast.urban.pk}]
    result = []
    for params in pages:
        page = client.get("/concerns/board/rates/", params).content.decode()
        result.append(page[page.index("<h1>办理成效</h1>") : page.index("这些数字怎么算")])
    return result


@pytest.fixture
def live(client, world, monkeypatch):
    """The pages computed from the concerns alone (no summary read)."""

    def pages():
        with monkeypatch.context() as m:
            m.setattr(rates_summary, "usable_months", lambda months: set())
            return bodies(client, world)

    return pages


def september_concerns():
    return list(Concern.objects.filter(received_month=SEPTEMBER).order_by("received_at"))


def test_refresh_keeps_the_settled_months_and_the_page_reads_them(client, world, history, live):
    assert rates_summary.refresh_rate_summaries() == 10  # 2025-12 .. 2026-09; Oct and Nov stay live
    months = rates_summary.summarisable_months(datetime.date(2026, 11, 20))
    assert months[0] == SEPTEMBER and len(months) == 10
    assert rates_summary.usable_months(months) == set(months)
    assert RateSummary.objects.filter(month=SEPTEMBER).count() == 2  # two departments
    assert bodies(client, world) == live()
    assert rates_summary.refresh_rate_summaries() == 0  # nothing changed

    # The page reads the summary: a figure changed in it (not through the concerns) shows...
    RateSummary.objects.filter(month=SEPTEMBER).update(received=40)
    assert "全部（" in bodies(client, world)[0] and bodies(client, world) != live()
    # ...until any write to a September concern marks the month changed.
    concern = september_concerns()[0]
    concern.save(update_fields=["updated_at"])
    assert rates_summary.usable_months(months) == set(months) - {SEPTEMBER}
    assert bodies(client, world) == live()


def test_every_transition_of_an_old_months_concern_keeps_the_page_equal_to_live(
    client, world, history, live, settings
):
    d, h = world.users.dispatcher, world.users.handler
    settings.ZHENWU_MAX_REOPENINGS = 3  # the 不满意 below, after a reopening, still reopens
    rates_summary.refresh_rate_summaries()
    first = september_concerns()[0]  # 城建办, resolved, 满意 at the call-back, closed
    before = bodies(client, world)

    def check(refresh):
        assert bodies(client, world) == live()
        if refresh:
            assert rates_summary.refresh_rate_summaries() == 1  # September only
            assert SEPTEMBER in rates_summary.usable_months([SEPTEMBER])
            assert bodies(client, world) == live()

    first.refresh_from_db()
    services.reopen_concern(first, by=d, reason="群众再次反映")
    check(refresh=False)
    assert bodies(client, world) != before
    services.resolve_concern(first, by=h, outcome=Outcome.FIXED, text="再次处理")
    check(refresh=True)
    # the call-back of an old month's concern, unsatisfied: it reopens
    services.record_call_back(
        first, result=CallBackResult.UNSATISFIED, solved=False, channel=CallBackChannel.PHONE, by=d, note="又坏了"
    )
    check(refresh=True)
    services.resolve_concern(first, by=h, outcome=Outcome.FIXED, text="第三次处理")
    services.record_call_back(
        first, result=CallBackResult.SATISFIED, solved=True, channel=CallBackChannel.FOLLOW_PAGE
    )
    check(refresh=True)
    # reopened once more and then not reachable: 联系不上 (the resident's phone taken off the row,
    # as a resident who asked to be left alone would be, so no attempts are needed)
    services.reopen_concern(first, by=d, reason="再次反映")
    services.resolve_concern(first, by=h, outcome=Outcome.FIXED, text="第四次处理")
    Concern.objects.filter(pk=first.pk).update(reporter_phone="")
    ConcernFollower.objects.filter(concern=first).delete()
    callbacks.record_unreachable(first, by=d, reason="诉求人已不再留联系电话")
    assert "联系不上1件" in bodies(client, world)[1]
    check(refresh=True)


def test_writes_outside_the_services_mark_the_month_changed_too(world, history):
    rates_summary.refresh_rate_summaries()
    version = RateMonth.objects.get(month=SEPTEMBER).version
    concern = september_concerns()[1]
    Concern.objects.filter(pk=concern.pk).update(callback_result=CallBackResult.SATISFIED)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE concerns_concern SET callback_solved = %s WHERE id = %s", [True, concern.pk])
    assert RateMonth.objects.get(month=SEPTEMBER).version == version + 2
    assert SEPTEMBER not in rates_summary.usable_months([SEPTEMBER])
    # a concern moved into the month, and one deleted from it
    moved = Concern.objects.filter(received_month=datetime.date(2026, 10, 1), callback_at__isnull=True).get()
    Concern.objects.filter(pk=moved.pk).update(received_month=SEPTEMBER)
    assert RateMonth.objects.get(month=SEPTEMBER).version == version + 3
    rates_summary.refresh_rate_summaries()
    assert SEPTEMBER in rates_summary.usable_months([SEPTEMBER])
    moved.events.all().delete()
    moved.delete()
    assert SEPTEMBER not in rates_summary.usable_months([SEPTEMBER])


def test_a_month_whose_response_deadlines_are_still_ahead_is_counted_live(client, world, history, live):
    late = september_concerns()[2]
    Concern.objects.filter(pk=late.pk).update(responded_at=None, response_due=local(2026, 12, 1, 17))
    rates_summary.refresh_rate_summaries()
    month = RateMonth.objects.get(month=SEPTEMBER)
    assert month.summarised_version == month.version and not month.settled
    assert SEPTEMBER not in rates_summary.usable_months([SEPTEMBER])
    assert bodies(client, world) == live()


def test_without_the_triggers_no_summary_is_read_and_the_refresh_reinstalls_them(world, history):
    rates_summary.refresh_rate_summaries()
    rates_summary.drop_triggers()
    assert not rates_summary.triggers_installed()
    assert rates_summary.usable_months([SEPTEMBER]) == set()
    assert rates_summary.refresh_rate_summaries() == 10  # every month counted again
    assert rates_summary.triggers_installed()
    assert rates_summary.usable_months([SEPTEMBER]) == {SEPTEMBER}


def test_months_that_leave_the_window_are_dropped(world, history, time_machine):
    rates_summary.refresh_rate_summaries()
    time_machine.move_to(local(2027, 11, 20, 10), tick=False)
    rates_summary.refresh_rate_summaries()
    assert not RateMonth.objects.filter(month__lt=datetime.date(2026, 12, 1)).exists()
    assert not RateSummary.objects.filter(month__lt=datetime.date(2026, 12, 1)).exists()


def test_the_worker_refreshes_at_most_every_half_minute(world, history, monkeypatch):
    from zhenwu.jobs.services import run_follow_up_tasks

    monkeypatch.setattr(rates_summary, "_last_refresh", [None])
    assert run_follow_up_tasks() >= 10 and RateMonth.objects.count() == 10
    services.reopen_concern(september_concerns()[0], by=world.users.dispatcher, reason="再次反映")
    assert SEPTEMBER not in rates_summary.usable_months([SEPTEMBER])
    assert rates_summary._refresh_in_worker() == 0  # too soon: the month is counted live meanwhile
    monkeypatch.setattr(rates_summary, "_last_refresh", [rates_summary._last_refresh[0] - 31])
    assert rates_summary._refresh_in_worker() == 1
    assert SEPTEMBER in rates_summary.usable_months([SEPTEMBER])
