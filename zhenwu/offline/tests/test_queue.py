"""POST /offline/queue/: a record queued on a phone is taken once under its key; a changed target
answers 409 with a Chinese reason, and a resend after the user checked it is taken."""

import datetime
import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from zhenwu.grid.models import HouseholdLink, Visit
from zhenwu.offline.models import SentRecord
from zhenwu.org import services as org_services

pytestmark = pytest.mark.django_db


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 160, 90)).save(buffer, "JPEG")
    return SimpleUploadedFile("现场.jpg", buffer.getvalue(), content_type="image/jpeg")


def _visit(household, key=None, **extra):
    data = {
        "key": key or str(uuid.uuid4()), "kind": "visit", "target": str(household.pk), "base": str(household.grid_id),
        "recorded_at": timezone.now().isoformat(), "visited_on": timezone.localdate().isoformat(), "way": "home",
        "notes": "老人身体还好，家里漏雨。",
    }
    data.update(extra)
    return data


def test_a_queued_visit_with_a_photo_is_taken_once_and_a_repeat_gets_the_first_answer(cast, login, settings,
                                                                                      tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    client = login(cast.users.grid_worker)
    data = _visit(cast.households.jiulong, photo=_jpeg())
    response = client.post("/offline/queue/", data)
    assert response.status_code == 201, response.content.decode()
    body = response.json()
    assert body["ok"] is True and "JL-0001的走访已登记" in body["message"]
    assert body["url"] == f"/grid/households/{cast.households.jiulong.pk}/"
    visit = Visit.objects.get()
    assert visit.photo and visit.photo_content_type == "image/jpeg" and visit.recorded_by == cast.users.grid_worker
    receipt = SentRecord.objects.get()
    assert receipt.key == data["key"] and receipt.object_id == visit.pk and receipt.recorded_at is not None

    data["photo"] = _jpeg()
    again = client.post("/offline/queue/", data)
    assert again.status_code == 200
    assert again.json()["repeat"] is True and again.json()["url"] == body["url"]
    assert Visit.objects.count() == 1 and SentRecord.objects.count() == 1


def test_a_household_that_moved_while_the_visit_waited_answers_409_and_a_checked_resend_is_taken(cast, login):
    HouseholdLink.objects.create(member=cast.members.jiulong, household=cast.households.jiulong,
                                 grid_id=cast.households.jiulong.grid_id,
                                 started_on=timezone.localdate() - datetime.timedelta(days=40))
    data = _visit(cast.households.jiulong)
    org_services.update_household(cast.households.jiulong, grid=cast.jiulong_grid2, address="九龙村二组18号")
    client = login(cast.users.member)
    response = client.post("/offline/queue/", data)
    assert response.status_code == 409
    body = response.json()
    assert body["conflict"] is True and body["base"] == str(cast.jiulong_grid2.pk)
    assert "JL-0001已迁至九龙村第二网格" in body["message"] and "九龙村二组18号" in body["message"]
    assert not Visit.objects.exists() and not SentRecord.objects.exists()

    resent = client.post("/offline/queue/", {**data, "base": body["base"]})
    assert resent.status_code == 201
    assert Visit.objects.get().member == cast.members.jiulong


def test_a_household_moved_out_of_the_grid_workers_grid_cannot_be_sent(cast, login):
    data = _visit(cast.households.jiulong)
    org_services.update_household(cast.households.jiulong, grid=cast.jiulong_grid2)
    response = login(cast.users.grid_worker).post("/offline/queue/", {**data, "confirmed": "1"})
    assert response.status_code == 409
    assert "不在您的走访范围内" in response.json()["message"]
    assert not Visit.objects.exists()


def test_form_errors_come_back_in_chinese_naming_the_field(cast, login):
    client = login(cast.users.grid_worker)
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    response = client.post("/offline/queue/", _visit(cast.households.jiulong, visited_on=future))
    assert response.status_code == 422
    assert "走访日期：走访日期不能晚于今天" in response.json()["message"]
    response = client.post("/offline/queue/", _visit(cast.households.jiulong, notes="", way="boat"))
    assert response.status_code == 422 and "走访方式：" in response.json()["message"]
    assert not Visit.objects.exists() and not SentRecord.objects.exists()


def test_another_account_cannot_replay_someone_elses_key(cast, login, client):
    data = _visit(cast.households.jiulong)
    assert login(cast.users.grid_worker).post("/offline/queue/", data).status_code == 201
    client.post("/accounts/logout/")
    response = login(cast.users.secretary).post("/offline/queue/", data)
    assert response.status_code == 409 and "其他账号" in response.json()["message"]
    assert Visit.objects.count() == 1


def test_signed_out_desk_roles_and_bad_keys_are_refused_with_json(cast, login, client):
    data = _visit(cast.households.jiulong)
    assert client.post("/offline/queue/", data).status_code == 401
    assert login(cast.users.dispatcher).post("/offline/queue/", data).status_code == 403
    client.post("/accounts/logout/")
    grid = login(cast.users.grid_worker)
    assert grid.post("/offline/queue/", {**data, "key": "x; drop"}).json()["message"] == "提交标识不正确，请删除这条记录后重新填写"
    assert grid.post("/offline/queue/", {**data, "kind": "nothing"}).status_code == 400
    assert not Visit.objects.exists()
