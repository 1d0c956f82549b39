"""Named beneficiaries of 慰问 and service activities: the rule that combines them with the declared
total, the service's checks (the town's residents, a visitor of the activity, no one twice), audit,
and the pages (masked data, scope: another village's secretary sees and changes nothing, a member sees
only whom they visited)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from conftest import PASSWORD
from zhenwu.accounts.models import Role, User
from zhenwu.activities import services
from zhenwu.activities.beneficiaries import beneficiary_total, total_beneficiaries, with_beneficiary_totals
from zhenwu.activities.models import Activity, ActivityKind, Beneficiary, ParticipationRole
from zhenwu.audit.models import AuditEntry
from zhenwu.org.models import Household, Resident

SH = ZoneInfo("Asia/Shanghai")


def at(day, hour=9):
    return datetime.datetime(2019, 10, day, hour, tzinfo=SH)


def care_visit(cast, *, count=0, area=None, kind=ActivityKind.CARE_VISIT, title="岁岁重阳暖人心"):
    return services.create_activity(kind=kind, title=title, starts_at=at(3), place="九龙村党群服务中心",
                                    area=area or cast.jiulong, party_org=cast.jiulong_org, beneficiary_count=count,
                                    beneficiary_description="老人", by=cast.users.secretary)


@pytest.fixture
def jizhen_secretary(cast):
    user = User(username="secretary2", role=Role.SECRETARY, full_name="集镇村书记", area=cast.jizhen,
                party_org=cast.jizhen_org)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def visit(cast):
    activity = care_visit(cast, count=216)
    volunteer = services.add_participant(activity, role=ParticipationRole.VOLUNTEER, member=cast.members.jiulong,
                                         hours=4)
    return activity, volunteer


# --- the rule -------------------------------------------------------------------------------------


def test_the_declared_total_stands_when_only_some_are_named(cast, visit):
    activity, volunteer = visit
    services.add_beneficiary(activity, resident=cast.residents.jiulong, visited_by=volunteer, gift="牛奶一箱")
    services.add_beneficiary(activity, person_name="刘奶奶", note="外村五保老人", visited_by=volunteer)
    assert beneficiary_total(activity) == 216


def test_the_names_count_when_no_total_is_declared_or_the_total_is_smaller(cast):
    named_only = care_visit(cast, count=0, title="入户慰问")
    for name in ("甲", "乙", "丙"):
        services.add_beneficiary(named_only, person_name=name)
    assert beneficiary_total(named_only) == 3
    estimate = care_visit(cast, count=2, title="估计偏少")
    for name in ("甲", "乙", "丙"):
        services.add_beneficiary(estimate, person_name=name)
    assert beneficiary_total(estimate) == 3  # the list shown beside it has three names


def test_the_queryset_totals_apply_the_same_rule_as_the_one_activity(cast, visit):
    activity, _ = visit
    services.add_beneficiary(activity, person_name="刘奶奶")
    named_only = care_visit(cast, count=0, title="入户慰问")
    for name in ("甲", "乙"):
        services.add_beneficiary(named_only, person_name=name)
    care_visit(cast, count=40, title="只报总数")
    care_visit(cast, count=0, title="无受益人")
    activities = Activity.objects.all()
    independent = sum(max(a.beneficiary_count, Beneficiary.objects.filter(activity=a).count()) for a in activities)
    assert independent == 216 + 2 + 40 + 0
    assert total_beneficiaries(activities) == independent
    assert total_beneficiaries(Activity.objects.none()) == 0
    annotated = {a.title: (a.beneficiaries_named, a.beneficiaries_served) for a in with_beneficiary_totals(activities)}
    assert annotated["入户慰问"] == (2, 2) and annotated["岁岁重阳暖人心"] == (1, 216)
    # the naive sum of declared totals would miss the named-only visit
    assert activities.aggregate(n=Sum("beneficiary_count"))["n"] == 256


# --- the service ----------------------------------------------------------------------------------


def test_a_beneficiary_is_a_resident_or_a_typed_name_and_the_addition_is_audited(cast, visit):
    activity, volunteer = visit
    row = services.add_beneficiary(activity, resident=cast.residents.jiulong, person_name="被忽略", visited_by=volunteer,
                                   gift="长寿面", by=cast.users.secretary)
    assert (row.resident, row.person_name, row.visited_by, row.gift) == (cast.residents.jiulong, "", volunteer, "长寿面")
    entry = AuditEntry.objects.get(object_type="activities.Beneficiary", object_id=str(row.pk))
    assert entry.action == "create" and "走访人黎干亮" in entry.note
    with pytest.raises(services.ActivityError) as exc:
        services.add_beneficiary(activity, resident=cast.residents.jiulong)
    assert exc.value.message == "黎明已在受益人名单中"
    with pytest.raises(services.ActivityError) as exc:
        services.add_beneficiary(activity, person_name="  ")
    assert exc.value.field == "person_name"
    services.remove_beneficiary(row, by=cast.users.secretary)
    assert not Beneficiary.objects.exists()
    assert AuditEntry.objects.filter(object_type="activities.Beneficiary", action="delete").count() == 1


def test_the_visitor_must_be_an_organiser_or_volunteer_of_the_same_activity(cast, visit):
    activity, _ = visit
    onlooker = services.add_participant(activity, role=ParticipationRole.PARTICIPANT, person_name="群众甲")
    other = care_visit(cast, title="另一场慰问")
    elsewhere = services.add_participant(other, role=ParticipationRole.VOLUNTEER, person_name="志愿者乙")
    for visitor in (onlooker, elsewhere):
        with pytest.raises(services.ActivityError) as exc:
            services.add_beneficiary(activity, person_name="刘奶奶", visited_by=visitor)
        assert exc.value.message == "走访人须是本活动的组织者或志愿者"


def test_only_visits_and_service_activities_name_beneficiaries_and_only_the_towns_residents(cast, second_town):
    show = care_visit(cast, kind=ActivityKind.EXHIBITION, title="书画摄影作品展")
    with pytest.raises(services.ActivityError):
        services.add_beneficiary(show, person_name="观众")
    outsider = Resident.objects.create(
        household=Household.objects.create(grid=second_town.grid, number="XA-0001", address="新安村1号"),
        name="外镇老人", relation="户主")
    activity = care_visit(cast)
    with pytest.raises(services.ActivityError) as exc:
        services.add_beneficiary(activity, resident=outsider)
    assert exc.value.message == "外镇老人不是本镇居民，请按姓名登记"


# --- pages ----------------------------------------------------------------------------------------


def test_the_activity_page_lists_named_beneficiaries_with_masked_numbers(cast, visit, client, login):
    activity, volunteer = visit
    services.add_beneficiary(activity, resident=cast.residents.jiulong, visited_by=volunteer, gift="牛奶一箱")
    services.add_beneficiary(activity, person_name="刘奶奶", note="外村五保老人")
    login(cast.users.secretary)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert 'data-testid="beneficiaries"' in page
    assert "黎明" in page and "JL-0001" in page and "138****8000" in page and "13800138000" not in page
    assert "430181195001011236" not in page
    assert "刘奶奶" in page and "外村五保老人" in page and "走访人 黎干亮" in page and "牛奶一箱" in page
    assert "216 名老人（其中登记姓名 2 名）" in page


def test_the_secretary_names_a_beneficiary_through_the_search_picker(cast, visit, client, login):
    activity, volunteer = visit
    login(cast.users.secretary)
    results = client.get(f"/activities/{activity.pk}/beneficiaries/search/?field=resident&resident_q=王").content.decode()
    assert "王芳" in results and "张强" not in results  # 张强 lives in 集镇村, outside the secretary's village
    response = client.post(f"/activities/{activity.pk}/beneficiaries/", {
        "resident": cast.residents.jiulong2.pk, "visited_by": volunteer.pk, "gift": "慰问金200元"})
    assert response.status_code == 302
    row = Beneficiary.objects.get()
    assert (row.resident, row.visited_by, row.recorded_by) == (cast.residents.jiulong2, volunteer, cast.users.secretary)
    # A resident outside the user's scope cannot be posted by editing the page.
    refused = client.post(f"/activities/{activity.pk}/beneficiaries/", {"resident": cast.residents.jizhen.pk})
    assert refused.status_code == 400 and Beneficiary.objects.count() == 1
    empty = client.post(f"/activities/{activity.pk}/beneficiaries/", {"note": "只有备注"})
    assert empty.status_code == 400 and "请选择居民，或填写不在名册中的受益人姓名" in empty.content.decode()


def test_another_villages_secretary_cannot_see_or_change_the_list(cast, visit, client, login, jizhen_secretary):
    activity, volunteer = visit
    row = services.add_beneficiary(activity, resident=cast.residents.jiulong, visited_by=volunteer)
    login(jizhen_secretary)
    assert client.get(f"/activities/{activity.pk}/").status_code == 404
    assert client.post(f"/activities/{activity.pk}/beneficiaries/", {"person_name": "伪造"}).status_code == 404
    assert client.get(f"/activities/{activity.pk}/beneficiaries/search/?field=resident&resident_q=黎").status_code == 404
    assert client.post(f"/activities/beneficiaries/{row.pk}/remove/").status_code == 404
    assert Beneficiary.objects.count() == 1


def test_a_leader_reads_the_list_but_cannot_change_it(cast, visit, client, login):
    activity, volunteer = visit
    row = services.add_beneficiary(activity, person_name="刘奶奶", visited_by=volunteer)
    login(cast.users.leader)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert "刘奶奶" in page and "登记受益人" not in page and "移出名单" not in page
    assert client.post(f"/activities/beneficiaries/{row.pk}/remove/").status_code == 403
    assert client.post(f"/activities/{activity.pk}/beneficiaries/", {"person_name": "x"}).status_code == 403


def test_a_member_sees_only_the_beneficiaries_they_visited(cast, visit, client, login):
    activity, volunteer = visit
    services.add_beneficiary(activity, person_name="刘奶奶", visited_by=volunteer)
    services.add_beneficiary(activity, person_name="陈爷爷")
    login(cast.users.member)
    page = client.get(f"/activities/{activity.pk}/").content.decode()
    assert "刘奶奶" in page and "陈爷爷" not in page


def test_removing_a_beneficiary_through_the_page_is_audited(cast, visit, client, login):
    activity, _ = visit
    row = services.add_beneficiary(activity, person_name="刘奶奶")
    login(cast.users.secretary)
    response = client.post(f"/activities/beneficiaries/{row.pk}/remove/")
    assert response.status_code == 302 and not Beneficiary.objects.exists()
    entry = AuditEntry.objects.get(object_type="activities.Beneficiary", action="delete")
    assert entry.actor_id == cast.users.secretary.pk
