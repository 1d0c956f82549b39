"""本月要闻: chosen from the month's records by the written significance rule (reports/highlights.py),
editable before publication, kept as published."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind, ParticipationRole
from zhenwu.concerns import services as concern_services
from zhenwu.concerns.models import Category, Channel, Outcome
from zhenwu.reports import briefing_services, highlights
from zhenwu.reports.models import PublishedBriefing
from zhenwu.study import services as study_services
from zhenwu.study.models import ItemKind, SessionKind

SH = ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(month, day, hour=10, year=2026):
    return datetime.datetime(year, month, day, hour, tzinfo=SH)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def road(cast):
    return Category.objects.create(code="road", name="道路交通", default_department=cast.urban, response_limit_days=1,
                                   resolution_limit_days=10, may_become_project=True)


def concern(cast, road, title, *, received, area=None):
    with time_machine.travel(received, tick=False):
        c = concern_services.submit_concern(text=title + "，请尽快处理。", title=title, category=road,
                                            area=area or cast.jiulong_grid, channel=Channel.HOTLINE,
                                            by=cast.users.dispatcher).concern
        return concern_services.dispatch_concern(c, by=cast.users.dispatcher)


def resolve(cast, c, *, on, text="已修补完毕。"):
    with time_machine.travel(on, tick=False):
        return concern_services.resolve_concern(c, by=cast.users.handler, outcome=Outcome.FIXED, text=text)


def month_of_news(cast, road):
    """November 2026: a project passes 财政审批, a road five residents asked about is repaired, a
    lone request is answered, 216 elderly are visited and five volunteers sweep a square."""
    anshan = concern(cast, road, "岸山路是断头路，希望拉通", received=at(3, 2))
    project = concern_services.start_or_join_project(anshan, by=cast.users.handler, name="岸山路拉通",
                                                     on_date=D(2026, 3, 5))
    for day in (D(2026, 4, 10), D(2026, 6, 1), D(2026, 8, 20), D(2026, 10, 9), D(2026, 11, 14)):
        project = concern_services.advance_project_stage(project, by=cast.users.handler, on_date=day)
    completion = project.stages.get(kind="completion")
    concern_services.update_project_stage(completion, by=cast.users.handler, planned_end=D(2027, 6, 30))

    road_repair = concern(cast, road, "梅园至杨梅道路破损严重", received=at(10, 20))
    for _ in range(3):
        concern_services.follow_concern(road_repair)
    again = concern(cast, road, "梅园到杨梅的路坑坑洼洼", received=at(10, 22))
    concern_services.link_duplicate(again, road_repair, by=cast.users.dispatcher)
    resolve(cast, road_repair, on=at(11, 12), text="梅园至杨梅公路坑槽已全部挖补，破损路段重新铺筑沥青。")

    lone = concern(cast, road, "门前路灯不亮", received=at(11, 2))
    resolve(cast, lone, on=at(11, 5))

    visit = activity_services.create_activity(
        kind=ActivityKind.CARE_VISIT, title="“岁岁重阳暖人心”慰问活动", starts_at=at(11, 3), place="九龙村党群服务中心",
        area=cast.jiulong, party_org=cast.jiulong_org)
    activity_services.set_beneficiaries(visit, count=216, description="老人")
    sweep = activity_services.create_activity(kind=ActivityKind.LABOUR, title="广场清扫", starts_at=at(11, 8),
                                              place="集镇广场", area=cast.jizhen, department=cast.urban)
    for i in range(5):
        activity_services.add_participant(sweep, role=ParticipationRole.VOLUNTEER, person_name=f"志愿者{i}")
    return project, road_repair, lone


def test_the_months_news_is_ranked_by_significance_and_routine_items_are_left_out(cast, road):
    project, road_repair, lone = month_of_news(cast, road)
    chosen = highlights.choose_highlights(cast.town, 2026, 11)

    assert [h["kind"] for h in chosen] == ["project_stage", "concern", "activity"]
    stage, repaired, visit = chosen
    assert stage["headline"] == "岸山路拉通项目完成财政审批"
    assert stage["score"] == 70 + 3 * 5  # 财政审批 is the fifth stage
    assert "11月14日" in stage["text"] and "即将进入招投标程序" in stage["text"] and "计划2027年6月竣工" in stage["text"]
    assert stage["source"] == {"type": "project", "id": project.pk}

    # Reporter, three residents following and the duplicate's reporter: five people, 40 + 5 × 5.
    assert repaired["headline"] == "梅园至杨梅道路破损严重问题得到解决" and repaired["score"] == 65
    assert repaired["text"] == ("5名群众反映的梅园至杨梅道路破损严重问题，经城建办办理，于11月12日办结。"
                                "梅园至杨梅公路坑槽已全部挖补，破损路段重新铺筑沥青。")
    assert repaired["source"]["id"] == road_repair.pk
    assert visit["headline"] == "“岁岁重阳暖人心”慰问活动惠及210余名老人" and visit["score"] == 63

    texts = " ".join(h["headline"] + h["text"] for h in chosen)
    assert "路灯" not in texts and "广场清扫" not in texts  # one resident's request, five volunteers: routine
    assert highlights.choose_highlights(cast.town, 2026, 9) == []  # September had nothing of the kind


def test_a_village_briefing_gets_the_news_of_its_own_residents_only(cast, road):
    month_of_news(cast, road)
    kinds = [h["kind"] for h in highlights.choose_highlights(cast.jiulong, 2026, 11)]
    assert kinds == ["project_stage", "concern", "activity"]  # all three were raised or held in 九龙村
    assert highlights.choose_highlights(cast.jizhen, 2026, 11) == []


def test_a_campaign_is_news_when_it_is_launched_and_when_it_ends(cast):
    campaign = study_services.create_campaign(name="“不忘初心、牢记使命”主题教育", starts_on=D(2019, 9, 1),
                                              ends_on=D(2019, 11, 30), party_orgs=[cast.committee])
    for kind, title in ((ItemKind.REQUIRED, "学习班"), (ItemKind.REQUIRED, "专题党课"), (ItemKind.OPTIONAL, "故事会")):
        study_services.add_campaign_item(campaign, kind=kind, title=title)
    study_services.create_session(kind=SessionKind.MOBILISATION, title="主题教育动员暨部署会", campaign=campaign,
                                  starts_at=at(9, 16, year=2019), ends_at=at(9, 16, 12, year=2019),
                                  party_orgs=[cast.committee])

    launch = highlights.choose_highlights(cast.town, 2019, 9)
    assert [(h["kind"], h["headline"]) for h in launch] == [("campaign", "“不忘初心、牢记使命”主题教育启动")]
    assert launch[0]["text"].startswith("9月16日，召开主题教育动员暨部署会，部署规定动作2项、自选动作1项")
    assert highlights.choose_highlights(cast.town, 2019, 10) == []
    end = highlights.choose_highlights(cast.town, 2019, 11)
    assert [h["headline"] for h in end] == ["“不忘初心、牢记使命”主题教育圆满结束"]


def _candidate(kind, score, day):
    return {"kind": kind, "score": score, "date": f"2026-11-{day:02d}", "source": {"id": day}, "headline": "",
            "text": ""}


def test_at_most_two_of_a_kind_are_kept_while_other_kinds_wait_then_the_best_of_the_rest_fill_up():
    many = [_candidate("activity", 70 - i, i + 1) for i in range(5)]
    chosen = highlights.rank([*many, _candidate("concern", 50, 20)])
    assert [(h["kind"], h["score"]) for h in chosen] == [("activity", 70), ("activity", 69), ("activity", 68),
                                                          ("concern", 50)]
    tie = highlights.rank([_candidate("activity", 60, 9), _candidate("activity", 60, 3)], limit=1)
    assert tie[0]["date"] == "2026-11-03"  # the earlier event wins a tie


def test_editors_rewrite_reorder_remove_and_add_highlights_and_publication_keeps_them(cast, road):
    month_of_news(cast, road)
    b, _job = briefing_services.start_briefing(area=cast.town, year=2026, month=11, by=cast.users.leader)
    with time_machine.travel(at(12, 3), tick=False):
        briefing_services.regenerate_briefing(b, by=cast.users.leader)
    assert [h["kind"] for h in b.highlights] == ["project_stage", "concern", "activity"]

    briefing_services.edit_highlights(b, by=cast.users.leader, highlights=[
        {"origin": 1, "headline": "梅园至杨梅公路修好了", "text": b.highlights[1]["text"]},
        {"origin": 0, "headline": b.highlights[0]["headline"], "text": b.highlights[0]["text"]},
        {"origin": None, "headline": "镇村干部入户核查低保", "text": "11月，镇村干部入户核查低保对象120户。"},
    ])
    b.refresh_from_db()
    assert [h["headline"] for h in b.highlights] == ["梅园至杨梅公路修好了", "岸山路拉通项目完成财政审批",
                                                     "镇村干部入户核查低保"]
    assert b.highlights[0]["kind"] == "concern" and b.highlights[0]["edited"] is True
    assert "edited" not in b.highlights[1] and b.highlights[2]["kind"] == "manual"

    with time_machine.travel(at(12, 4), tick=False):
        version = briefing_services.publish_briefing(b, by=cast.users.leader)
    assert [h["headline"] for h in version.highlights] == [h["headline"] for h in b.highlights]
    briefing_services.edit_highlights(b, by=cast.users.leader, highlights=[])
    assert PublishedBriefing.objects.get(pk=version.pk).highlights[0]["headline"] == "梅园至杨梅公路修好了"


def test_a_highlight_without_a_headline_is_refused_naming_its_row(cast):
    b, _job = briefing_services.start_briefing(area=cast.town, year=2019, month=10, by=cast.users.leader)
    with pytest.raises(briefing_services.BriefingError, match="请填写第2条要闻的标题"):
        briefing_services.edit_highlights(b, by=cast.users.leader, highlights=[
            {"headline": "甲", "text": ""}, {"headline": "  ", "text": "只有内容"}])
    with pytest.raises(briefing_services.BriefingError, match="最多8条"):
        briefing_services.edit_highlights(b, by=cast.users.leader,
                                          highlights=[{"headline": f"第{i}条"} for i in range(9)])


def test_a_campaign_is_launched_by_its_first_mobilisation_meeting_not_twice(cast):
    campaign = study_services.create_campaign(name="党史学习教育", starts_on=D(2021, 3, 1), ends_on=D(2021, 12, 31),
                                              party_orgs=[cast.committee])
    for day in (8, 20):  # a town meeting, then a village one
        study_services.create_session(kind=SessionKind.MOBILISATION, title=f"党史学习教育动员会（{day}日）",
                                      campaign=campaign, starts_at=at(4, day, year=2021),
                                      ends_at=at(4, day, 12, year=2021), party_orgs=[cast.committee])
    assert highlights.choose_highlights(cast.town, 2021, 3) == []  # the first day alone is not the launch
    launch = highlights.choose_highlights(cast.town, 2021, 4)
    assert [h["text"][:20] for h in launch] == ["4月8日，召开党史学习教育动员会（8日）"]
