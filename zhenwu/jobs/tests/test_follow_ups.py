"""Follow-up tasks registered with the worker run on each pass; `run_worker --once` drains them."""

import io

import pytest
from django.core.management import call_command

from zhenwu.jobs import services


@pytest.fixture
def tasks(monkeypatch):
    registry = {}
    monkeypatch.setattr(services, "_FOLLOW_UPS", registry)
    return registry


def test_a_pass_runs_every_task_and_a_failing_one_does_not_stop_the_others(tasks, caplog):
    batches = [3, 2]

    @services.follow_up_task("broken")
    def broken():
        raise RuntimeError("boom")

    @services.follow_up_task("counter")
    def counter():
        return batches.pop(0) if batches else 0

    assert services.run_follow_up_tasks() == 3
    assert "follow-up task broken failed" in caplog.text
    assert services.run_follow_up_tasks() == 2
    assert services.run_follow_up_tasks() == 0


@pytest.mark.django_db
def test_run_worker_once_drains_the_follow_ups(tasks):
    left = [100, 100, 40]

    @services.follow_up_task("intakes")
    def intakes():
        return left.pop(0) if left else 0

    out = io.StringIO()
    call_command("run_worker", "--once", stdout=out)
    assert "240 follow-up item(s)" in out.getvalue() and left == []
