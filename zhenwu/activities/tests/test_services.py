import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from zhenwu.activities import access, services
from zhenwu.activities.models import (
    ActivityKind,
    AwardLevel,
    ContestKind,
    Entry,
    ParticipationRole,
    RoleModelCategory,
)
from zhenwu.activities.ranking import member_hours, volunteer_ranking
from zhenwu.audit.models import AuditEntry

SH = ZoneInfo("Asia/Shanghai")


def at(day, hour=9):
    return datetime.datetime(2019, 10, day, hour, tzinfo=SH)


def make_activity(cast, *, area=None, party_org=None, department=None, day=12, kind=ActivityKind.LABOUR, by=None):
    return services.create_activity(
        kind=kind, title="卫生清理义务劳动", starts_at=at(day), ends_at=at(day, 12), place="集里桥社区",
        area=area or cast.jiulong, party_org=party_org, department=department if department or party_org else cast.urban,
        by=by or cast.users.town_admin,
    )


def test_create_activity_is_audited_and_needs_an_organiser(cast):
    activity = make_activity(cast)
    assert AuditEntry.objects.filter(object_type="activities.Activity", object_id=str(activity.pk)).exists()
    with pytest.raises(services.ActivityError) as exc:
        services.create_activity(kind=ActivityKind.LABOUR, title="无主活动", starts_at=at(1), place="镇上",
                                 area=cast.town)
    assert exc.value.field == "department"
    with pytest.raises(services.ActivityError) as exc:
        services.create_activity(kind=ActivityKind.LABOUR, title="倒序", starts_at=at(2), ends_at=at(1), place="镇上",
                                 area=cast.town, department=cast.urban)
    assert exc.value.message == "结束时间不能早于开始时间"


def test_edit_activity_records_the_change(cast):
    activity = make_activity(cast)
    services.update_activity(activity, kind=ActivityKind.VOLUNTEER, title="卫生清理志愿服务", starts_at=at(12),
                             place="集里桥社区", area=cast.jiulong, department=cast.urban, beneficiary_count=5,
                             beneficiary_description="社区居民", by=cast.users.town_admin)
    entry = AuditEntry.objects.filter(object_type="activities.Activity", action="update").get()
    assert "title" in entry.changes and "beneficiary_count" in entry.changes


def test_participants_and_duplicates(cast):
    activity = make_activity(cast)
    services.add_participant(activity, role=ParticipationRole.ORGANISER, member=cast.members.jiulong)
    services.add_participant(activity, role=ParticipationRole.VOLUNTEER, resident=cast.residents.jizhen, hours="3")
    free = services.add_participant(activity, role=ParticipationRole.PARTICIPANT, person_name="外村志愿者甲")
    assert free.person_label == "外村志愿者甲"
    with pytest.raises(services.ActivityError) as exc:
        services.add_participant(activity, role=ParticipationRole.VOLUNTEER, member=cast.members.jiulong)
    assert "黎干亮已在本活动名单中" in exc.value.message
    with pytest.raises(services.ActivityError) as exc:
        services.add_participant(activity, role=ParticipationRole.PARTICIPANT, person_name="某人", hours="2")
    assert exc.value.field == "hours"
    with pytest.raises(services.ActivityError):
        services.add_participant(activity, role=ParticipationRole.VOLUNTEER, person_name="某人", hours="30")
    assert activity.participations.count() == 3


def test_hours_count_only_once_confirmed_and_confirmation_keeps_who_and_when(cast):
    activity = make_activity(cast)
    vol = services.add_participant(activity, role=ParticipationRole.VOLUNTEER, member=cast.members.jizhen, hours="3.5")
    assert member_hours(cast.members.jizhen) == 0
    assert volunteer_ranking() == []
    when = at(12, 18)
    services.confirm_hours(vol, by=cast.users.secretary, now=when)
    vol.refresh_from_db()
    assert vol.hours_confirmed_by == cast.users.secretary and vol.hours_confirmed_at == when
    assert member_hours(cast.members.jizhen) == Decimal("3.5")
    # A correction after confirmation is audited as a correction.
    services.confirm_hours(vol, by=cast.users.town_admin, hours="4")
    assert member_hours(cast.members.jizhen) == Decimal("4.0")
    assert AuditEntry.objects.filter(note="更正已确认的服务时长").count() == 1
    with pytest.raises(services.ActivityError):
        services.set_claimed_hours(vol, hours="5")
    participant = services.add_participant(activity, role=ParticipationRole.PARTICIPANT, person_name="群众")
    with pytest.raises(services.ActivityError):
        services.confirm_hours(participant, by=cast.users.town_admin)


def test_confirm_all_hours_skips_those_without_hours(cast):
    activity = make_activity(cast)
    services.add_participant(activity, role=ParticipationRole.VOLUNTEER, person_name="甲", hours="2")
    services.add_participant(activity, role=ParticipationRole.VOLUNTEER, person_name="乙", hours="3")
    services.add_participant(activity, role=ParticipationRole.VOLUNTEER, person_name="丙")
    assert services.confirm_all_hours(activity, by=cast.users.town_admin) == 2
    assert services.confirm_all_hours(activity, by=cast.users.town_admin) == 0


def test_ranking_by_period_and_area_with_shared_ranks(cast):
    jl = make_activity(cast, area=cast.jiulong, day=3)
    jz = make_activity(cast, area=cast.jizhen, day=12)
    later = make_activity(cast, area=cast.jiulong, day=30)
    for activity, name, hours in ((jl, "甲", 4), (jl, "乙", 2), (jz, "甲", 3), (jz, "丙", 6), (later, "乙", 5)):
        p = services.add_participant(activity, role=ParticipationRole.VOLUNTEER, person_name=name, hours=hours)
        services.confirm_hours(p, by=cast.users.town_admin)
    rows = volunteer_ranking(start=datetime.date(2019, 10, 1), end=datetime.date(2019, 10, 15))
    assert [(r.rank, r.name, r.hours, r.activities) for r in rows] == [
        (1, "甲", Decimal("7.0"), 2), (2, "丙", Decimal("6.0"), 1), (3, "乙", Decimal("2.0"), 1)]
    rows = volunteer_ranking(area=cast.jiulong)
    assert [(r.rank, r.name, r.hours) for r in rows] == [(1, "乙", Decimal("7.0")), (2, "甲", Decimal("4.0"))]
    p = services.add_participant(jz, role=ParticipationRole.VOLUNTEER, person_name="丁", hours=7)
    services.confirm_hours(p, by=cast.users.town_admin)
    rows = volunteer_ranking(start=datetime.date(2019, 10, 1), end=datetime.date(2019, 10, 15))
    assert [(r.rank, r.name) for r in rows][:3] == [(1, "丁"), (1, "甲"), (3, "丙")]


def test_a_declared_total_may_not_fall_below_the_names_recorded_unless_it_is_left_to_the_names(cast):
    activity = make_activity(cast, kind=ActivityKind.CARE_VISIT)
    services.set_beneficiaries(activity, count=216, description="老人")
    assert activity.beneficiary_count == 216
    for resident in (cast.residents.jiulong, cast.residents.jiulong2):
        services.add_beneficiary(activity, resident=resident)
    activity.refresh_from_db()
    assert activity.beneficiary_count == 216 and activity.beneficiaries.count() == 2
    with pytest.raises(services.ActivityError) as exc:
        services.update_activity(activity, kind=ActivityKind.CARE_VISIT, title="重阳慰问", starts_at=at(3), place="村部",
                                 area=cast.jiulong, department=cast.urban, beneficiary_count=1)
    assert exc.value.field == "beneficiary_count"
    services.update_activity(activity, kind=ActivityKind.CARE_VISIT, title="重阳慰问", starts_at=at(3), place="村部",
                             area=cast.jiulong, department=cast.urban, beneficiary_count=0)
    assert activity.beneficiary_count == 0


def test_contest_scores_average_and_awards(cast):
    contest = services.create_contest(kind=ContestKind.SPEECH, title="主题演讲比赛", held_on=datetime.date(2019, 9, 28),
                                      area=cast.town, department=cast.urban,
                                      judges=[cast.users.leader, cast.users.instructor])
    a = services.add_entry(contest, title="初心", author_member=cast.members.jiulong)
    b = services.add_entry(contest, title="家乡", author_name="青年甲")
    services.score_entry(a, judge=cast.users.leader, score="90")
    services.score_entry(a, judge=cast.users.instructor, score="85.5")
    services.score_entry(b, judge=cast.users.leader, score="70")
    services.score_entry(b, judge=cast.users.leader, score="80")  # re-scoring replaces
    with pytest.raises(services.ActivityError) as exc:
        services.score_entry(a, judge=cast.users.secretary, score="99")
    assert exc.value.message == "您不是本比赛的评委"
    with pytest.raises(services.ActivityError):
        services.score_entry(a, judge=cast.users.leader, score="101")
    rows = {e.title: e for e in Entry.objects.filter(contest=contest).with_scores()}
    assert rows["初心"].average == pytest.approx(Decimal("87.75")) and rows["初心"].judged == 2
    assert rows["家乡"].average == pytest.approx(Decimal("80")) and rows["家乡"].judged == 1
    services.assign_award(a, award=AwardLevel.FIRST, by=cast.users.town_admin)
    a.refresh_from_db()
    assert a.get_award_display() == "一等奖" and a.awarded_by == cast.users.town_admin
    with pytest.raises(services.ActivityError):
        services.assign_award(b, award="gold", by=cast.users.town_admin)


def test_role_model_links_study_sessions(cast):
    from zhenwu.study import services as study_services

    session = study_services.create_session(kind="story_meeting", title="初心故事会", starts_at=at(9, 15),
                                            ends_at=at(9, 17), party_orgs=[cast.jiulong_org])
    rm = services.create_role_model(category=RoleModelCategory.CUSTOMS, name="黎干亮", headline="移风易俗带头人",
                                    story="带头简办红白喜事", area=cast.jiulong, member=cast.members.jiulong)
    services.link_role_model_sessions(rm, sessions=[session])
    assert list(session.role_models.all()) == [rm]
    with pytest.raises(services.ActivityError):
        services.create_role_model(category=RoleModelCategory.CUSTOMS, name="黎干亮", headline="重复", story="重复",
                                   area=cast.jiulong)


def test_scope_of_activities_by_role(cast):
    town = make_activity(cast, area=cast.town, party_org=cast.committee)
    jiulong = make_activity(cast, area=cast.jiulong, department=cast.urban)
    jizhen = make_activity(cast, area=cast.jizhen, party_org=cast.jizhen_org)
    u = cast.users

    def seen(user):
        return set(access.visible_activities(user).values_list("pk", flat=True))

    assert seen(u.town_admin) == seen(u.leader) == {town.pk, jiulong.pk, jizhen.pk}
    assert seen(u.secretary) == {town.pk, jiulong.pk}
    assert seen(u.grid_worker) == {town.pk, jiulong.pk}
    assert seen(u.other_grid_worker) == {town.pk, jizhen.pk}
    assert seen(u.handler) == {jiulong.pk}  # the 城建办's own activity
    assert seen(u.member) == set()
    services.add_participant(jizhen, role=ParticipationRole.ORGANISER, member=cast.members.jiulong)
    assert seen(u.member) == {jizhen.pk}
    # Member organisers may confirm hours of their activity; they may not edit it.
    assert access.can_confirm_hours(u.member, jizhen) and not access.can_edit_activity(u.member, jizhen)
    assert access.can_edit_activity(u.secretary, jiulong) and not access.can_edit_activity(u.secretary, town)
    assert not access.can_confirm_hours(u.grid_worker, jiulong)
    assert set(jizhen.__class__.objects.visible_to(u.other_grid_worker).values_list("pk", flat=True)) == {
        town.pk, jizhen.pk}
