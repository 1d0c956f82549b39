"""The briefing pages: generation, edit, publication and downloads with access checks."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind, ParticipationRole
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.reports.models import BriefingExport

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day, hour=9):
    return datetime.datetime(2019, 10, day, hour, tzinfo=SH)


def _records(cast):
    cleanup = activity_services.create_activity(
        kind=ActivityKind.LABOUR, title="卫生清理义务劳动", starts_at=at(12), ends_at=at(12, 11), place="集里桥社区",
        area=cast.jizhen, department=cast.urban, summary="并参观党群服务中心")
    for i in range(33):
        activity_services.add_participant(cleanup, role=ParticipationRole.VOLUNTEER, person_name=f"志愿者{i}", hours=3)
    activity_services.add_participant(cleanup, role=ParticipationRole.VOLUNTEER, member=cast.members.jizhen, hours=3)
    activity_services.confirm_all_hours(cleanup, by=cast.users.town_admin)
    visit = activity_services.create_activity(
        kind=ActivityKind.CARE_VISIT, title="“岁岁重阳暖人心”慰问活动", starts_at=at(3), place="九龙村党群服务中心",
        area=cast.jiulong, party_org=cast.jiulong_org, summary="送去长寿餐及牛奶等慰问品")
    activity_services.set_beneficiaries(visit, count=216, description="老人")


def test_staff_generate_edit_publish_and_download_through_the_pages(cast, login, client):
    _records(cast)
    login(cast.users.leader)
    response = client.post("/reports/briefings/generate/", {"area": cast.town.pk, "year": 2019, "month": 10})
    assert response.status_code == 302
    assert run_pending_jobs() == 1
    b = cast.town.briefings.get()
    page = client.get(f"/reports/briefings/{b.pk}/")
    assert "200余名老人" in page.content.decode()
    assert b.title in client.get("/reports/briefings/").content.decode()
    docx_export = BriefingExport.objects.get(briefing=b, format="docx", version=None)
    download = client.get(f"/reports/briefings/files/{docx_export.pk}/")
    assert download.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(b"".join(download.streaming_content))).paragraphs)
    assert "30余名党群志愿者" in text

    # A secretary sees nothing until publication, then the published version and its files only.
    client.logout()
    login(cast.users.secretary)
    assert client.get(f"/reports/briefings/{b.pk}/").status_code == 404
    assert client.get(f"/reports/briefings/files/{docx_export.pk}/").status_code == 404
    assert client.post(f"/reports/briefings/{b.pk}/publish/").status_code == 404
    client.logout()
    login(cast.users.leader)
    heading = b.text.splitlines()[0]
    assert heading == "# 志愿服务与关爱慰问扎实开展"
    edited = b.text.replace(heading, "# 结合中心工作")
    assert client.post(f"/reports/briefings/{b.pk}/edit/", {"title": b.title, "text": edited}).status_code == 302
    assert client.post(f"/reports/briefings/{b.pk}/publish/").status_code == 302
    assert run_pending_jobs() == 2  # the edited draft's files, the version's files
    version = b.versions.get()
    assert "# 结合中心工作" in version.text
    version_pdf = BriefingExport.objects.get(version=version, format="pdf")
    client.logout()
    login(cast.users.secretary)
    page = client.get(f"/reports/briefings/{b.pk}/").content.decode()
    assert "结合中心工作" in page and "修改正文" not in page
    assert client.get(f"/reports/briefings/{b.pk}/v1/").status_code == 200
    assert client.get(f"/reports/briefings/files/{version_pdf.pk}/").status_code == 200
    assert client.get(f"/reports/briefings/files/{docx_export.pk}/").status_code == 404
    assert client.post(f"/reports/briefings/{b.pk}/publish/").status_code == 403
    client.logout()
    login(cast.users.member)
    assert client.get(f"/reports/briefings/{b.pk}/").status_code == 404
    assert client.get(f"/reports/briefings/files/{version_pdf.pk}/").status_code == 404
