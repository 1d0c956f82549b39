"""Phones report their queue's size and oldest record time (POST /offline/queue/summary/); a
secretary sees the workers whose records have waited more than a day (/offline/workers/)."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.utils import timezone

from zhenwu.offline import services
from zhenwu.offline.models import QueueSummary

pytestmark = pytest.mark.django_db

URL = "/offline/queue/summary/"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()
    yield
    cache.clear()


def _post(client, body):
    return client.post(URL, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def test_a_phone_reports_its_queue_and_the_report_is_replaced_not_added(cast, login):
    client = login(cast.users.grid_worker)
    oldest = timezone.now() - datetime.timedelta(hours=30)
    assert _post(client, {"count": 3, "oldest": oldest.isoformat()}).status_code == 204
    summary = QueueSummary.objects.get(user=cast.users.grid_worker)
    assert summary.waiting == 3 and abs((summary.oldest_at - oldest).total_seconds()) < 1
    assert _post(client, {"count": 0, "oldest": None}).status_code == 204
    summary = QueueSummary.objects.get(user=cast.users.grid_worker)
    assert (summary.waiting, summary.oldest_at) == (0, None)
    # A phone clock in the future counts as now, not as days ahead.
    _post(client, {"count": 1, "oldest": (timezone.now() + datetime.timedelta(days=3)).isoformat()})
    assert QueueSummary.objects.get().oldest_at <= timezone.now()


def test_the_report_is_bounded_checked_authenticated_and_rate_limited(cast, login, client, settings):
    assert _post(client, {"count": 1}).status_code == 401
    assert _post(login(cast.users.handler), {"count": 1}).status_code == 403
    client = login(cast.users.grid_worker)
    assert _post(client, "x" * 300).status_code == 413
    for bad in ({"count": -1}, {"count": "3"}, {"count": True}, {"oldest": None}, "[1]", "不是JSON",
                {"count": 1, "oldest": "yesterday"}, {"count": 1, "oldest": "2026-12-01T10:00:00"}):
        assert _post(client, bad).status_code == 400, bad
    assert not QueueSummary.objects.exists()
    settings.ZHENWU_QUEUE_SUMMARY_RATE = "3/h"
    answers = [_post(client, {"count": 0}).status_code for _ in range(4)]
    assert answers[-1] == 429 and answers[:2] == [204, 204]


def test_the_secretary_sees_their_workers_with_records_older_than_a_day(cast, login):
    now = timezone.now()
    services.report_queue(user=cast.users.grid_worker, waiting=2, oldest_at=now - datetime.timedelta(hours=25))
    services.report_queue(user=cast.users.member, waiting=1, oldest_at=now - datetime.timedelta(hours=3))  # fresh
    services.report_queue(user=cast.users.other_grid_worker, waiting=5,  # another village's worker
                          oldest_at=now - datetime.timedelta(days=3))
    client = login(cast.users.secretary)
    page = client.get("/offline/workers/").content.decode()
    assert "grid1" in page and "待发送2条" in page
    assert "member1" not in page and "grid2" not in page
    assert "待发送提醒" in client.get("/offline/").content.decode()

    services.report_queue(user=cast.users.member, waiting=1, oldest_at=now - datetime.timedelta(hours=26))
    assert "member1" in client.get("/offline/workers/").content.decode()  # a member of the secretary's branch
    services.report_queue(user=cast.users.grid_worker, waiting=0, oldest_at=None)  # sent since
    assert "grid1" not in client.get("/offline/workers/").content.decode()

    town = login(cast.users.town_admin).get("/offline/workers/").content.decode()
    assert "grid2" in town and "member1" in town
    assert login(cast.users.grid_worker).get("/offline/workers/").status_code == 403
