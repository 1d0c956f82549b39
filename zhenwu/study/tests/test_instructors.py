"""Instructors: assignments, guidance with follow-up, the branch site checklist (阵地五化)."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhenwu.audit.models import AuditEntry
from zhenwu.study import services
from zhenwu.study.models import InstructorAssignment, SiteCheck


def _png(name="阵地.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (6, 6), (20, 120, 20)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


SCORES = {"score_organisation": 18, "score_activities": 17, "score_management": 19, "score_site": 16,
          "score_support": 15}


def test_the_town_admin_assigns_an_instructor_and_withdraws_them(client, login, cast, other_instructor):
    login(cast.users.town_admin)
    response = client.post("/study/instructors/", {"instructor": other_instructor.pk, "party_org": cast.jizhen_org.pk})
    assert response.status_code == 302
    assignment = InstructorAssignment.objects.get()
    assert (assignment.instructor, assignment.party_org, assignment.assigned_by) == (
        other_instructor, cast.jizhen_org, cast.users.town_admin)
    again = client.post("/study/instructors/", {"instructor": other_instructor.pk, "party_org": cast.jizhen_org.pk})
    assert "已选派到集镇村党总支" in again.content.decode()
    client.post(f"/study/instructors/assignments/{assignment.pk}/remove/")
    assert not InstructorAssignment.objects.exists()
    assert AuditEntry.objects.filter(object_type="study.InstructorAssignment", action="delete").exists()


def test_only_instructor_accounts_can_be_assigned(cast):
    with pytest.raises(services.StudyError) as error:
        services.assign_instructor(instructor=cast.users.secretary, party_org=cast.jizhen_org)
    assert "不是主题教育指导员" in error.value.message


def test_an_instructor_cannot_assign(client, login, cast):
    login(cast.users.instructor)
    response = client.post("/study/instructors/", {"instructor": cast.users.instructor.pk,
                                                   "party_org": cast.jizhen_org.pk})
    assert response.status_code == 403


def test_guidance_is_recorded_and_its_follow_up_completed_by_the_instructor(client, login, cast, study):
    login(cast.users.instructor)
    response = client.post("/study/guidance/new/", {
        "party_org": cast.jiulong_branch.pk, "visited_on": "2019-10-18", "campaign": study.campaign.pk,
        "findings": "学习笔记不全，3名老党员未参加第三期学习班", "advice": "一周内送学上门",
    })
    assert response.status_code == 302
    guidance = cast.jiulong_branch.guidance.get()
    response = client.post(f"/study/guidance/{guidance.pk}/", {"follow_up": "已送学上门3人",
                                                               "follow_up_done_on": "2019-10-25"})
    guidance.refresh_from_db()
    assert guidance.follow_up_done_on == datetime.date(2019, 10, 25)
    assert AuditEntry.objects.filter(object_type="study.Guidance", action="update").exists()
    client.logout()
    login(cast.users.secretary)  # sees it, cannot change it
    assert client.get(f"/study/guidance/{guidance.pk}/").status_code == 200
    assert client.post(f"/study/guidance/{guidance.pk}/", {"follow_up": "x"}).status_code == 403


def test_a_site_check_with_five_scores_and_photos(client, login, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(cast.users.instructor)
    response = client.post("/study/site-checks/new/", {
        "party_org": cast.jiulong_branch.pk, "checked_on": "2019-10-20", "notes": "制度上墙，阵地整洁",
        "photos": [_png("一.png"), _png("二.png")], **SCORES,
    })
    assert response.status_code == 302
    check = SiteCheck.objects.get()
    assert check.total == 85 and check.photos.count() == 2
    body = client.get(f"/study/site-checks/{check.pk}/").content.decode()
    assert "85 / 100" in body and "阵地建设规范化" in body
    photo = check.photos.first()
    assert client.get(f"/study/site-checks/photos/{photo.pk}/").status_code == 200
    client.logout()
    login(cast.users.member)
    assert client.get(f"/study/site-checks/photos/{photo.pk}/").status_code == 404


def test_a_score_out_of_range_or_a_fake_photo_is_refused(client, login, cast, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(cast.users.instructor)
    response = client.post("/study/site-checks/new/", {
        "party_org": cast.jiulong_branch.pk, "checked_on": "2019-10-20", **{**SCORES, "score_site": 25},
    })
    assert response.status_code == 200 and not SiteCheck.objects.exists()
    with pytest.raises(services.StudyError) as error:
        services.record_site_check(party_org=cast.jiulong_branch, checked_on=datetime.date(2019, 10, 20),
                                   scores={**SCORES, "score_support": 21})
    assert "工作保障制度化" in error.value.message
    fake = SimpleUploadedFile("x.png", b"<script>", content_type="image/png")
    response = client.post("/study/site-checks/new/", {
        "party_org": cast.jiulong_branch.pk, "checked_on": "2019-10-20", "photos": [fake], **SCORES,
    })
    assert "不是有效的图片" in response.content.decode() and not SiteCheck.objects.exists()
