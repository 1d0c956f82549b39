"""The study fixture on top of the cast: a campaign for the whole town with two required items
and one optional, one ended study class, one themed lesson, and members in every coverage state.

九龙村第一党支部 (under 九龙村党总支, the secretary's and the instructor's organisation):
- 黎干亮 (elderly, the cast's member account): no class, a confirmed home lesson → made up
- 赵六: attended the class and the lesson → done
- 王五: absent from the class, no make-up → missing
- 李四: approved leave from the class, no make-up → excused
集镇村党总支: 彭镇铭 (migrant, missing) and 陈七 (attended → done).
"""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from zhenwu.accounts.models import Role, User
from zhenwu.org.models import Member
from zhenwu.study import services
from zhenwu.study.models import ItemKind, SessionKind, VenueKind

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def build_study(cast):
    admin = cast.users.town_admin
    member = lambda org, name, **flags: Member.objects.create(party_org=org, name=name, **flags)  # noqa: E731
    zhao = member(cast.jiulong_branch, "赵六")
    wang = member(cast.jiulong_branch, "王五")
    li = member(cast.jiulong_branch, "李四")
    chen = member(cast.jizhen_org, "陈七")
    campaign = services.create_campaign(
        name="不忘初心、牢记使命主题教育", starts_on=datetime.date(2019, 9, 1), ends_on=datetime.date(2019, 11, 30),
        party_orgs=[cast.committee], by=admin,
    )
    class_item = services.add_campaign_item(campaign, kind=ItemKind.REQUIRED, title="第三期学习班", by=admin)
    lesson_item = services.add_campaign_item(campaign, kind=ItemKind.REQUIRED, title="专题党课", by=admin)
    optional = services.add_campaign_item(campaign, kind=ItemKind.OPTIONAL, title="草根宣讲", by=admin)
    study_class = services.create_session(
        campaign=campaign, kind=SessionKind.STUDY_CLASS, title="第三期主题教育学习班",
        starts_at=local(2019, 10, 14, 9, 0), ends_at=local(2019, 10, 14, 11, 30),
        party_orgs=[cast.committee], items=[class_item], venue_kind=VenueKind.MEETING_ROOM, by=admin,
    )
    lesson = services.create_session(
        campaign=campaign, kind=SessionKind.THEMED_LESSON, title="初心故事会", starts_at=local(2019, 9, 28, 15, 0),
        ends_at=local(2019, 9, 28, 17, 0), party_orgs=[cast.jiulong_org, cast.jizhen_org],
        items=[lesson_item, optional], venue_kind=VenueKind.FARMYARD, by=admin,
    )
    at = local(2019, 10, 14, 9, 5)
    for m in (zhao, chen):
        services.tick_roster(study_class, member=m, by=admin, now=at)
    for m in (zhao, chen, wang, li):
        services.tick_roster(lesson, member=m, by=admin, now=local(2019, 9, 28, 15, 5))
    services.request_leave(study_class, member=li, reason="在长沙住院", by=admin, approve=True,
                           now=local(2019, 10, 13, 9, 0))
    lgl = cast.members.jiulong
    services.record_home_lesson(member=lgl, mentor=zhao, given_on=datetime.date(2019, 10, 16),
                                content="送学上门：学习第三期学习班内容", items=[class_item, lesson_item],
                                confirmation="signed", by=cast.users.secretary)
    return SimpleNamespace(
        campaign=campaign, class_item=class_item, lesson_item=lesson_item, optional=optional,
        study_class=study_class, lesson=lesson, zhao=zhao, wang=wang, li=li, chen=chen, lgl=lgl,
        peng=cast.members.jizhen,
    )


@pytest.fixture
def study(cast):
    return build_study(cast)


@pytest.fixture
def other_instructor(cast):
    user = User(username="instructor2", role=Role.INSTRUCTOR, full_name="集镇村指导员")
    from conftest import PASSWORD

    user.set_password(PASSWORD)
    user.save()
    return user
