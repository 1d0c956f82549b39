"""The session form: no pre-ticked organisation that widens the audience, items limited to the
chosen campaign, and a session kept within its campaign's period."""

import re

import pytest

from zhenwu.study import services
from zhenwu.study.models import StudySession

from .conftest import local

NEW = "/study/sessions/new/"


def _ticked_orgs(html):
    return re.findall(r'<input type="checkbox" name="party_orgs" value="(\d+)"[^>]*checked', html)


def _post(client, **overrides):
    data = {"kind": "party_lesson", "title": "九龙村党课", "venue_kind": "other", "starts_at": "2019-10-09T15:00",
            "ends_at": "2019-10-09T17:00"}
    data.update(overrides)
    return client.post(NEW, {k: v for k, v in data.items() if v is not None})


def test_the_town_admins_new_session_form_ticks_no_organisation(client, login, cast, study):
    login(cast.users.town_admin)
    html = client.get(NEW).content.decode()
    assert f'name="party_orgs" value="{cast.committee.pk}"' in html  # offered,
    assert _ticked_orgs(html) == []  # but not chosen for the admin


def test_a_session_without_an_organisation_is_refused_in_chinese(client, login, cast, study):
    login(cast.users.town_admin)
    response = _post(client)
    assert response.status_code == 200 and not StudySession.objects.filter(title="九龙村党课").exists()
    assert "请选择参加本次学习的党组织" in response.content.decode()


def test_a_secretary_with_several_organisations_in_scope_gets_none_ticked(client, login, cast, study):
    # 九龙村党总支 and its 第一党支部: ticking the 总支 would widen a branch's session.
    login(cast.users.secretary)
    assert _ticked_orgs(client.get(NEW).content.decode()) == []


def test_a_secretary_with_exactly_one_organisation_in_scope_gets_it_ticked(client, login, cast, study):
    secretary = cast.users.secretary
    secretary.party_org = cast.jiulong_branch
    secretary.save(update_fields=["party_org"])
    login(secretary)
    assert _ticked_orgs(client.get(NEW).content.decode()) == [str(cast.jiulong_branch.pk)]


def test_items_carry_their_campaign_so_the_page_shows_only_the_chosen_campaigns(client, login, cast, study):
    other = services.create_campaign(name="党纪学习教育", starts_on=local(2024, 4, 1).date(),
                                     ends_on=local(2024, 7, 31).date(), party_orgs=[cast.committee])
    foreign = services.add_campaign_item(other, kind="required", title="学习条例")
    login(cast.users.town_admin)
    html = client.get(NEW).content.decode()
    assert 'data-filters="id_items"' in html
    assert re.search(rf'data-group="{other.pk}"[^>]*value="{foreign.pk}"|value="{foreign.pk}"[^>]*data-group="{other.pk}"',
                     html), html
    assert re.search(rf'value="{study.class_item.pk}"[^>]*data-group="{study.campaign.pk}"|'
                     rf'data-group="{study.campaign.pk}"[^>]*value="{study.class_item.pk}"', html)


def test_an_item_of_another_campaign_is_refused_beside_the_items(client, login, cast, study):
    other = services.create_campaign(name="党纪学习教育", starts_on=local(2024, 4, 1).date(),
                                     ends_on=local(2024, 7, 31).date(), party_orgs=[cast.committee])
    foreign = services.add_campaign_item(other, kind="required", title="学习条例")
    login(cast.users.town_admin)
    response = _post(client, party_orgs=[cast.jiulong_org.pk], campaign=study.campaign.pk,
                     items=[foreign.pk, study.class_item.pk])
    body = response.content.decode()
    assert response.status_code == 200 and not StudySession.objects.filter(title="九龙村党课").exists()
    assert "对应学习项目“学习条例”不属于主题教育“不忘初心、牢记使命主题教育”" in body


def test_a_2026_session_is_refused_by_the_2019_campaign_on_its_start_time(client, login, cast, study):
    login(cast.users.town_admin)
    response = _post(client, party_orgs=[cast.jiulong_org.pk], campaign=study.campaign.pk,
                     starts_at="2026-12-04T09:30", ends_at="2026-12-04T11:00")
    body = response.content.decode()
    assert response.status_code == 200 and not StudySession.objects.filter(title="九龙村党课").exists()
    assert "开始时间不在主题教育“不忘初心、牢记使命主题教育”的期间（2019年9月1日至2019年11月30日）内" in body
    # The error stands beside the start time field, which keeps what was typed.
    field = body[body.index('name="starts_at"') - 400:body.index('name="starts_at"') + 600]
    assert "has-error" in field and 'value="2026-12-04T09:30"' in field


def test_a_session_ending_after_its_campaign_is_refused_on_its_end_time(cast, study):
    with pytest.raises(services.StudyError) as error:
        services.create_session(kind="party_lesson", title="跨期党课", party_orgs=[cast.jiulong_org],
                                campaign=study.campaign, starts_at=local(2019, 11, 30, 20),
                                ends_at=local(2019, 12, 1, 9))
    assert error.value.field == "ends_at"


def test_a_session_on_the_campaigns_first_and_last_day_is_accepted(cast, study):
    for day in (local(2019, 9, 1, 9), local(2019, 11, 30, 9)):
        services.create_session(kind="party_lesson", title=f"党课{day:%m%d}", party_orgs=[cast.jiulong_org],
                                campaign=study.campaign, starts_at=day, ends_at=day.replace(hour=11))
