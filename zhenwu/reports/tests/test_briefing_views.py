"""The briefing pages: generation, edit, publication and downloads with access checks."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind, ParticipationRole
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.reports import briefing_services
from zhenwu.reports.models import BriefingExport

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    assert "210余名老人" in page.content.decode()
    assert b.title in client.get("/reports/briefings/").content.decode()
    docx_export = BriefingExport.objects.get(briefing=b, format="docx", version=None)
    download = client.get(f"/reports/briefings/files/{docx_export.pk}/")
    assert download.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(b"".join(download.streaming_content))).paragraphs)
    assert "34名党群志愿者" in text

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


def _management(prefix, total, initial):
    return {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": initial, f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 8}


def test_the_leader_edits_the_highlights_and_the_recipients_on_the_page_before_publishing(cast, login, client):
    _records(cast)
    login(cast.users.leader)
    client.post("/reports/briefings/generate/", {"area": cast.town.pk, "year": 2019, "month": 10})
    run_pending_jobs()
    b = cast.town.briefings.get()
    page = client.get(f"/reports/briefings/{b.pk}/").content.decode()
    assert "本月要闻" in page and "入选理由：活动覆盖216人" in page and b.highlights[0]["headline"] in page
    assert "中共官桥镇委员会办公室" in page and "发布时按官桥镇本年度顺序编号" in page
    assert "修改简报设置" not in page  # the settings are the town admin's

    data = {**_management("hl", 3, 2), "basis": briefing_services.highlights_basis(b.highlights),
            "hl-0-origin": 0, "hl-0-headline": b.highlights[0]["headline"], "hl-0-text": b.highlights[0]["text"],
            "hl-0-ORDER": 2, "hl-0-DELETE": "on",
            "hl-1-origin": 1, "hl-1-headline": "卫生清理", "hl-1-text": "30余名党群志愿者清理集里桥社区。", "hl-1-ORDER": 1,
            "hl-2-origin": "", "hl-2-headline": "新增要闻", "hl-2-text": "镇村干部入户核查低保。", "hl-2-ORDER": 2}
    response = client.post(f"/reports/briefings/{b.pk}/highlights/", data)
    assert response.status_code == 302
    b.refresh_from_db()
    assert [h["headline"] for h in b.highlights] == ["卫生清理", "新增要闻"]

    stale = client.post(f"/reports/briefings/{b.pk}/highlights/", data)  # made on the list before the edit
    assert stale.status_code == 400 and "本月要闻已被重新生成或由他人修改" in stale.content.decode()
    data.update({"hl-2-headline": "", "hl-2-text": "只有内容没有标题", "hl-0-DELETE": "",
                 "basis": briefing_services.highlights_basis(b.highlights)})
    response = client.post(f"/reports/briefings/{b.pk}/highlights/", data)
    assert response.status_code == 400 and "请填写第3条要闻的标题" in response.content.decode()
    assert "只有内容没有标题" in response.content.decode()  # what was typed is kept

    response = client.post(f"/reports/briefings/{b.pk}/issue/", {"report_to": "浏阳市委组织部", "copy_to": "",
                                                                  "copies": "0"})
    assert response.status_code == 400 and "印数须在1到9999份之间" in response.content.decode()
    response = client.post(f"/reports/briefings/{b.pk}/issue/", {"report_to": "浏阳市委组织部", "copy_to": "各村",
                                                                  "copies": "12"})
    assert response.status_code == 302
    assert client.post(f"/reports/briefings/{b.pk}/publish/").status_code == 302
    run_pending_jobs()
    version = b.versions.get()
    assert (version.issue_number, version.report_to, version.copies) == (1, "浏阳市委组织部", 12)
    assert [h["headline"] for h in version.highlights] == ["卫生清理", "新增要闻"]
    page = client.get(f"/reports/briefings/{b.pk}/v1/").content.decode()
    assert "第1期" in page and "新增要闻" in page and "浏阳市委组织部" in page
    assert page.index("<h1>") < page.index("<dt>报送</dt>")  # the recipients are in the page, under the text

    client.logout()
    login(cast.users.secretary)
    assert client.post(f"/reports/briefings/{b.pk}/highlights/", data).status_code == 403
    assert client.post(f"/reports/briefings/{b.pk}/issue/", {"copies": 1}).status_code == 403
    page = client.get(f"/reports/briefings/{b.pk}/").content.decode()
    assert "卫生清理" in page and "保存本月要闻" not in page


def test_only_the_town_admin_changes_the_briefing_settings(cast, login, client):
    login(cast.users.leader)
    assert client.get("/reports/briefings/settings/").status_code == 403
    client.logout()
    login(cast.users.town_admin)
    page = client.get("/reports/briefings/settings/").content.decode()
    assert "中共官桥镇委员会办公室" in page
    response = client.post("/reports/briefings/settings/", {"masthead": "工作简报", "issuing_unit": "",
                                                            "report_to": "", "copy_to": "", "copies": 30})
    assert response.status_code == 400 and "请填写编发单位" in response.content.decode()
    response = client.post("/reports/briefings/settings/", {"masthead": "主题教育简报", "issuing_unit": "官桥镇党政办",
                                                            "report_to": "浏阳市委组织部", "copy_to": "", "copies": 30})
    assert response.status_code == 302
    assert cast.town.briefing_settings.issuing_unit == "官桥镇党政办"
    assert "简报设置" in client.get("/reports/briefings/").content.decode()
