"""The department rates page sums one department × month grouping; the sums must be exactly what
the rates module computes directly for the coarser groups."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from zhenwu.concerns import services
from zhenwu.concerns.models import CallBackChannel, CallBackResult, Concern, Outcome
from zhenwu.concerns.rates import SKIP, RateRow, combine_rows, concern_rates, rate_cells, summarise

from .conftest import local


@pytest.fixture
def history(world, submit, time_machine):
    """Concerns over three months and two departments, in every state the rates count."""
    d, h, env = world.users.dispatcher, world.users.handler, world.env_handler
    plan = [
        (local(2026, 9, 7, 9), world.road, h, CallBackResult.SATISFIED, True, 1),
        (local(2026, 9, 14, 9), world.road, h, CallBackResult.UNSATISFIED, False, 3),
        (local(2026, 9, 21, 9), world.sanitation, env, CallBackResult.BASICALLY_SATISFIED, True, 6),
        (local(2026, 10, 12, 9), world.road, h, None, None, 2),
        (local(2026, 10, 13, 9), world.sanitation, env, CallBackResult.SATISFIED, False, 4),
        (local(2026, 11, 2, 9), world.sanitation, None, None, None, None),
        (local(2026, 11, 3, 9), world.road, h, CallBackResult.SATISFIED, True, 0),
    ]
    for received, category, handler, result, solved, resolve_after in plan:
        time_machine.move_to(received, tick=False)
        concern = submit(text=f"{category.name}问题", category=category).concern
        if handler is None:
            continue
        services.dispatch_concern(concern, by=d)
        if resolve_after is None:
            continue
        time_machine.move_to(received.replace(day=received.day + resolve_after), tick=False)
        services.resolve_concern(concern, by=handler, outcome=Outcome.FIXED, text="已处理")
        if result is not None:
            services.record_call_back(
                concern, result=result, solved=solved, channel=CallBackChannel.FOLLOW_PAGE,
                note="还没有解决" if result == CallBackResult.UNSATISFIED else "",
            )
    time_machine.move_to(local(2026, 11, 20, 10), tick=False)


FIELDS = (
    "received",
    "due_for_response",
    "responded_in_time",
    "assessed",
    "solved",
    "satisfied",
    "basically_satisfied",
    "unsatisfied",
    "resolved",
    "median_workdays",
)


def same(a, b):
    return {f: getattr(a, f) for f in FIELDS} == {f: getattr(b, f) for f in FIELDS}


def test_combined_cells_equal_the_rates_computed_directly(history):
    cells = concern_rates(by=("department", "month"))
    for dim in ("department", "month"):
        for direct in concern_rates(by=(dim,)):
            group = [c for c in cells if c.key[dim] == direct.key[dim]]
            assert same(combine_rows(group), direct), dim
    assert same(combine_rows(cells), concern_rates()[0])


def test_combining_nothing_gives_empty_rates():
    empty = combine_rows([])
    assert empty.received == 0 and empty.response_rate is None and empty.median_workdays is None


def test_the_page_for_one_month_and_one_department(client, world, history):
    page = client.get(
        "/concerns/board/rates/", {"month": "2026-09", "department": world.cast.urban.pk}
    ).content.decode()
    september = concern_rates(
        by=("department",), start=local(2026, 9, 1).date(), end=local(2026, 9, 30).date()
    )
    urban = next(r for r in september if r.key["department"] == world.cast.urban.pk)
    assert urban.received == 2 and urban.satisfaction_rate == 50
    assert "2026年9月登记的诉求" in page
    assert "城建办 · 按月" in page
    assert "50.0%" in page
    trend = page[page.index('data-testid="trend"') :]
    # the department's months, newest first, with its own counts (two in September)
    assert trend.index(">2026-11<") < trend.index(">2026-10<") < trend.index(">2026-09<")
    assert '<td data-label="月份">2026-09</td><td data-label="登记">2</td>' in trend


def test_the_rates_page_counts_each_concern_once_overall(client, world, history):
    page = client.get("/concerns/board/rates/").content.decode()
    assert "全部（7件）" in page


def test_summarised_cells_equal_the_rates_computed_directly(world, history):
    cells = rate_cells(by=("department", "month"))
    for dim, at in (("department", 0), ("month", 1)):
        summed = summarise(cells, lambda g, at=at: g[at])
        direct = concern_rates(by=(dim,))
        assert set(summed) == {r.key[dim] for r in direct}, dim
        for row in direct:
            assert same(summed[row.key[dim]], row), (dim, row.key)
    # a filtered grouping: the months of one department, the others left out
    urban = world.cast.urban
    months = summarise(cells, lambda g: g[1] if g[0] == urban.pk else SKIP)
    direct = concern_rates(queryset=Concern.objects.filter(department=urban), by=("month",))
    assert len(direct) == len(months) == 3
    for row in direct:
        assert same(months[row.key["month"]], row)
    assert same(summarise(cells, lambda g: ())[()], concern_rates()[0])


def test_figures_print_the_rates_and_the_median_as_the_page_shows_them():
    row = RateRow(
        key={},
        label="",
        due_for_response=8,
        responded_in_time=7,
        assessed=3,
        solved=2,
        satisfied=1,
        basically_satisfied=1,
        median_workdays=Decimal("2.5"),
    )
    assert row.figures == {
        "response": "87.5%", "response_width": "87.5",
        "resolution": "66.7%", "resolution_width": "66.7",
        "satisfaction": "66.7%", "satisfaction_width": "66.7",
        "median": "2.5",
    }  # fmt: skip
    assert RateRow(key={}, label="", median_workdays=Decimal(3)).figures["median"] == "3"
    empty = RateRow(key={}, label="").figures
    assert empty["response"] == "—" and empty["response_width"] == "0" and empty["median"] is None


@pytest.fixture
def page_cache(settings):
    settings.ZHENWU_PUBLIC_RATES_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def test_the_page_is_kept_a_minute_and_says_when_it_was_computed(
    client, world, history, submit, time_machine, page_cache
):
    first = client.get("/concerns/board/rates/").content.decode()
    assert "全部（7件）" in first and "数据更新于10:00" in first
    submit(text="路灯坏了", category=world.road)
    time_machine.shift(datetime.timedelta(seconds=59))
    assert (
        client.get("/concerns/board/rates/").content.decode().count("全部（7件）") == 1
    )  # a minute old at most
    time_machine.shift(datetime.timedelta(seconds=2))
    later = client.get("/concerns/board/rates/").content.decode()
    assert "全部（8件）" in later and "数据更新于10:01" in later


def test_each_town_month_and_department_has_its_own_entry_and_unknown_ones_share(
    client, world, history, page_cache
):
    urban = world.cast.urban.pk
    everything = client.get("/concerns/board/rates/").content.decode()
    september = client.get("/concerns/board/rates/", {"month": "2026-09"}).content.decode()
    assert "2026年9月登记的诉求" in september and "2026年9月登记的诉求" not in everything
    one = client.get("/concerns/board/rates/", {"department": urban}).content.decode()
    assert "城建办 · 按月" in one and "城建办 · 按月" not in everything
    # an unknown department, month or town shows (and is kept as) the page without it
    for params in ({"department": 999999}, {"department": "x"}, {"month": "1999-01"}, {"town": 999999}):
        assert _body(client.get("/concerns/board/rates/", params)) == _body(everything)
    assert len([k for k in cache._cache if "board_rates" in k]) == 3


def _body(page):
    page = page if isinstance(page, str) else page.content.decode()
    return page[page.index("<h1>办理成效</h1>") : page.index("这些数字怎么算")]
