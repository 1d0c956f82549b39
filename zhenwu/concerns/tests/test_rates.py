"""The three rates and the median on a fixed, hand-made data set (values computed by hand in the
table below), plus one run through the real workflow.

 id received  cat   village dept  due/responded          call-back          resolved(wd) status
 A  09-03     road  九龙    城建  in time                满意, solved       2            closed
 B  09-10     road  九龙    城建  late                   基本满意, solved   6            closed
 C  09-15     road  集镇    城建  in time                不满意, unsolved   (reopened)   in_progress
 D  09-20     san.  集镇    环保  none, deadline passed  —                  —            dispatched
 E  10-05     san.  九龙    环保  in time                满意, unsolved     3            closed
 F  10-28     road  九龙    城建  none, deadline ahead   —                  —            dispatched
 G  10-12     road  集镇    —     (not dispatched)       —                  —            received
 H  10-15     road  九龙    城建  in time                满意, solved       1            duplicate (left out)
 I  10-20     road  九龙    城建  in time                (closed unreached) 4            closed
 J  09-25     san.  九龙    —     (declined)             —                  —            declined
"""

import datetime
import itertools
from decimal import Decimal

import pytest

from zhenwu.concerns import services
from zhenwu.concerns.models import Concern, Outcome, Status
from zhenwu.concerns.rates import concern_rates, median_from_histogram

from .conftest import local

NOW = local(2026, 11, 1, 12, 0)
_seq = itertools.count(1)


def make(world, *, received, category, village, department=None, responded=None, response_due=None, **fields):
    n = next(_seq)
    received_at = local(2026, *received, 10, 0)
    return Concern.objects.create(
        reference=f"T-{n:04d}",
        channel="web",
        title=f"测试{n}",
        text="测试",
        category=category,
        area=village,
        village=village,
        town=world.cast.town,
        follow_token_hash=f"{n:064d}",
        received_at=received_at,
        received_month=received_at.date().replace(day=1),
        response_due=response_due or received_at + datetime.timedelta(days=2),
        resolution_due=received_at + datetime.timedelta(days=10),
        department=department,
        dispatched_at=received_at + datetime.timedelta(hours=2) if department else None,
        responded_at=responded,
        **fields,
    )


@pytest.fixture
def data(world):
    c = world.cast
    road, san = world.road, world.sanitation
    urban, env = c.urban, world.env
    jl, jz = c.jiulong, c.jizhen

    def in_time(m, d):
        return local(2026, m, d, 15, 0)

    def late(m, d):
        return local(2026, m, d + 5, 15, 0)

    rows = {}
    rows["A"] = make(
        world, received=(9, 3), category=road, village=jl, department=urban, responded=in_time(9, 3),
        callback_result="satisfied", callback_solved=True, callback_at=NOW,
        resolved_at=local(2026, 9, 7, 10, 0), resolution_workdays=2, status=Status.CLOSED,
    )  # fmt: skip
    rows["B"] = make(
        world, received=(9, 10), category=road, village=jl, department=urban, responded=late(9, 10),
        callback_result="basically_satisfied", callback_solved=True, callback_at=NOW,
        resolved_at=local(2026, 9, 18, 10, 0), resolution_workdays=6, status=Status.CLOSED,
    )  # fmt: skip
    rows["C"] = make(
        world, received=(9, 15), category=road, village=jz, department=urban, responded=in_time(9, 15),
        callback_result="unsatisfied", callback_solved=False, callback_at=NOW,
        reopen_count=1, status=Status.IN_PROGRESS,
    )  # fmt: skip
    rows["D"] = make(
        world, received=(9, 20), category=san, village=jz, department=env, status=Status.DISPATCHED
    )
    rows["E"] = make(
        world, received=(10, 5), category=san, village=jl, department=env, responded=in_time(10, 5),
        callback_result="satisfied", callback_solved=False, callback_at=NOW,
        resolved_at=local(2026, 10, 9, 10, 0), resolution_workdays=3, status=Status.CLOSED,
    )  # fmt: skip
    rows["F"] = make(
        world, received=(10, 28), category=road, village=jl, department=urban,
        response_due=local(2026, 11, 3, 23, 59), status=Status.DISPATCHED,
    )  # fmt: skip
    rows["G"] = make(world, received=(10, 12), category=road, village=jz, status=Status.RECEIVED)
    rows["H"] = make(
        world, received=(10, 15), category=road, village=jl, department=urban, responded=in_time(10, 15),
        callback_result="satisfied", callback_solved=True, callback_at=NOW,
        resolved_at=local(2026, 10, 16, 10, 0), resolution_workdays=1, status=Status.DUPLICATE,
        duplicate_of=rows["A"],
    )  # fmt: skip
    rows["I"] = make(
        world, received=(10, 20), category=road, village=jl, department=urban, responded=in_time(10, 20),
        resolved_at=local(2026, 10, 26, 10, 0), resolution_workdays=4, status=Status.CLOSED,
    )  # fmt: skip
    rows["J"] = make(world, received=(9, 25), category=san, village=jl, status=Status.DECLINED)
    return rows


def figures(row):
    return (
        row.received,
        row.due_for_response,
        row.responded_in_time,
        row.response_rate,
        row.assessed,
        row.solved,
        row.resolution_rate,
        row.satisfaction_rate,
        row.median_workdays,
    )


def by_label(rows):
    return {row.label: figures(row) for row in rows}


P = Decimal


def test_overall_rates_match_the_hand_computed_values(data, django_assert_num_queries):
    with django_assert_num_queries(2):
        (row,) = concern_rates(now=NOW)
    assert row.label == "全部"
    assert figures(row) == (9, 6, 4, P("66.7"), 4, 2, P("50.0"), P("75.0"), P("3.5"))
    assert (row.satisfied, row.basically_satisfied, row.unsatisfied, row.resolved) == (2, 1, 1, 4)


def test_rates_by_department(data):
    assert by_label(concern_rates(by="department", now=NOW)) == {
        "城建办": (5, 4, 3, P("75.0"), 3, 2, P("66.7"), P("66.7"), P("4")),
        "环保办": (2, 2, 1, P("50.0"), 1, 0, P("0.0"), P("100.0"), P("3")),
        "未派单": (2, 0, 0, None, 0, 0, None, None, None),
    }


def test_rates_by_month_use_the_local_month_of_receipt(data):
    rows = concern_rates(by="month", now=NOW)
    assert [row.key["month"] for row in rows] == [datetime.date(2026, 9, 1), datetime.date(2026, 10, 1)]
    assert by_label(rows) == {
        "2026-09": (5, 4, 2, P("50.0"), 3, 2, P("66.7"), P("66.7"), P("4")),
        "2026-10": (4, 2, 2, P("100.0"), 1, 0, P("0.0"), P("100.0"), P("3.5")),
    }


def test_rates_by_village_and_by_category(data):
    assert by_label(concern_rates(by="village", now=NOW)) == {
        "九龙村": (6, 4, 3, P("75.0"), 3, 2, P("66.7"), P("100.0"), P("3.5")),
        "集镇村": (3, 2, 1, P("50.0"), 1, 0, P("0.0"), P("0.0"), None),
    }
    assert by_label(concern_rates(by="category", now=NOW)) == {
        "道路交通": (6, 4, 3, P("75.0"), 3, 2, P("66.7"), P("66.7"), P("4")),
        "环境卫生": (3, 2, 1, P("50.0"), 1, 0, P("0.0"), P("100.0"), P("3")),
    }


def test_rates_by_department_and_month(data, django_assert_num_queries):
    with django_assert_num_queries(3):  # counts, histogram, department names
        rows = by_label(concern_rates(by=("department", "month"), now=NOW))
    assert rows["城建办 · 2026-09"] == (3, 3, 2, P("66.7"), 3, 2, P("66.7"), P("66.7"), P("4"))
    assert rows["城建办 · 2026-10"] == (2, 1, 1, P("100.0"), 0, 0, None, None, P("4"))


def test_a_period_and_a_scope_narrow_the_population(data, world):
    (row,) = concern_rates(now=NOW, start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 31))
    assert row.received == 4
    scoped = Concern.objects.visible_to(world.users.secretary)  # 九龙村
    (row,) = concern_rates(queryset=scoped, now=NOW)
    assert row.received == 6


def test_a_pending_response_counts_once_its_deadline_passes(data):
    (row,) = concern_rates(now=local(2026, 11, 4, 9, 0))
    assert (row.due_for_response, row.responded_in_time) == (7, 4)


def test_the_month_boundary_follows_beijing_time(submit, time_machine):
    utc = datetime.UTC
    time_machine.move_to(datetime.datetime(2026, 9, 30, 15, 30, tzinfo=utc), tick=False)  # 23:30 in Beijing
    late_september = submit().concern
    time_machine.move_to(datetime.datetime(2026, 9, 30, 16, 30, tzinfo=utc), tick=False)  # 00:30 on 1 Oct
    early_october = submit().concern
    assert late_september.received_month == datetime.date(2026, 9, 1)
    assert early_october.received_month == datetime.date(2026, 10, 1)
    rows = {row.label: row.received for row in concern_rates(by="month", now=NOW)}
    assert rows == {"2026-09": 1, "2026-10": 1}
    (row,) = concern_rates(now=NOW, start=datetime.date(2026, 10, 1))
    assert row.received == 1


def test_an_empty_scope_gives_no_groups_and_zero_totals(data):
    nothing = Concern.objects.none()
    assert concern_rates(queryset=nothing, by=("department", "month"), now=NOW) == []
    assert concern_rates(queryset=Concern.objects.filter(pk__in=[]), by="village", now=NOW) == []
    (row,) = concern_rates(queryset=nothing, now=NOW)
    assert (row.received, row.response_rate, row.median_workdays) == (0, None, None)


def test_unknown_dimensions_are_refused():
    with pytest.raises(ValueError):
        concern_rates(by="colour")


def test_median_of_a_histogram():
    assert median_from_histogram({}) is None
    assert median_from_histogram({5: 1}) == 5
    assert median_from_histogram({1: 1, 2: 1, 9: 2}) == P("5.5")
    assert median_from_histogram({0: 3, 7: 1}) == 0


def test_the_workflow_feeds_the_rates(submit, world, time_machine):
    u = world.users
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    concern = services.dispatch_concern(submit().concern, by=u.dispatcher)
    services.post_update(concern, by=u.handler, text="已联系", public=True)
    time_machine.move_to(local(2026, 9, 30, 9, 0), tick=False)
    services.resolve_concern(concern, by=u.handler, outcome=Outcome.FIXED, text="已修复")
    services.record_call_back(concern, by=u.dispatcher, result="satisfied", solved=True)
    (row,) = concern_rates()
    assert figures(row) == (1, 1, 1, P("100.0"), 1, 1, P("100.0"), P("100.0"), P("2"))


def test_the_concerns_behind_each_rate_are_those_the_rate_divides(data, world, time_machine):
    """The dashboard's rate cards open these lists (reports.drilldown): on the hand-made table the
    lists hold exactly the hand-counted concerns, and state the rate the table gives."""
    from zhenwu.reports.drilldown import FIGURES
    from zhenwu.reports.filters import Filter

    time_machine.move_to(NOW, tick=False)
    leader = world.cast.users.leader
    flt = Filter(start=datetime.date(2026, 9, 1), end=datetime.date(2026, 10, 31), area=world.cast.town)

    def titles(key):
        figure = FIGURES[key]
        records = list(figure.records(leader, flt))
        assert figure.count(leader, flt) == len(records)
        return {next(k for k, row in data.items() if row.pk == c.pk) for c in records}

    assert titles("response_due") == {"A", "B", "C", "D", "E", "I"}  # F not yet due, G not dispatched
    assert titles("responded_in_time") == {"A", "C", "E", "I"}
    assert titles("assessed") == {"A", "B", "C", "E"}  # H merged, I closed without a call-back
    assert titles("solved") == {"A", "B"}
    assert titles("satisfied") == {"A", "B", "E"}
    assert titles("resolution_time") == {"A", "B", "E", "I"}
    assert FIGURES["response_due"].summary(leader, flt) == "响应率 66.7% = 按时响应 4 件 ÷ 应响应 6 件"
    assert FIGURES["assessed"].summary(leader, flt) == "解决率 50.0% = 确认解决 2 件 ÷ 已回访 4 件"
    assert FIGURES["satisfied"].summary(leader, flt) == "满意率 75.0% = 满意和基本满意 3 件 ÷ 已回访 4 件"
    assert FIGURES["resolution_time"].summary(leader, flt).startswith("办结用时中位数 3.5 个工作日")
