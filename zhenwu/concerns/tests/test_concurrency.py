"""Two people acting at once, on PostgreSQL: the row lock lets exactly one transition through,
double submissions make one concern, and reference numbers never collide."""

import threading

import pytest
from django.db import connection

from zhenwu.audit.services import verify_chain
from zhenwu.concerns import services
from zhenwu.concerns.models import Concern, ConcernEvent, Outcome, Status, Supervision
from zhenwu.concerns.services import ConcernError, TransitionNotAllowed

from .conftest import local

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def run_together(*calls):
    """Run the callables in threads released at the same moment; returns results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def worker(i, call):
        from django.db import connections

        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_dispatchers_dispatching_at_once_exactly_one_succeeds(world, submit):
    concern = services.accept_concern(submit().concern, by=world.users.dispatcher)
    results = run_together(
        *[
            (lambda dept=dept: services.dispatch_concern(concern, by=world.users.dispatcher, department=dept))
            for dept in [world.cast.urban, world.env] * 4
        ]
    )
    ok = [r for r in results if isinstance(r, Concern)]
    refused = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(ok) == 1 and len(refused) == 7, results
    assert all(r.message == "当前状态为已派单，不能派单" for r in refused)
    assert ConcernEvent.objects.filter(concern=concern, kind="dispatched").count() == 1
    concern.refresh_from_db()
    assert concern.department == ok[0].department
    assert verify_chain().ok


def test_resolve_and_return_at_once_only_one_happens(world, submit):
    concern = services.dispatch_concern(submit().concern, by=world.users.dispatcher)
    results = run_together(
        lambda: services.resolve_concern(
            concern, by=world.users.handler, outcome=Outcome.FIXED, text="已修好"
        ),
        lambda: services.return_concern(concern, by=world.users.town_admin, reason="非本部门职责"),
    )
    assert sum(isinstance(r, Concern) for r in results) == 1, results
    # The loser is told the state changed, or (once returned) that it no longer holds the concern.
    assert sum(isinstance(r, ConcernError) for r in results) == 1
    concern.refresh_from_db()
    assert concern.status in (Status.RESOLVED, Status.RETURNED)
    assert ConcernEvent.objects.filter(concern=concern, kind__in=["resolved", "returned"]).count() == 1


def test_a_double_tap_submitting_twice_at_once_makes_one_concern(world, submit):
    results = run_together(*[(lambda: submit(idempotency_key="tap-1")) for _ in range(4)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Concern.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert len({r.follow_token for r in results}) == 1
    assert Concern.objects.get().reference.endswith("-000001")  # the losers gave their number back


def test_concurrent_intake_gets_distinct_gap_free_reference_numbers(world, submit, time_machine):
    time_machine.move_to(local(2026, 5, 6, 9, 0))

    def five():
        return [submit().concern.reference for _ in range(5)]

    results = run_together(*[five for _ in range(6)])
    assert not [r for r in results if isinstance(r, Exception)], results
    references = sorted(ref for batch in results for ref in batch)
    assert references == [f"GQ-2026-{n:06d}" for n in range(1, 31)]
    assert verify_chain().ok


def test_escalation_run_twice_at_once_supervises_once(world, submit, time_machine):
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)
    services.dispatch_concern(submit().concern, by=world.users.dispatcher)
    time_machine.move_to(local(2026, 9, 30, 9, 0), tick=False)
    results = run_together(services.escalate_overdue_concerns, services.escalate_overdue_concerns)
    assert sum(r.supervisions for r in results) == 1, results
    assert Supervision.objects.count() == 1
