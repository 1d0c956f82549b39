"""A concern registered on a resident's behalf (登记诉求) queued on a grid worker's or a secretary's
phone (POST /offline/queue/, kind "report"): made once under the record's key; a place no longer
in the user's area or a role withdrawn answers 409 with the reason, form errors 422."""

import uuid

import pytest
from django.utils import timezone

from zhenwu.concerns.models import Category, Channel, Concern
from zhenwu.core.roles import Role
from zhenwu.offline.models import SentRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(cast):
    return Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=10
    )


def _report(area, category, key=None, **extra):
    data = {
        "key": key or str(uuid.uuid4()), "kind": "report", "target": "", "base": "",
        "recorded_at": timezone.now().isoformat(), "channel": Channel.WALK_IN, "text": "村口路灯坏了三盏，晚上看不见路。",
        "title": "", "category": str(category.pk), "area": str(area.pk), "address": "九龙村村口",
        "urgency": "normal", "reporter_name": "黎明", "reporter_phone": "13912345678", "submission_key": "",
    }
    data.update(extra)
    return data


def test_a_queued_report_is_registered_once(cast, login, category):
    client = login(cast.users.grid_worker)
    data = _report(cast.jiulong_grid, category)
    response = client.post("/offline/queue/", data)
    assert response.status_code == 201, response.content.decode()
    concern = Concern.objects.get()
    assert concern.registered_by == cast.users.grid_worker and concern.channel == Channel.WALK_IN
    assert concern.reporter_phone == "13912345678" and concern.area == cast.jiulong_grid
    assert concern.idempotency_key == data["key"]
    assert response.json()["message"] == f"诉求已登记，编号{concern.reference}"
    assert response.json()["url"] == f"/concerns/{concern.pk}/"
    again = client.post("/offline/queue/", data)
    assert again.status_code == 200 and again.json()["repeat"] is True
    assert Concern.objects.count() == 1 and SentRecord.objects.get().kind == "report"


def test_a_place_out_of_the_area_or_a_withdrawn_role_is_a_conflict_and_errors_are_422(cast, login, category):
    client = login(cast.users.grid_worker)
    elsewhere = client.post("/offline/queue/", _report(cast.jizhen_grid, category))
    assert elsewhere.status_code == 409 and "已不在您的管辖范围内" in elsewhere.json()["message"]
    empty = client.post("/offline/queue/", _report(cast.jiulong_grid, category, text=""))
    assert empty.status_code == 422 and "诉求内容" in empty.json()["message"]
    bad_phone = client.post("/offline/queue/", _report(cast.jiulong_grid, category, reporter_phone="12345"))
    assert bad_phone.status_code == 422 and "电话" in bad_phone.json()["message"]
    cast.users.grid_worker.area = None
    cast.users.grid_worker.save(update_fields=["area"])
    withdrawn = client.post("/offline/queue/", _report(cast.jiulong_grid, category))
    assert withdrawn.status_code == 409 and "不能登记诉求" in withdrawn.json()["message"]
    assert not Concern.objects.exists() and not SentRecord.objects.exists()


def test_the_registration_page_is_ready_for_the_queue_and_kept_for_the_phone_roles_that_use_it(cast, login):
    client = login(cast.users.secretary)
    page = client.get("/concerns/register/").content.decode()
    assert 'data-offline-kind="report"' in page and 'name="submission_key"' in page
    assert "/concerns/register/" in client.get("/offline/pages.json").json()["pages"]
    client.logout()
    member = login(cast.users.member)
    assert cast.users.member.role == Role.MEMBER
    assert "/concerns/register/" not in member.get("/offline/pages.json").json()["pages"]
