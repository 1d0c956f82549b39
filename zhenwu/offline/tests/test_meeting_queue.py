"""A 民情茶室 meeting queued on a phone (POST /offline/queue/, kind "meeting"): the meeting and the
concerns raised at it are made once under the record's key; a village out of scope answers 409,
form errors 422. The page form takes the same optional concern rows."""

import uuid

import pytest
from django.utils import timezone

from zhenwu.concerns.models import Category, Channel, Concern
from zhenwu.grid.models import Meeting, MeetingConcern
from zhenwu.offline.models import SentRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(cast):
    return Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=10
    )


def _meeting(area, category, key=None, **extra):
    data = {
        "key": key or str(uuid.uuid4()), "kind": "meeting", "target": str(area.pk), "base": "",
        "recorded_at": timezone.now().isoformat(), "area": str(area.pk), "title": "民情茶室",
        "held_on": timezone.localdate().isoformat(), "place": "九龙村文化广场", "host": "黎书记", "guest_count": "6",
        "minutes": "群众反映路灯。", "text_1": "村口路灯坏了三盏。", "category_1": str(category.pk),
        "reporter_name_1": "黎明",
    }
    data.update(extra)
    return data


def test_a_queued_meeting_and_its_concern_are_taken_once(cast, login, category):
    client = login(cast.users.secretary)
    data = _meeting(cast.jiulong, category)
    response = client.post("/offline/queue/", data)
    assert response.status_code == 201, response.content.decode()
    meeting = Meeting.objects.get()
    concern = Concern.objects.get()
    assert concern.channel == Channel.TEA_ROOM and concern.text == "村口路灯坏了三盏。"
    assert MeetingConcern.objects.get().meeting == meeting
    body = response.json()
    assert "九龙村的民情茶室已登记" in body["message"] and concern.reference in body["message"]
    assert body["url"] == f"/grid/meetings/{meeting.pk}/"

    again = client.post("/offline/queue/", data)
    assert again.status_code == 200 and again.json()["repeat"] is True
    assert Meeting.objects.count() == 1 and Concern.objects.count() == 1 and SentRecord.objects.count() == 1


def test_a_meeting_of_a_village_out_of_scope_or_with_errors_is_kept_on_the_phone(cast, login, category):
    client = login(cast.users.secretary)
    elsewhere = client.post("/offline/queue/", _meeting(cast.jizhen, category))
    assert elsewhere.status_code == 409 and "不在您的管辖范围内" in elsewhere.json()["message"]
    bad = client.post("/offline/queue/", _meeting(cast.jiulong, category, place="", category_1=""))
    assert bad.status_code == 422
    assert "地点" in bad.json()["message"]
    unfiled = client.post("/offline/queue/", _meeting(cast.jiulong, category, category_1=""))
    assert unfiled.status_code == 422 and "第1条：请选择诉求类别" in unfiled.json()["message"]
    assert not Meeting.objects.exists() and not Concern.objects.exists()  # all or nothing
    assert login(cast.users.handler).post("/offline/queue/", _meeting(cast.jiulong, category)).status_code == 403


def test_the_meeting_page_records_a_concern_with_the_meeting(cast, login, category):
    client = login(cast.users.secretary)
    page = client.get("/grid/meetings/new/").content.decode()
    assert 'data-offline-kind="meeting"' in page and "当场反映的诉求" in page
    data = _meeting(cast.jiulong, category, idempotency_key=str(uuid.uuid4()))
    response = client.post(f"/grid/meetings/new/?area={cast.jiulong.pk}", data)
    assert response.status_code == 302
    assert MeetingConcern.objects.get().meeting == Meeting.objects.get()
    without = client.post("/grid/meetings/new/", _meeting(cast.jiulong, category, text_1="", category_1=""))
    assert without.status_code == 302 and Meeting.objects.count() == 2 and Concern.objects.count() == 1
