import datetime
from zoneinfo import ZoneInfo

import pytest

from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind, ParticipationRole
from zhenwu.jobs.models import JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.lib.numbers import approx_count
from zhenwu.reports import briefing, briefing_services
from zhenwu.reports.briefing_render import ExternalResourceRefused, fetch_local
from zhenwu.reports.models import BriefingStatus, PublishedBriefing

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day, hour=9):
    return datetime.datetime(2019, 10, day, hour, tzinfo=SH)


@pytest.mark.parametrize("count, text", [(0, "0"), (8, "8"), (19, "19"), (34, "34"), (99, "99"), (100, "100"),
                                         (109, "100余"), (192, "190余"), (200, "200"), (216, "210余"),
                                         (1000, "1000"), (1534, "1530余")])
def test_counts_are_written_in_the_official_style(count, text):
    assert approx_count(count) == text


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
    # Another month: not in October's briefing.
    activity_services.create_activity(kind=ActivityKind.PATROL, title="十一月巡逻", starts_at=at(3).replace(month=11),
                                      place="林区", area=cast.town, department=cast.urban)
    return cleanup, visit


def test_sections_carry_the_figures_of_the_records_of_the_month_and_area(cast):
    _records(cast)
    text = briefing.to_text(briefing.build_sections(cast.town, 2019, 10))
    assert "10月12日，镇城建办组织34名党群志愿者，在集里桥社区开展卫生清理义务劳动并参观党群服务中心" in text
    assert "累计志愿服务102小时" in text  # hours are written exactly (one decimal), never with 余
    assert "10月3日，九龙村党总支开展“岁岁重阳暖人心”慰问活动，为210余名老人送去长寿餐及牛奶等慰问品" in text
    assert "十一月巡逻" not in text
    village = briefing.to_text(briefing.build_sections(cast.jiulong, 2019, 10))
    assert "重阳" in village and "卫生清理" not in village
    assert briefing.build_sections(cast.town, 2019, 8) == []


def test_edited_text_round_trips_with_photos_kept_under_their_heading():
    sections = [{"key": "work", "heading": "结合重点工作", "paragraphs": ["甲。"], "photos": [{"name": "a.jpg",
                                                                                    "caption": "照片"}]},
                {"key": "study", "heading": "学习", "paragraphs": ["乙。"], "photos": []}]
    text = briefing.to_text(sections)
    assert text.startswith("# 结合重点工作\n甲。\n")
    parsed = briefing.parse_text(text.replace("乙。", "乙（修改）。"), sections)
    assert parsed[0]["photos"] == [{"name": "a.jpg", "caption": "照片"}]
    assert parsed[1]["paragraphs"] == ["乙（修改）。"]
    renamed = briefing.parse_text("# 新标题\n丙。", sections)
    assert [p["name"] for p in renamed[-1]["photos"]] == ["a.jpg"]


def test_publishing_keeps_each_version_whatever_happens_to_the_draft(cast):
    _records(cast)
    b, _job = briefing_services.start_briefing(area=cast.town, year=2019, month=10, by=cast.users.leader)
    briefing_services.regenerate_briefing(b, by=cast.users.leader)
    assert b.status == BriefingStatus.DRAFT and "210余名老人" in b.text
    v1 = briefing_services.publish_briefing(b, by=cast.users.leader)
    b.refresh_from_db()
    assert b.status == BriefingStatus.PUBLISHED and v1.version == 1 and v1.published_by == cast.users.leader
    published_text = v1.text

    briefing_services.edit_briefing(b, title=b.title, text=b.text.replace("210余名老人", "二百余名老人"),
                                    by=cast.users.town_admin)
    b.refresh_from_db()
    assert b.status == BriefingStatus.DRAFT and b.edited_by == cast.users.town_admin
    activity_services.create_activity(kind=ActivityKind.PATROL, title="新增巡逻", starts_at=at(20), place="林区",
                                      area=cast.town, department=cast.urban)
    briefing_services.regenerate_briefing(b, by=cast.users.leader)
    b.refresh_from_db()
    assert "新增巡逻" in b.text
    v1 = PublishedBriefing.objects.get(pk=v1.pk)
    assert v1.text == published_text and "新增巡逻" not in v1.text

    v1.text = "篡改"
    with pytest.raises(TypeError):
        v1.save()
    with pytest.raises(TypeError):
        PublishedBriefing.objects.filter(pk=v1.pk).update(text="篡改")
    assert PublishedBriefing.objects.get(pk=v1.pk).text == published_text

    v2 = briefing_services.publish_briefing(b, by=cast.users.town_admin)
    assert v2.version == 2 and "新增巡逻" in v2.text
    with pytest.raises(briefing_services.BriefingError):
        briefing_services.edit_briefing(b, title="", text="x", by=cast.users.leader)


def test_future_months_cannot_be_generated(cast):
    with pytest.raises(briefing_services.BriefingError):
        briefing_services.start_briefing(area=cast.town, year=2999, month=1, by=cast.users.leader)


def test_the_pdf_fetcher_serves_stored_media_only(cast, settings):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("activities/photos/x.jpg", ContentFile(b"\xff\xd8jpeg"))
    assert fetch_local("media:" + name) == (b"\xff\xd8jpeg", "image/jpeg")
    for url in ("https://example.com/a.png", "file:///etc/passwd", "media:../settings.py", "media:/etc/passwd",
                "data:image/png;base64,AAAA"):
        with pytest.raises(ExternalResourceRefused):
            fetch_local(url)


def test_a_failed_job_is_reported_not_raised(cast):
    from zhenwu.jobs.services import enqueue_job

    job = enqueue_job(kind=briefing_services.JOB_KIND, payload={"briefing": 999999})
    run_pending_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == "简报不存在"


def test_visits_tea_room_meetings_and_concerns_of_the_month_are_reported(cast):
    import time_machine

    from zhenwu.concerns.models import Category, Channel
    from zhenwu.concerns.services import submit_concern
    from zhenwu.grid import services as grid_services
    from zhenwu.grid.models import VisitWay

    category = Category.objects.create(code="road", name="道路交通", default_department=cast.urban,
                                       response_limit_days=1, resolution_limit_days=5)
    with time_machine.travel(at(10, 10), tick=False):
        for i in range(3):
            submit_concern(text=f"道路破损{i}", title=f"道路破损{i}", category=category, area=cast.jiulong_grid,
                           channel=Channel.VISIT, by=cast.users.grid_worker)
        grid_services.record_visit(household=cast.households.jiulong, visited_on=datetime.date(2019, 10, 9),
                                   way=VisitWay.HOME, by=cast.users.grid_worker, notes="了解近况")
        grid_services.record_visit(household=cast.households.jiulong2, visited_on=datetime.date(2019, 10, 10),
                                   way=VisitWay.PHONE, by=cast.users.grid_worker, notes="电话问候")
        grid_services.record_meeting(area=cast.jiulong, title="民情察实", held_on=datetime.date(2019, 10, 8),
                                     place="九龙村民情茶室", host="村支书", by=cast.users.secretary,
                                     members=[cast.members.jiulong], residents=[cast.residents.jiulong],
                                     guest_count=20)
    text = briefing.to_text(briefing.build_sections(cast.jiulong, 2019, 10))
    assert "召开“民情茶室”1场，22名党员群众参加" in text  # 1 member + 1 resident + 20 other guests
    assert "开展民情走访2次，走访农户2户" in text
    assert "本月受理群众诉求3件，办结0件" in text
    assert "民情茶室" not in briefing.to_text(briefing.build_sections(cast.jizhen, 2019, 10))


# --- headings -------------------------------------------------------------------------------------


def _campaign(cast):
    from zhenwu.study import services as study_services
    from zhenwu.study.models import ItemKind

    campaign = study_services.create_campaign(name="“不忘初心、牢记使命”主题教育", starts_on=datetime.date(2019, 9, 1),
                                              ends_on=datetime.date(2019, 12, 31), party_orgs=[cast.committee])
    item = study_services.add_campaign_item(campaign, kind=ItemKind.REQUIRED, title="学习班")
    return campaign, item


def _session(cast, campaign, kind, title, day, month=10):
    from zhenwu.study import services as study_services

    return study_services.create_session(kind=kind, title=title, campaign=campaign, party_orgs=[cast.committee],
                                         starts_at=at(day).replace(month=month),
                                         ends_at=at(day, 11).replace(month=month))


def _home_lesson(cast, item, day, month=10):
    from zhenwu.study import services as study_services
    from zhenwu.study.models import Confirmation

    when = datetime.date(2019, month, day)
    return study_services.record_home_lesson(member=cast.members.jiulong, mentor=cast.members.jizhen, given_on=when,
                                             content="学习党章", items=[item], confirmation=Confirmation.SIGNED,
                                             now=at(day, 18).replace(month=month))


def _headings(area, month):
    return {s["key"]: (s["heading"], " ".join(s["paragraphs"])) for s in briefing.build_sections(area, 2019, month)}


def test_the_study_section_is_titled_by_what_it_reports(cast):
    from zhenwu.study.models import SessionKind

    campaign, item = _campaign(cast)
    _session(cast, campaign, SessionKind.MOBILISATION, "主题教育动员暨部署会", 16, month=9)
    _session(cast, campaign, SessionKind.STUDY_CLASS, "第一期主题教育学习班", 23, month=9)
    _session(cast, campaign, SessionKind.STUDY_CLASS, "第三期主题教育学习班", 14, month=10)
    _home_lesson(cast, item, 15, month=10)
    _home_lesson(cast, item, 5, month=11)

    heading, text = _headings(cast.town, 9)["study"]  # the 动员部署会 and a 学习班: both named
    assert heading == "动员部署与集中学习同步推进" and "召开主题教育动员暨部署会" in text and "学习班" in text
    heading, text = _headings(cast.town, 10)["study"]
    assert heading == "集中学习与送学上门同步推进" and "学习班" in text and "送学上门" in text
    assert "动员" not in heading + text  # no 动员部署会 in October: the heading does not promise one
    heading, text = _headings(cast.town, 11)["study"]
    assert heading == "送学上门确保“不落一人”" and "送学上门1次" in text and "学习班" not in text


def test_visits_and_activities_are_under_headings_that_name_them(cast):
    import time_machine

    from zhenwu.grid import services as grid_services
    from zhenwu.grid.models import VisitWay

    _records(cast)  # a clean-up by volunteers and a 重阳 care visit in October
    with time_machine.travel(at(10, 10), tick=False):
        grid_services.record_visit(household=cast.households.jiulong, visited_on=datetime.date(2019, 10, 9),
                                   way=VisitWay.HOME, by=cast.users.grid_worker, notes="了解近况")
    sections = _headings(cast.town, 10)
    assert list(sections) == ["contact", "work"]  # nothing studied, no concerns: no such sections
    heading, text = sections["contact"]
    assert heading == "党员联户走访常态开展" and "民情走访1次" in text
    heading, text = sections["work"]
    assert heading == "志愿服务与关爱慰问扎实开展" and "志愿者" in text and "慰问" in text
    heading, text = _headings(cast.jiulong, 10)["work"]  # the village held only the care visit
    assert heading == "关爱慰问扎实开展" and "卫生清理" not in text


def test_every_generated_heading_is_borne_out_by_its_paragraphs(cast):
    """Each phrase a heading may use, and the words that must then appear under it."""
    from zhenwu.study.models import SessionKind

    promises = {"动员部署": ("动员",), "集中学习": ("学习",), "送学上门": ("送学上门",), "帮学结对": ("帮学结对",),
                "特色党课": ("特色党课",), "榜样": ("榜样",), "民情茶室": ("民情茶室",), "走访": ("走访",),
                "志愿服务": ("志愿",), "关爱慰问": ("慰问",), "文化宣传": ("文艺", "宣讲", "展", "比赛", "征文"),
                "义务劳动": ("劳动",), "巡逻": ("巡逻",), "民情办理": ("办结",), "诉求": ("诉求",),
                "民生项目": ("项目",)}
    campaign, item = _campaign(cast)
    _session(cast, campaign, SessionKind.MOBILISATION, "主题教育动员暨部署会", 16)
    _home_lesson(cast, item, 15)
    _records(cast)
    for area in (cast.town, cast.jiulong, cast.jizhen):
        for month in (9, 10, 11):
            for heading, text in _headings(area, month).values():
                used = [phrase for phrase in promises if phrase in heading]
                assert used, heading
                for phrase in used:
                    assert any(word in text for word in promises[phrase]), (heading, text)
