"""The demo town's study records follow the reference story and load once."""

import io

import pytest
from django.core.management import call_command

from zhenwu.audit.services import verify_chain
from zhenwu.org.models import Member
from zhenwu.study import coverage
from zhenwu.study.models import (
    Attendance,
    Campaign,
    HomeLesson,
    InstructorAssignment,
    Mentorship,
    PackHandout,
    SiteCheck,
    StudyNotice,
    StudySession,
)


def load():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_town_runs_the_storys_campaign_and_leaves_no_one_out_unnoticed():
    output = load()
    assert "学习教育：主题教育1项" in output and "特色党课专场8场" in output
    campaign = Campaign.objects.get(name="“不忘初心、牢记使命”主题教育")
    assert campaign.items.filter(kind="required").count() == 7 and campaign.items.filter(kind="optional").exists()

    sessions = StudySession.objects.filter(campaign=campaign)
    third = sessions.get(title="官桥镇第三期主题教育学习班")
    assert (third.starts_at.month, third.starts_at.day) == (10, 14) and third.kind == "study_class"
    mobilisation = sessions.get(kind="mobilisation")
    assert mobilisation.starts_at.month == 9 and 11 <= mobilisation.starts_at.day <= 20
    assert sessions.filter(kind="party_day", starts_at__month=9, starts_at__day__lte=10).exists()
    assert sessions.filter(title__contains="廉政十二时辰").exists()
    featured = sessions.filter(is_featured=True)
    assert featured.count() == 8
    assert {"cultural_square", "farmyard", "tea_room"} <= set(featured.values_list("venue_kind", flat=True))
    assert featured.filter(title__contains="民情茶室").exists() and featured.filter(title__contains="您说我做").exists()
    assert featured.filter(kind="story_meeting").exists() and featured.filter(kind="grassroots_talk").exists()

    # Most members signed in; 黎干亮 of 九龙村, over 80, was taught at home.
    overview = coverage.summary(campaign)
    assert overview.members == Member.objects.filter(is_active=True).count()
    assert overview.overall.done > 0.6 * overview.overall.total
    signed = Attendance.objects.filter(session__campaign=campaign).values("member").distinct().count()
    assert signed > 0.8 * overview.members
    assert 90 <= overview.overall.completion < 100 and overview.overall.missing > 0
    lgl = Member.objects.get(name="黎干亮")
    lesson = HomeLesson.objects.get(member=lgl)
    assert lesson.is_confirmed and lesson.mentor is not None and lesson.mentor.party_org.name.startswith("九龙村")
    assert all(status in ("done", "made_up") for _, status in coverage.member_statuses(lgl, campaign))

    sizes = [m.mentees.count() for m in Mentorship.objects.all()]
    assert 1 in sizes and max(sizes) > 1  # both 1+1 and 1+N
    assert InstructorAssignment.objects.values("instructor").distinct().count() >= 3
    assert SiteCheck.objects.count() == InstructorAssignment.objects.count()
    assert PackHandout.objects.filter(pack__name="初心大礼包").count() == Member.objects.count()
    assert StudyNotice.objects.filter(recipient__username="gq_secretary").exists()
    assert verify_chain().ok

    second = load()
    assert "学习教育演示数据已存在" in second
    assert StudySession.objects.count() == sessions.count() and HomeLesson.objects.filter(member=lgl).count() == 1
