"""Links, visits (idempotent, with a concern through the concerns service), meetings and the
concerns raised at them; every write audited."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns.models import Channel, Concern
from zhenwu.grid import services
from zhenwu.grid.models import HouseholdLink, MeetingConcern, MemberRole, Visit
from zhenwu.org.models import Household


def _households(cast, n, grid=None, start=0):
    grid = grid or cast.jiulong_grid
    return [
        Household.objects.create(grid=grid, number=f"JL-1{i:03d}", address=f"九龙村一组{i}号")
        for i in range(start, start + n)
    ]


def test_linking_skips_households_already_linked_and_is_audited(cast):
    member, h = cast.members.jiulong, cast.households.jiulong
    first = services.link_households(member=member, households=[h], by=cast.users.grid_worker)
    again = services.link_households(member=member, households=[h, cast.households.jiulong2],
                                     by=cast.users.grid_worker)
    assert len(first) == 1 and [link.household for link in again] == [cast.households.jiulong2]
    assert HouseholdLink.objects.filter(member=member, ended_on__isnull=True).count() == 2
    notes = sorted(AuditEntry.objects.filter(object_type="grid.HouseholdLink").values_list("note", flat=True))
    assert notes == ["黎干亮联系JL-0001", "黎干亮联系JL-0002"]


def test_a_member_cannot_be_linked_to_more_than_ten_households(cast):
    member = cast.members.jiulong
    services.link_households(member=member, households=_households(cast, 8), by=None)
    with pytest.raises(ValidationError) as exc:
        services.link_households(member=member, households=_households(cast, 3, cast.jiulong_grid2, start=8), by=None)
    assert exc.value.message_dict["member"] == ["黎干亮已联系8户，再加3户将超过每名党员10户的上限"]


def test_distributing_a_grid_tops_each_member_up_and_reports_what_is_left(cast):
    extra = _households(cast, 12)
    result = services.distribute_grid_households(
        grid=cast.jiulong_grid, members=[cast.members.jiulong, cast.members.jizhen], by=cast.users.secretary,
        per_member=6,
    )
    # 13 unlinked households in the grid (JL-0001 and twelve more): 6 + 6, one left over.
    assert result.left_over == 1 and len(result.links) == 12
    first = [link.household.number for link in result.links[:6]]
    assert first == sorted(first) and all(link.member == cast.members.jiulong for link in result.links[:6])
    assert {h.number for h in extra} | {"JL-0001"} > {link.household.number for link in result.links}
    with pytest.raises(ValidationError) as exc:
        services.distribute_grid_households(grid=cast.jiulong_grid, members=[cast.members.jiulong], by=None,
                                            per_member=12)
    assert "5到10户" in exc.value.message_dict["per_member"][0]


def test_ending_a_link_keeps_its_history(cast):
    (link,) = services.link_households(member=cast.members.jiulong, households=[cast.households.jiulong], by=None)
    services.end_household_link(link, by=cast.users.grid_worker)
    link.refresh_from_db()
    assert link.ended_on == timezone.localdate()
    assert AuditEntry.objects.filter(object_type="grid.HouseholdLink", action="update").count() == 1


def test_member_roles_are_replaced_and_audited(cast):
    m = cast.members.jiulong
    services.set_member_roles(member=m, roles=["policy", "mediation"], by=cast.users.secretary)
    services.set_member_roles(member=m, roles=["mediation", "information"], by=cast.users.secretary)
    assert sorted(MemberRole.objects.filter(member=m).values_list("role", flat=True)) == ["information", "mediation"]
    assert AuditEntry.objects.filter(object_type="grid.MemberRole").count() == 4


def test_a_visit_with_a_concern_replayed_with_its_key_stores_one_visit_and_one_concern(cast, category):
    kwargs = dict(
        household=cast.households.jiulong, visited_on=timezone.localdate(), way="home", by=cast.users.member,
        member=cast.members.jiulong, notes="黎明反映门前路灯坏了", idempotency_key="7c1a6f0e-2f7e-4b5e-9d7a-1a2b3c4d5e6f",
        raise_concern=True, concern_text="九龙村一组门前路灯坏了三盏，晚上看不见路。", concern_category=category,
    )
    first = services.record_visit(**kwargs)
    second = services.record_visit(**kwargs)
    assert first.created and not second.created and first.visit.pk == second.visit.pk
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1
    concern = Concern.objects.get()
    assert concern.channel == Channel.VISIT and concern.area == cast.jiulong_grid
    assert concern.idempotency_key == "visit:7c1a6f0e-2f7e-4b5e-9d7a-1a2b3c4d5e6f"
    assert first.visit.concern == concern and concern.registered_by == cast.users.member
    assert AuditEntry.objects.filter(object_type="grid.Visit", object_id=str(first.visit.pk)).count() == 1


def test_a_refused_concern_keeps_nothing_of_the_visit(cast):
    with pytest.raises(ValidationError) as exc:
        services.record_visit(
            household=cast.households.jiulong, visited_on=timezone.localdate(), way="phone", by=cast.users.grid_worker,
            notes="电话回访", raise_concern=True, concern_text="路灯坏了", concern_category=None,
        )
    assert exc.value.message_dict == {"concern_category": ["请选择诉求类别"]}
    assert not Visit.objects.exists() and not Concern.objects.exists()


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("visited_on", "tomorrow", "走访日期不能晚于今天"),
        ("way", "letter", "请选择走访方式"),
        ("notes", "", "请填写走访情况"),
    ],
)
def test_visit_errors_name_their_field(cast, field, value, message):
    kwargs = dict(household=cast.households.jiulong, visited_on=timezone.localdate(), way="home",
                  by=cast.users.grid_worker, notes="走访")
    kwargs[field] = timezone.localdate() + datetime.timedelta(days=1) if value == "tomorrow" else value
    with pytest.raises(ValidationError) as exc:
        services.record_visit(**kwargs)
    assert exc.value.message_dict == {field: [message]}


def test_a_meeting_raises_several_concerns_each_linked_back_and_a_replay_duplicates_none(cast, category):
    meeting = services.record_meeting(
        area=cast.jizhen, title="民情茶室之“民情察实”", held_on=timezone.localdate(), place="集镇村党群服务中心",
        host="彭镇铭", by=cast.users.town_admin, members=[cast.members.jizhen], residents=[cast.residents.jizhen],
        guest_count=12, minutes="群众反映学校周边污水问题等。",
    )
    items = [
        services.RaisedConcern(text="学校周边生活污水直排，臭味很重。", category=category, reporter_name="张强",
                               area=cast.jizhen_grid),
        services.RaisedConcern(text="老街路灯不亮。", category=category),
    ]
    first = services.raise_concerns_from_meeting(meeting, concerns=items, by=cast.users.town_admin,
                                                 idempotency_key="form-1")
    again = services.raise_concerns_from_meeting(meeting, concerns=items, by=cast.users.town_admin,
                                                 idempotency_key="form-1")
    assert [c.pk for c in first] == [c.pk for c in again]
    assert Concern.objects.filter(channel=Channel.TEA_ROOM).count() == 2
    assert set(MeetingConcern.objects.filter(meeting=meeting).values_list("concern_id", flat=True)) == {
        c.pk for c in first
    }
    assert first[0].area == cast.jizhen_grid and first[1].area == cast.jizhen
    assert AuditEntry.objects.filter(object_type="grid.Meeting").count() == 1
    assert AuditEntry.objects.filter(object_type="grid.MeetingConcern").count() == 2


def test_a_refused_meeting_concern_names_its_row_and_stores_none(cast, category):
    meeting = services.record_meeting(area=cast.jizhen, title="民情茶室", held_on=timezone.localdate(), place="村部",
                                      host="彭镇铭", by=cast.users.town_admin)
    items = [services.RaisedConcern(text="路灯不亮。", category=category),
             services.RaisedConcern(text="垃圾没人收。", category=None)]
    with pytest.raises(ValidationError) as exc:
        services.raise_concerns_from_meeting(meeting, concerns=items, by=cast.users.town_admin)
    assert exc.value.message_dict == {"concerns": ["第2条：请选择诉求类别"]}
    assert not Concern.objects.exists() and not MeetingConcern.objects.exists()


def test_a_meeting_concern_from_another_village_is_refused(cast, category):
    meeting = services.record_meeting(area=cast.jizhen, title="民情茶室", held_on=timezone.localdate(), place="村部",
                                      host="彭镇铭", by=cast.users.town_admin)
    items = [services.RaisedConcern(text="路灯不亮。", category=category, area=cast.jiulong_grid)]
    with pytest.raises(ValidationError) as exc:
        services.raise_concerns_from_meeting(meeting, concerns=items, by=cast.users.town_admin)
    assert exc.value.message_dict == {"concerns": ["第1条：所在网格不属于集镇村"]}
