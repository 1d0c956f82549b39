"""A home lesson (送学上门) queued on a phone (POST /offline/queue/, kind "lesson"): made once under
its key with the deliverer the office named; a member out of the recorder's scope is a form error
(422) and the record stays on the phone."""

import uuid

import pytest
from django.utils import timezone

from zhenwu.offline.models import SentRecord
from zhenwu.study.models import HomeLesson
from zhenwu.study.tests.conftest import build_study

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(cast):
    return build_study(cast)


def _lesson(member, item, key=None, **extra):
    data = {
        "key": key or str(uuid.uuid4()), "kind": "lesson", "target": "", "base": "",
        "recorded_at": timezone.now().isoformat(), "member": str(member.pk), "given_on": timezone.localdate().isoformat(),
        "items": [str(item.pk)], "content": "送读本上门，逐段学习。", "confirmation": "signed",
    }
    data.update(extra)
    return data


def test_a_queued_home_lesson_is_taken_once(cast, login, study):
    client = login(cast.users.secretary)
    data = _lesson(study.wang, study.class_item, mentor=str(study.zhao.pk))
    response = client.post("/offline/queue/", data)
    assert response.status_code == 201, response.content.decode()
    lesson = HomeLesson.objects.get(member=study.wang)
    assert lesson.mentor == study.zhao and lesson.recorded_by == cast.users.secretary and lesson.is_confirmed
    assert response.json()["message"] == "已登记为王五送学上门"
    assert response.json()["url"] == f"/study/home-lessons/{lesson.pk}/"
    again = client.post("/offline/queue/", data)
    assert again.status_code == 200 and again.json()["repeat"] is True
    assert HomeLesson.objects.filter(member=study.wang).count() == 1 and SentRecord.objects.count() == 1


def test_a_queued_lesson_without_deliverer_or_for_a_member_out_of_scope_is_refused(cast, login, study):
    client = login(cast.users.secretary)
    before = HomeLesson.objects.count()
    nobody = client.post("/offline/queue/", _lesson(study.wang, study.class_item))
    assert nobody.status_code == 422 and "请选择送学人" in nobody.json()["message"]
    elsewhere = client.post("/offline/queue/", _lesson(study.chen, study.class_item, mentor=str(study.zhao.pk)))
    assert elsewhere.status_code == 422 and "党员" in elsewhere.json()["message"]
    assert HomeLesson.objects.count() == before and not SentRecord.objects.exists()


def test_the_lesson_page_is_ready_for_the_queue(cast, login, study):
    page = login(cast.users.secretary).get("/study/home-lessons/new/").content.decode()
    assert 'data-offline-kind="lesson"' in page and 'name="idempotency_key"' in page
