"""A 阵地"五化" check queued on an instructor's phone (POST /offline/queue/, kind "site_check"): made
once under its key with its photos; a branch no longer guided, a campaign no longer seen or the
role withdrawn answer 409 with the reason (the record stays on the phone), form errors 422."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from zhenwu.core.roles import Role
from zhenwu.offline.models import SentRecord
from zhenwu.study.models import SiteCheck
from zhenwu.study.tests.conftest import build_study

pytestmark = pytest.mark.django_db

SCORES = {"score_organisation": "18", "score_activities": "17", "score_management": "19", "score_site": "16",
          "score_support": "15"}


@pytest.fixture
def study(cast):
    return build_study(cast)


def _png(name):
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), (20, 120, 20)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def _check(org, key=None, **extra):
    data = {
        "key": key or str(uuid.uuid4()), "kind": "site_check", "target": "", "base": "",
        "recorded_at": timezone.now().isoformat(), "party_org": str(org.pk),
        "checked_on": timezone.localdate().isoformat(), "notes": "制度上墙，阵地整洁", **SCORES,
    }
    data.update(extra)
    return data


def test_a_queued_site_check_is_taken_once_with_its_photos(cast, login, study, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = login(cast.users.instructor)
    data = _check(cast.jiulong_branch, campaign=str(study.campaign.pk))
    response = client.post("/offline/queue/", {**data, "photos": [_png("一.png"), _png("二.png")]})
    assert response.status_code == 201, response.content.decode()
    check = SiteCheck.objects.get()
    assert check.total == 85 and check.checked_by == cast.users.instructor and check.campaign == study.campaign
    assert check.photos.count() == 2
    assert response.json()["message"] == "已登记九龙村第一党支部阵地检查，总分85"
    assert response.json()["url"] == f"/study/site-checks/{check.pk}/"
    again = client.post("/offline/queue/", data)
    assert again.status_code == 200 and again.json()["repeat"] is True
    assert SiteCheck.objects.count() == 1 and SentRecord.objects.get().kind == "site_check"


def test_a_branch_no_longer_guided_or_a_campaign_no_longer_seen_is_a_conflict(cast, login, study):
    client = login(cast.users.instructor)
    elsewhere = client.post("/offline/queue/", _check(cast.jizhen_org))
    assert elsewhere.status_code == 409 and elsewhere.json()["conflict"] is True
    assert "已不在您的指导范围内" in elsewhere.json()["message"]
    study.campaign.party_orgs.set([cast.jizhen_org])
    closed = client.post("/offline/queue/", _check(cast.jiulong_branch, campaign=str(study.campaign.pk)))
    assert closed.status_code == 409 and "主题教育已结束或已不在您的范围内" in closed.json()["message"]
    wrong = client.post("/offline/queue/", _check(cast.jiulong_branch, score_site="25"))
    assert wrong.status_code == 422 and "阵地建设规范化" in wrong.json()["message"]
    assert not SiteCheck.objects.exists() and not SentRecord.objects.exists()


def test_a_site_check_sent_after_the_instructor_role_was_withdrawn_is_a_conflict(cast, login, study):
    client = login(cast.users.instructor)
    cast.users.instructor.role = Role.MEMBER
    cast.users.instructor.save(update_fields=["role"])
    response = client.post("/offline/queue/", _check(cast.jiulong_branch))
    assert response.status_code == 409 and "不能登记阵地检查" in response.json()["message"]
    assert not SiteCheck.objects.exists()


def test_the_site_check_page_is_ready_for_the_queue_and_kept_on_the_phone(cast, login, study):
    client = login(cast.users.instructor)
    page = client.get("/study/site-checks/new/").content.decode()
    assert 'data-offline-kind="site_check"' in page and 'name="idempotency_key"' in page
    assert "/study/site-checks/new/" in client.get("/offline/pages.json").json()["pages"]
    client.logout()
    secretary = login(cast.users.secretary)
    assert "/study/site-checks/new/" not in secretary.get("/offline/pages.json").json()["pages"]
