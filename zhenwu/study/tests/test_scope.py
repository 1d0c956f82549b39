"""Who sees what in 学习教育: a secretary their branch, an instructor the branches assigned to them,
town accounts the town, members their own study; other roles nothing."""

import pytest

from zhenwu.study import access, services
from zhenwu.study.models import Guidance, SessionKind

from .conftest import local


def coverage_orgs(client, campaign):
    body = client.get(f"/study/campaigns/{campaign.pk}/coverage/").content.decode()
    table = body.split('data-testid="org-table"')[1].split("</table>")[0]
    return {name for name in ("九龙村第一党支部", "集镇村党总支") if name in table}


@pytest.fixture
def jizhen_session(cast, study):
    return services.create_session(
        campaign=study.campaign, kind=SessionKind.GRASSROOTS_TALK, title="集镇村草根宣讲",
        starts_at=local(2019, 10, 5, 9), ends_at=local(2019, 10, 5, 10), party_orgs=[cast.jizhen_org],
        items=[study.lesson_item], by=cast.users.town_admin,
    )


@pytest.mark.parametrize("role", ["town_admin", "leader"])
def test_town_accounts_see_every_branch(client, login, cast, study, role):
    login(getattr(cast.users, role))
    assert coverage_orgs(client, study.campaign) == {"九龙村第一党支部", "集镇村党总支"}


def test_a_secretary_sees_only_their_branch(client, login, cast, study, jizhen_session):
    login(cast.users.secretary)
    assert coverage_orgs(client, study.campaign) == {"九龙村第一党支部"}
    assert client.get(f"/study/campaigns/{study.campaign.pk}/coverage/orgs/{cast.jizhen_org.pk}/").status_code == 404
    assert client.get(f"/study/sessions/{jizhen_session.pk}/").status_code == 404
    assert "集镇村草根宣讲" not in client.get("/study/sessions/").content.decode()
    # The town-wide class is visible, but its roster holds only the secretary's own members.
    roster = client.get(f"/study/sessions/{study.study_class.pk}/roster/").content.decode()
    assert "王五" in roster and "陈七" not in roster and "彭镇铭" not in roster
    response = client.post(f"/study/sessions/{study.study_class.pk}/roster/{study.chen.pk}/tick/")
    assert response.status_code == 404


def test_a_secretary_cannot_edit_a_town_wide_session_but_can_edit_their_own(client, login, cast, study):
    login(cast.users.secretary)
    assert client.get(f"/study/sessions/{study.study_class.pk}/edit/").status_code == 403
    assert client.get(f"/study/sessions/{study.lesson.pk}/edit/").status_code == 403  # also 集镇村
    own = services.create_session(kind=SessionKind.PARTY_LESSON, title="九龙村党课", starts_at=local(2019, 10, 1, 9),
                                  ends_at=local(2019, 10, 1, 10), party_orgs=[cast.jiulong_org], by=cast.users.secretary)
    assert client.get(f"/study/sessions/{own.pk}/edit/").status_code == 200


def test_an_instructor_sees_the_organisation_on_their_account_until_more_are_assigned(client, login, cast, study):
    login(cast.users.instructor)
    assert coverage_orgs(client, study.campaign) == {"九龙村第一党支部"}
    services.assign_instructor(instructor=cast.users.instructor, party_org=cast.jizhen_org, by=cast.users.town_admin)
    assert coverage_orgs(client, study.campaign) == {"九龙村第一党支部", "集镇村党总支"}


def test_an_instructor_sees_only_assigned_branches(client, login, cast, study, other_instructor, jizhen_session):
    assert access.scope_paths(other_instructor) == []
    services.assign_instructor(instructor=other_instructor, party_org=cast.jizhen_org, by=cast.users.town_admin)
    login(other_instructor)
    assert coverage_orgs(client, study.campaign) == {"集镇村党总支"}
    url = f"/study/campaigns/{study.campaign.pk}/coverage/orgs/"
    assert client.get(f"{url}{cast.jiulong_branch.pk}/").status_code == 404
    assert client.get(f"{url}{cast.jizhen_org.pk}/").status_code == 200
    assert client.get(f"/study/sessions/{jizhen_session.pk}/").status_code == 200
    # Guidance only for the assigned branch.
    response = client.post("/study/guidance/new/", {"party_org": cast.jiulong_branch.pk, "visited_on": "2019-10-20",
                                                    "findings": "x", "advice": "y"})
    assert response.status_code == 200 and not Guidance.objects.exists()
    response = client.post("/study/guidance/new/", {"party_org": cast.jizhen_org.pk, "visited_on": "2019-10-20",
                                                    "findings": "台账不全", "advice": "补齐学习记录"})
    assert response.status_code == 302 and Guidance.objects.get().instructor == other_instructor
    assert "集镇村党总支" in client.get("/study/instructors/").content.decode()


def test_an_instructor_cannot_take_the_roll_but_records_lessons_for_guided_members_only(client, login, cast, study,
                                                                                      other_instructor):
    login(cast.users.instructor)
    assert client.get(f"/study/sessions/{study.study_class.pk}/roster/").status_code == 403
    page = client.get(f"/study/home-lessons/new/?member={study.wang.pk}").content.decode()
    assert "王五" in page and "陈七" not in page  # 集镇村 is not a branch this instructor guides
    client.logout()
    login(other_instructor)  # guides no branch
    assert client.get("/study/home-lessons/new/").status_code == 403


def test_a_member_sees_their_own_page_but_no_coverage(client, login, cast, study, jizhen_session):
    login(cast.users.member)
    assert client.get(f"/study/campaigns/{study.campaign.pk}/coverage/").status_code == 403
    assert client.get(f"/study/campaigns/{study.campaign.pk}/coverage/export/").status_code == 403
    assert client.get("/study/campaigns/").status_code == 403
    assert client.get(f"/study/sessions/{study.study_class.pk}/").status_code == 200
    assert client.get(f"/study/sessions/{jizhen_session.pk}/").status_code == 404
    assert client.get("/study/").url == "/study/me/"


@pytest.mark.parametrize("role", ["dispatcher", "handler", "grid_worker"])
def test_roles_outside_study_are_refused(client, login, cast, study, role):
    login(getattr(cast.users, role))
    assert client.get("/study/campaigns/").status_code == 403
    assert client.get(f"/study/campaigns/{study.campaign.pk}/coverage/").status_code == 403
    assert client.get("/study/home-lessons/").status_code == 403
    assert "王五" not in client.get("/study/sessions/").content.decode()


def test_the_menu_shows_study_entries_by_role(client, login, cast):
    login(cast.users.member)
    body = client.get("/study/me/").content.decode()
    assert "我的学习" in body and "学习活动" in body and "送学帮学" not in body
    client.logout()
    login(cast.users.secretary)
    body = client.get("/study/campaigns/").content.decode()
    assert "学习教育" in body and "送学帮学" in body and "我的学习" not in body
