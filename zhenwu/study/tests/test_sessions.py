"""Campaign and session pages: registering, items, materials and leave."""

import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenwu.audit.models import AuditEntry
from zhenwu.study import services
from zhenwu.study.models import (
    Campaign,
    CampaignItem,
    LeaveRequest,
    LeaveStatus,
    SessionMaterial,
    StudySession,
)

from .conftest import local


def test_a_town_admin_creates_a_campaign_with_required_and_optional_items(client, login, cast):
    login(cast.users.town_admin)
    response = client.post("/study/campaigns/new/", {
        "name": "不忘初心、牢记使命主题教育", "starts_on": "2019-09-01", "ends_on": "2019-11-30",
        "party_orgs": [cast.committee.pk], "description": "第二批主题教育",
    })
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/study/campaigns/{campaign.pk}/"
    client.post(f"/study/campaigns/{campaign.pk}/items/new/", {"kind": "required", "title": "动员部署会"})
    client.post(f"/study/campaigns/{campaign.pk}/items/new/", {"kind": "optional", "title": "民情茶室"})
    duplicate = client.post(f"/study/campaigns/{campaign.pk}/items/new/", {"kind": "required", "title": "动员部署会"},
                            follow=True)
    assert "已有“动员部署会”" in duplicate.content.decode()
    assert list(campaign.items.values_list("kind", "title")) == [("required", "动员部署会"), ("optional", "民情茶室")]
    assert AuditEntry.objects.filter(object_type="study.CampaignItem", action="create").count() == 2
    body = client.get(f"/study/campaigns/{campaign.pk}/").content.decode()
    assert "规定动作" in body and "动员部署会" in body and "民情茶室" in body


def test_a_campaign_ending_before_it_starts_is_refused_beside_the_field(client, login, cast):
    login(cast.users.town_admin)
    response = client.post("/study/campaigns/new/", {
        "name": "x", "starts_on": "2019-09-01", "ends_on": "2019-08-01", "party_orgs": [cast.committee.pk],
    })
    assert response.status_code == 200 and "结束日期不能早于开始日期" in response.content.decode()
    assert not Campaign.objects.exists()


def test_only_the_town_admin_sets_up_campaigns(client, login, cast):
    login(cast.users.secretary)
    assert client.get("/study/campaigns/new/").status_code == 403


def test_a_secretary_registers_a_lesson_in_a_farmyard_for_their_branch(client, login, cast, study):
    login(cast.users.secretary)
    response = client.post("/study/sessions/new/", {
        "kind": "themed_lesson", "title": "初心故事会：黎干亮讲初心", "topic": "报效祖国、回馈家乡", "speaker": "黎干亮",
        "venue_kind": "farmyard", "venue": "九龙村一组黎家院落", "starts_at": "2019-10-09T15:00",
        "ends_at": "2019-10-09T17:00", "party_orgs": [cast.jiulong_org.pk], "campaign": study.campaign.pk,
        "items": [study.lesson_item.pk], "is_featured": "on",
    })
    session = StudySession.objects.get(title="初心故事会：黎干亮讲初心")
    assert response.status_code == 302
    assert session.is_featured and session.venue_label == "农家院落·九龙村一组黎家院落"
    assert list(session.items.all()) == [study.lesson_item]
    assert session.starts_at == local(2019, 10, 9, 15)
    body = client.get(f"/study/sessions/{session.pk}/").content.decode()
    assert "特色党课专场" in body and "签到名单" in body


def test_a_secretary_cannot_register_a_session_for_another_village(client, login, cast, study):
    login(cast.users.secretary)
    response = client.post("/study/sessions/new/", {
        "kind": "party_lesson", "title": "x", "venue_kind": "other", "starts_at": "2019-10-09T15:00",
        "ends_at": "2019-10-09T17:00", "party_orgs": [cast.jizhen_org.pk],
    })
    assert response.status_code == 200 and not StudySession.objects.filter(title="x").exists()


def test_a_session_ending_before_it_starts_and_foreign_items_are_refused(cast, study):
    other = services.create_campaign(name="另一次学习", starts_on=datetime.date(2020, 1, 1),
                                     ends_on=datetime.date(2020, 2, 1), party_orgs=[cast.committee])
    item = services.add_campaign_item(other, kind="required", title="学习党章")
    common = dict(kind="party_lesson", title="党课", party_orgs=[cast.jiulong_org], campaign=study.campaign)
    with pytest.raises(services.StudyError) as error:
        services.create_session(starts_at=local(2019, 10, 1, 10), ends_at=local(2019, 10, 1, 9), **common)
    assert error.value.field == "ends_at"
    with pytest.raises(services.StudyError) as error:
        services.create_session(starts_at=local(2019, 10, 1, 9), ends_at=local(2019, 10, 1, 10), items=[item],
                                **common)
    assert "对应学习项目“学习党章”不属于主题教育“不忘初心、牢记使命主题教育”" in error.value.message


def test_changing_a_sessions_items_changes_what_its_attendance_completes(cast, study):
    services.generate_makeup_tasks(campaign=study.campaign, now=local(2019, 10, 20))
    task = study.wang.makeup_tasks.get(item=study.class_item)
    assert task.status == "open"
    services.update_session(study.lesson, kind=study.lesson.kind, title=study.lesson.title,
                            starts_at=study.lesson.starts_at, ends_at=study.lesson.ends_at,
                            party_orgs=list(study.lesson.party_orgs.all()), campaign=study.campaign,
                            items=[study.lesson_item, study.class_item], venue_kind=study.lesson.venue_kind)
    task.refresh_from_db()
    assert task.status == "attended"


def test_a_material_is_uploaded_and_served_only_to_those_who_see_the_session(client, login, cast, study, settings,
                                                                              tmp_path):
    settings.MEDIA_ROOT = tmp_path
    own = services.create_session(kind="party_lesson", title="九龙村党课", starts_at=local(2019, 10, 1, 9),
                                  ends_at=local(2019, 10, 1, 10), party_orgs=[cast.jiulong_org], by=cast.users.secretary)
    login(cast.users.secretary)
    upload = SimpleUploadedFile("学习提纲.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    response = client.post(f"/study/sessions/{own.pk}/materials/new/", {"title": "", "file": upload}, follow=True)
    assert "已上传学习材料“学习提纲”" in response.content.decode()
    material = SessionMaterial.objects.get()
    assert material.file.name.startswith("study/materials/") and "学习提纲" not in material.file.name
    url = f"/study/sessions/{own.pk}/materials/{material.pk}/"
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 test"
    bad = SimpleUploadedFile("病毒.exe", b"MZ....", content_type="application/octet-stream")
    response = client.post(f"/study/sessions/{own.pk}/materials/new/", {"file": bad}, follow=True)
    assert "类型不支持" in response.content.decode()
    client.logout()
    login(cast.users.member)  # 黎干亮, 九龙村: may read
    assert client.get(url).status_code == 200
    client.logout()
    login(cast.users.grid_worker)  # no study scope
    assert client.get(url).status_code == 404


@time_machine.travel(local(2019, 10, 13, 20, 0), tick=False)
def test_a_member_asks_for_leave_and_the_secretary_approves_it(client, login, cast, study):
    login(cast.users.member)
    response = client.post(f"/study/sessions/{study.study_class.pk}/leave/", {"reason": "腿脚不便，不能到会"})
    assert response.status_code == 302
    leave = LeaveRequest.objects.get(member=study.lgl)
    assert leave.status == LeaveStatus.PENDING and leave.reason == "腿脚不便，不能到会"
    body = client.get(f"/study/sessions/{study.study_class.pk}/").content.decode()
    assert "待审批" in body
    client.logout()
    login(cast.users.secretary)
    client.post(f"/study/leave/{leave.pk}/decide/", {"decision": "approve", "note": "安排送学上门"})
    leave.refresh_from_db()
    assert leave.status == LeaveStatus.APPROVED and leave.decided_by == cast.users.secretary
    again = client.post(f"/study/leave/{leave.pk}/decide/", {"decision": "decline"}, follow=True)
    assert "已审批" in again.content.decode()


def test_a_member_already_signed_in_cannot_ask_for_leave(cast, study):
    with pytest.raises(services.StudyError) as error:
        services.request_leave(study.study_class, member=study.zhao, reason="x", by=None,
                               now=local(2019, 10, 14, 8))
    assert "已签到" in error.value.message


def test_leave_after_the_session_only_through_the_secretary(cast, study):
    after = local(2019, 10, 15, 9)
    with pytest.raises(services.StudyError):
        services.request_leave(study.study_class, member=study.wang, reason="忘了请假", by=None, now=after)
    leave = services.request_leave(study.study_class, member=study.wang, reason="外出务工", by=cast.users.secretary,
                                   approve=True, now=after)
    assert leave.status == LeaveStatus.APPROVED


def test_the_session_list_filters_featured_lessons_with_bounded_queries(client, login, cast, study,
                                                                        django_assert_max_num_queries):
    for n in range(12):
        services.create_session(kind="themed_lesson", title=f"特色党课{n}", starts_at=local(2019, 10, 1 + n, 9),
                                ends_at=local(2019, 10, 1 + n, 10), party_orgs=[cast.jiulong_org, cast.jizhen_org],
                                is_featured=True)
    login(cast.users.town_admin)
    with django_assert_max_num_queries(14):
        response = client.get("/study/sessions/?featured=1")
    body = response.content.decode()
    assert "共 12 场" in body and "第三期主题教育学习班" not in body
    fragment = client.get("/study/sessions/?kind=study_class", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="results">') and "第三期主题教育学习班" in fragment


def test_editing_an_item_is_audited(cast, study):
    services.update_campaign_item(study.class_item, kind="required", title="第三期学习班（10月14日）")
    assert CampaignItem.objects.get(pk=study.class_item.pk).title == "第三期学习班（10月14日）"
    assert AuditEntry.objects.filter(object_type="study.CampaignItem", action="update").exists()
