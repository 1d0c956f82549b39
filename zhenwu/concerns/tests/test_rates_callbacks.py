"""联系不上 and reopenings in the rates: a hand-made table (values computed by hand below), the
same through the workflow, and a property test of the counting function (rates.concern_rates)
against an independent count of generated call-back histories.

 id  latest call-back            history                               status       resolved
 K   满意, solved                                                         closed       yes
 L   基本满意, solved                                                     closed       yes
 M   不满意, unsolved            reopened, being handled again             in_progress  no
 N   满意, solved                不满意 first, reopened, resolved again    closed       yes
 O   联系不上                    3 working days without an answer          closed       yes
 P   联系不上                    不满意 first, reopened, resolved, 联系不上  closed       yes
 Q   —                           waiting for its call-back                  resolved     yes
 R   满意, solved                merged duplicate (left out)                duplicate    yes

 received 7 · assessed (K L M N) 4 · solved (K L N) 3 · 解决率 75.0% · 满意 (K N) 2 + 基本满意 (L) 1
 → 满意率 75.0% · 不满意 1 · 联系不上 (O P) 2 · resolved 6. Were 联系不上 counted as assessed, 满意率
 would read 3/6 = 50.0%.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from zhenwu.concerns import callbacks, figures, services
from zhenwu.concerns.models import Concern, Status
from zhenwu.concerns.rates import concern_rates

from .conftest import local
from .staff_helpers import in_state
from .test_rates import NOW, make

P = Decimal


def _table(world):
    c = world.cast
    common = dict(category=world.road, village=c.jiulong, department=c.urban, responded=local(2026, 9, 3, 15, 0))
    done = dict(resolved_at=local(2026, 9, 7, 10, 0), resolution_workdays=2)
    rows = {
        "K": dict(callback_result="satisfied", callback_solved=True, callback_at=NOW, status=Status.CLOSED, **done),
        "L": dict(callback_result="basically_satisfied", callback_solved=True, callback_at=NOW, status=Status.CLOSED,
                  **done),
        "M": dict(callback_result="unsatisfied", callback_solved=False, callback_at=NOW, reopen_count=1,
                  status=Status.IN_PROGRESS),
        "N": dict(callback_result="satisfied", callback_solved=True, callback_at=NOW, reopen_count=1,
                  status=Status.CLOSED, **done),
        "O": dict(callback_result="unreachable", callback_solved=None, callback_at=NOW, status=Status.CLOSED, **done),
        "P": dict(callback_result="unreachable", callback_solved=None, callback_at=NOW, reopen_count=1,
                  status=Status.CLOSED, **done),
        "Q": dict(status=Status.RESOLVED, **done),
    }
    made = {key: make(world, received=(9, 3), **common, **fields) for key, fields in rows.items()}
    made["R"] = make(world, received=(9, 3), **common, callback_result="satisfied", callback_solved=True,
                     callback_at=NOW, status=Status.DUPLICATE, duplicate_of=made["K"], **done)
    return made


def test_unreachable_is_counted_on_its_own_outside_both_denominators(world, django_assert_num_queries):
    _table(world)
    with django_assert_num_queries(2):
        (row,) = concern_rates(now=NOW)
    assert (row.received, row.assessed, row.solved, row.resolution_rate) == (7, 4, 3, P("75.0"))
    assert (row.satisfied, row.basically_satisfied, row.unsatisfied) == (2, 1, 1)
    assert row.satisfaction_rate == P("75.0")
    assert (row.unreachable, row.resolved) == (2, 6)


def test_the_concerns_behind_unreachable_and_assessed_are_the_hand_counted_ones(world):
    made = _table(world)
    names = {c.pk: key for key, c in made.items()}
    scope = dict(start=datetime.date(2026, 9, 1), end=datetime.date(2026, 9, 30), now=NOW)
    assert {names[c.pk] for c in figures.rate_records("assessed", **scope)} == {"K", "L", "M", "N"}
    assert {names[c.pk] for c in figures.rate_records("unreachable", **scope)} == {"O", "P"}


def test_the_workflow_feeds_unreachable_and_reopenings_into_the_rates(submit, world, time_machine):
    """Two concerns received on Mon 28 Sep 2026: one unsatisfied, reopened, resolved again and then
    not reachable on three working days; one without a phone, 联系不上 at once."""
    d = world.users.dispatcher
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    first = in_state("resolved", submit=submit, world=world)
    no_phone = in_state("resolved", submit=submit, world=world, reporter_phone="")
    services.record_call_back(first, by=d, result="unsatisfied", solved=False, note="还在漏水")
    (row,) = concern_rates()
    assert (row.assessed, row.unsatisfied, row.unreachable, row.satisfaction_rate) == (1, 1, 0, P("0.0"))

    callbacks.record_unreachable(no_phone, by=d, reason="来电未留电话")
    services.resolve_concern(first, by=world.users.handler, outcome="fixed", text="管道已更换")
    for day in (29, 30):
        time_machine.move_to(local(2026, 9, day, 10, 0), tick=False)
        callbacks.record_call_back_attempt(first, by=d)
    time_machine.move_to(local(2026, 10, 9, 10, 0), tick=False)  # after the 国庆 holiday (1–7 Oct)
    callbacks.record_call_back_attempt(first, by=d)
    callbacks.record_unreachable(first, by=d)
    (row,) = concern_rates()
    assert (row.received, row.assessed, row.unsatisfied, row.unreachable) == (2, 0, 0, 2)
    assert (row.resolution_rate, row.satisfaction_rate, row.resolved) == (None, None, 2)
    assert Concern.objects.get(pk=first.pk).reopen_count == 1


# --- the counting function against an independent count --------------------------------------------

EXAMPLES = settings(max_examples=25, deadline=None, derandomize=True,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])

# A concern's latest call-back as the row keeps it: (result, solved), or none yet.
LATEST = st.sampled_from([
    ("", None), ("satisfied", True), ("satisfied", False), ("basically_satisfied", True),
    ("basically_satisfied", False), ("unsatisfied", False), ("unsatisfied", True), ("unreachable", None),
])
HISTORY = st.tuples(
    LATEST,
    st.integers(0, 2),  # reopenings before it
    st.sampled_from([9, 10]),  # month received
    st.booleans(),  # a merged duplicate (left out)
)


def _independent_count(histories):
    """Counted from the generated tuples alone, by the written definitions."""
    counts = {}
    for (result, solved), _reopened, month, duplicate in histories:
        if duplicate:
            continue
        c = counts.setdefault(month, dict(received=0, assessed=0, solved=0, satisfied=0, basically_satisfied=0,
                                          unsatisfied=0, unreachable=0))
        c["received"] += 1
        if result == "unreachable":
            c["unreachable"] += 1
        elif result:
            c["assessed"] += 1
            c["solved"] += solved
            c[result] += 1
    return counts


def test_the_rates_count_verdicts_and_unreachable_as_an_independent_count_does(world):
    keep = make(world, received=(9, 1), category=world.road, village=world.cast.jiulong, status=Status.RECEIVED)

    @EXAMPLES
    @given(st.lists(HISTORY, max_size=12))
    def check(histories):
        with transaction.atomic():
            for (result, solved), reopened, month, duplicate in histories:
                status = Status.DUPLICATE if duplicate else (
                    Status.RESOLVED if not result else Status.IN_PROGRESS if result == "unsatisfied" else Status.CLOSED)
                make(world, received=(month, 5), category=world.road, village=world.cast.jiulong,
                     department=world.cast.urban, callback_result=result, callback_solved=solved,
                     callback_at=NOW if result else None, reopen_count=reopened, status=status,
                     duplicate_of=keep if duplicate else None)
            expected = _independent_count(histories)
            expected.setdefault(9, dict(received=0, assessed=0, solved=0, satisfied=0, basically_satisfied=0,
                                        unsatisfied=0, unreachable=0))
            expected[9]["received"] += 1  # `keep`
            rows = {row.key["month"].month: row for row in concern_rates(by="month", now=NOW)}
            assert set(rows) == set(expected)
            for month, want in expected.items():
                got = {name: getattr(rows[month], name) for name in want}
                assert got == want
                assessed = want["assessed"]
                share = want["satisfied"] + want["basically_satisfied"]
                assert rows[month].satisfaction_rate == (
                    None if not assessed else (P(share) * 100 / assessed).quantize(P("0.1"), rounding="ROUND_HALF_UP"))
            transaction.set_rollback(True)

    check()
