"""The grid pages through the client: scope (a grid worker sees only their grid's households, a
member only the linked ones), masked data and sensitive tags, the visit form's idempotent POST,
lists with bounded queries, meetings."""

import datetime

import pytest
from django.utils import timezone

from conftest import build_second_town
from zhenwu.concerns.models import Channel, Concern
from zhenwu.grid import services
from zhenwu.grid.models import HouseholdLink, Meeting, MeetingConcern, Visit
from zhenwu.org.models import Household


@pytest.fixture
def linked(cast):
    start = timezone.localdate() - datetime.timedelta(days=60)
    for member, household in ((cast.members.jiulong, cast.households.jiulong),
                              (cast.members.jizhen, cast.households.jizhen)):
        HouseholdLink.objects.create(member=member, household=household, grid_id=household.grid_id, started_on=start)
    return cast


def _url(name, household):
    return f"/grid/households/{household.pk}/{name}"


def test_a_grid_worker_sees_only_their_grids_households(linked, client, login):
    login(linked.users.grid_worker)
    assert client.get(_url("", linked.households.jiulong)).status_code == 200
    assert client.get(_url("", linked.households.jiulong2)).status_code == 404  # the village's other grid
    assert client.get(_url("", linked.households.jizhen)).status_code == 404
    assert client.get(_url("visit/", linked.households.jizhen)).status_code == 404
    home = client.get("/grid/").content.decode()
    assert "JL-0001" in home and "JL-0002" not in home and "JZ-0001" not in home


def test_a_secretary_sees_the_village_and_a_member_only_linked_households(linked, client, login):
    login(linked.users.secretary)
    assert client.get(_url("", linked.households.jiulong2)).status_code == 200
    assert client.get(_url("", linked.households.jizhen)).status_code == 404
    client.logout()
    login(linked.users.member)
    assert client.get(_url("", linked.households.jiulong)).status_code == 200
    assert client.get(_url("", linked.households.jiulong2)).status_code == 404
    home = client.get("/grid/").content.decode()
    assert "JL-0001" in home and "JL-0002" not in home


def test_a_member_whose_link_ended_loses_the_household(linked, client, login):
    link = HouseholdLink.objects.get(household=linked.households.jiulong)
    services.end_household_link(link, by=linked.users.grid_worker)
    login(linked.users.member)
    assert client.get(_url("", linked.households.jiulong)).status_code == 404


def test_the_household_page_masks_numbers_and_shows_sensitive_tags_only_to_editors(linked, client, login):
    login(linked.users.member)
    page = client.get(_url("", linked.households.jiulong)).content.decode()
    assert "138****8000" in page and "13800138000" not in page
    assert "430181195001011236" not in page
    assert "独居老人" in page and "残疾" not in page and "显示完整" not in page
    assert "黎干亮" in page  # linked member
    client.logout()
    login(linked.users.grid_worker)
    page = client.get(_url("", linked.households.jiulong)).content.decode()
    assert "残疾" in page and "13800138000" not in page and "显示完整" in page


def test_a_leader_reads_but_cannot_record_a_visit(linked, client, login):
    login(linked.users.leader)
    page = client.get(_url("", linked.households.jiulong)).content.decode()
    assert "记录走访" not in page and "残疾" not in page
    assert client.get(_url("visit/", linked.households.jiulong)).status_code == 403


def test_posting_the_visit_form_twice_with_its_key_stores_one_visit_and_one_concern(linked, client, login, category):
    login(linked.users.member)
    form = client.get(_url("visit/", linked.households.jiulong))
    assert form.status_code == 200 and 'data-draft="visit-' in form.content.decode()
    data = {
        "idempotency_key": "0f8e5b1c-3c0a-4f0e-8a53-7d1e2b9c4a10", "visited_on": timezone.localdate().isoformat(),
        "way": "home", "notes": "黎明身体还好，反映门前路灯坏了。", "raise_concern": "on",
        "concern_category": str(category.pk), "concern_text": "九龙村一组门前路灯坏了三盏。",
    }
    first = client.post(_url("visit/", linked.households.jiulong), data)
    second = client.post(_url("visit/", linked.households.jiulong), data)
    assert first.status_code == second.status_code == 302
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.member == linked.members.jiulong and visit.recorded_by == linked.users.member
    assert visit.concern.channel == Channel.VISIT
    page = client.get(_url("", linked.households.jiulong)).content.decode()
    assert visit.concern.reference in page and "这次走访此前已经提交" in page


def test_a_visit_form_error_is_shown_beside_its_field(linked, client, login):
    login(linked.users.grid_worker)
    response = client.post(_url("visit/", linked.households.jiulong), {
        "idempotency_key": "k1", "visited_on": timezone.localdate().isoformat(), "way": "phone", "notes": "",
        "raise_concern": "on", "concern_text": "路灯坏了",
    })
    assert response.status_code == 422
    assert "请选择诉求类别" in response.content.decode()
    assert not Visit.objects.exists()


def test_the_overdue_list_is_scoped_paged_and_its_queries_bounded(linked, client, login,
                                                                 django_assert_max_num_queries):
    grid = linked.jiulong_grid
    long_ago = timezone.localdate() - datetime.timedelta(days=90)
    households = [Household(grid=grid, number=f"JL-9{i:03d}", address=f"九龙村一组{i}号") for i in range(45)]
    Household.objects.bulk_create(households)
    members = [linked.members.jiulong]
    HouseholdLink.objects.bulk_create(
        HouseholdLink(member=members[0], household=h, grid_id=h.grid_id, started_on=long_ago)
        for h in Household.objects.filter(number__startswith="JL-9")
    )
    login(linked.users.grid_worker)
    # Fixed: session and account, menu, filters, the member filter, the page with its count in
    # one query (on PostgreSQL in a savepoint, for its transaction-local setting) and the page's
    # households.
    with django_assert_max_num_queries(14):
        first = client.get("/grid/overdue/")
    body = first.content.decode()
    assert "逾期 46 户" in body and "第 1 / 3 页" in body and "JZ-0001" not in body
    with django_assert_max_num_queries(14):
        last = client.get("/grid/overdue/?page=3").content.decode()
    assert "第 3 / 3 页" in last and last.count('<td class="overdue">') == 6  # 46 = 20 + 20 + 6
    client.logout()
    login(linked.users.other_grid_worker)
    assert "逾期 1 户" in client.get("/grid/overdue/").content.decode()


def test_the_coverage_page_rolls_grids_up_to_the_town(linked, client, login, django_assert_max_num_queries):
    services.record_visit(household=linked.households.jiulong, visited_on=timezone.localdate(), way="home",
                          notes="走访", by=None)
    login(linked.users.town_admin)
    with django_assert_max_num_queries(15):  # fixed, whatever the number of households
        page = client.get("/grid/coverage/").content.decode()
    assert "官桥镇" in page and "50.0%" in page and "100.0%" in page
    # 集镇村's household, linked 60 days ago and never visited, is overdue: the count links to the list.
    assert f'<a class="overdue" href="/grid/overdue/?village={linked.jizhen.pk}">1</a>' in page
    login(linked.users.member)
    assert client.get("/grid/coverage/").status_code == 403


def test_unlinked_households_are_listed_and_a_grid_is_shared_among_members(linked, client, login):
    login(linked.users.secretary)
    page = client.get("/grid/unlinked/").content.decode()
    assert "JL-0002" in page and "JL-0001" not in page and "JZ-0001" not in page
    response = client.post(f"/grid/grids/{linked.jiulong_grid2.pk}/assign/",
                           {"members": [str(linked.members.jiulong.pk)], "per_member": "5"})
    assert response.status_code == 302
    assert HouseholdLink.objects.filter(household=linked.households.jiulong2, member=linked.members.jiulong).exists()
    assert "JL-0002" not in client.get("/grid/unlinked/").content.decode()
    # Another village's grid is not the secretary's to share.
    assert client.get(f"/grid/grids/{linked.jizhen_grid.pk}/assign/").status_code == 404


def test_a_meeting_is_recorded_and_raises_several_concerns_from_one_form(linked, client, login, category):
    login(linked.users.town_admin)
    response = client.post("/grid/meetings/new/", {
        "area": str(linked.jizhen.pk), "title": "民情茶室之“民情察实”", "held_on": timezone.localdate().isoformat(),
        "place": "集镇村党群服务中心", "host": "彭镇铭", "members": [str(linked.members.jizhen.pk)],
        "residents": [str(linked.residents.jizhen.pk)], "guest_count": "10", "minutes": "收集群众意见。",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    meeting = Meeting.objects.get()
    data = {"key": "abc", "text_1": "学校周边污水直排。", "category_1": str(category.pk), "grid_1": str(linked.jizhen_grid.pk),
            "reporter_name_1": "张强", "text_2": "", "text_3": "老街路灯不亮。", "category_3": str(category.pk)}
    assert client.post(f"/grid/meetings/{meeting.pk}/concerns/", data).status_code == 302
    assert client.post(f"/grid/meetings/{meeting.pk}/concerns/", data).status_code == 302  # replay
    assert MeetingConcern.objects.filter(meeting=meeting).count() == 2
    assert Concern.objects.filter(channel=Channel.TEA_ROOM).count() == 2
    page = client.get(f"/grid/meetings/{meeting.pk}/").content.decode()
    assert "学校周边污水直排" in page and "老街路灯不亮" in page
    bad = client.post(f"/grid/meetings/{meeting.pk}/concerns/", {"key": "def", "text_2": "垃圾没人收"})
    assert bad.status_code == 422 and "第2条：请选择诉求类别" in bad.content.decode()
    # Another village's secretary does not see it; the member who attended does.
    client.logout()
    login(linked.users.secretary)
    assert client.get(f"/grid/meetings/{meeting.pk}/").status_code == 404
    linked.members.jizhen.user = linked.users.member
    linked.members.jiulong.user = None
    linked.members.jiulong.save()
    linked.members.jizhen.save()
    client.logout()
    login(linked.users.member)
    assert client.get(f"/grid/meetings/{meeting.pk}/").status_code == 200


def test_the_meeting_resident_picker_searches_the_village_and_keeps_the_chosen(linked, client, login):
    login(linked.users.town_admin)
    jiulong, jizhen = linked.jiulong.pk, linked.jizhen.pk
    # 王芳 lives in 九龙村: found when the meeting is there, not when it is in 集镇村.
    found = client.get(f"/grid/meetings/new/residents/?area={jiulong}&residents_q=王").content.decode()
    assert f'type="checkbox" name="residents" value="{linked.residents.jiulong2.pk}"' in found and "王芳" in found
    elsewhere = client.get(f"/grid/meetings/new/residents/?area={jizhen}&residents_q=王").content.decode()
    assert "王芳" not in elsewhere and "没有找到" in elsewhere
    # One already chosen is not offered again.
    again = client.get(f"/grid/meetings/new/residents/?area={jiulong}&residents_q=王"
                       f"&residents={linked.residents.jiulong2.pk}").content.decode()
    assert "王芳" not in again
    # A form sent back with an error keeps the chosen residents ticked, above the search box.
    response = client.post("/grid/meetings/new/", {
        "area": str(jiulong), "title": "民情茶室", "held_on": "", "place": "九龙村部", "host": "黎干亮",
        "residents": [str(linked.residents.jiulong.pk), str(linked.residents.jiulong2.pk)], "guest_count": "0",
    })
    page = response.content.decode()
    assert response.status_code == 200 and "黎明" in page and "王芳" in page
    assert page.count('name="residents" value="') == 2 and page.count(" checked>") >= 2
    # A resident of another village posted by hand is refused.
    response = client.post("/grid/meetings/new/", {
        "area": str(jiulong), "title": "民情茶室", "held_on": timezone.localdate().isoformat(), "place": "九龙村部",
        "host": "黎干亮", "residents": [str(linked.residents.jizhen.pk)], "guest_count": "0",
    })
    assert response.status_code == 200 and not Meeting.objects.exists()
    # Someone who may not record meetings cannot search.
    client.logout()
    login(linked.users.member)
    assert client.get(f"/grid/meetings/new/residents/?area={jiulong}&residents_q=王").status_code == 403


def test_the_cadence_rule_is_the_town_admins(linked, client, login):
    login(linked.users.secretary)
    assert client.get("/grid/rule/").status_code == 403
    client.logout()
    login(linked.users.town_admin)
    response = client.post("/grid/rule/", {"interval_days": "30", "elderly_interval_days": "45"})
    assert "独居老人户的走访间隔不能长于一般户" in response.content.decode()
    assert client.post("/grid/rule/", {"interval_days": "30", "elderly_interval_days": "7"}).status_code == 302


def test_the_overdue_list_narrows_to_one_members_households(linked, client, login):
    HouseholdLink.objects.create(member=linked.members.jizhen, household=linked.households.jiulong2,
                                 grid_id=linked.households.jiulong2.grid_id, started_on=timezone.localdate() - datetime.timedelta(days=60))
    login(linked.users.secretary)
    everyone = client.get("/grid/overdue/").content.decode()
    assert "逾期 2 户" in everyone and "黎干亮" in everyone  # the member filter lists the village's members
    mine = client.get(f"/grid/overdue/?member={linked.members.jiulong.pk}").content.decode()
    assert "逾期 1 户" in mine and "JL-0001" in mine and "JL-0002" not in mine
    # A member of another village is not a filter the secretary can use: the list stays whole.
    other = client.get(f"/grid/overdue/?member={linked.members.jizhen.pk}").content.decode()
    assert "逾期 2 户" in other


def _png(name="photo.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_a_visit_photo_is_kept_and_shown_only_within_scope(linked, client, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    login(linked.users.grid_worker)
    response = client.post(_url("visit/", linked.households.jiulong), {
        "idempotency_key": "photo-1", "visited_on": timezone.localdate().isoformat(), "way": "home",
        "notes": "入户走访，拍了门前路灯。", "photo": _png(),
    })
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert visit.photo and visit.photo_content_type == "image/png"
    photo = client.get(f"/grid/visits/{visit.pk}/photo/")
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    client.logout()
    login(linked.users.other_grid_worker)
    assert client.get(f"/grid/visits/{visit.pk}/photo/").status_code == 404


def test_a_file_that_is_not_a_photo_is_refused_by_name(linked, client, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    login(linked.users.grid_worker)
    response = client.post(_url("visit/", linked.households.jiulong), {
        "idempotency_key": "photo-2", "visited_on": timezone.localdate().isoformat(), "way": "home",
        "notes": "走访", "photo": SimpleUploadedFile("记录.txt", b"not an image", content_type="text/plain"),
    })
    assert response.status_code == 422 and "“记录.txt”不是有效的图片" in response.content.decode()
    assert not Visit.objects.exists()


def _second_town_with_a_household():
    from zhenwu.org.models import Area, AreaLevel

    second = build_second_town(Area.objects.get(level=AreaLevel.COUNTY))
    Household.objects.create(grid=second.grid, number="XA-0001", address="新安村1号")
    return second.town, second.village, second.grid


def test_a_county_account_sees_its_towns_and_drills_into_any_of_them(linked, client, login,
                                                                      django_assert_max_num_queries):
    from zhenwu.accounts.models import Role, User

    town2, village2, _grid2 = _second_town_with_a_household()
    county_user = User.objects.create_user(username="county1", password="x", role=Role.LEADER, area=linked.county)
    client.force_login(county_user)
    with django_assert_max_num_queries(15):  # fixed, whatever the number of towns and households
        page = client.get("/grid/coverage/").content.decode()
    # One row per town (and the county's own), each linking to the town's page; no villages.
    assert page.count("<tr>") == 1 + 3
    assert f'<a href="/grid/coverage/?town={linked.town.pk}">官桥镇</a>' in page
    assert f'<a href="/grid/coverage/?town={town2.pk}">龙伏镇</a>' in page
    assert "九龙村" not in page and "新安村" not in page
    # 官桥镇: two linked households, both never visited since linked 60 days ago: overdue.
    assert f'<a class="overdue" href="/grid/overdue/?town={linked.town.pk}">2</a>' in page

    town = client.get(f"/grid/coverage/?town={linked.town.pk}").content.decode()
    assert "九龙村第二网格" in town and "集镇村" in town and "新安村" not in town and "全部镇" in town
    # The village's overdue count keeps the town, whose villages the list then offers.
    assert f'href="/grid/overdue/?town={linked.town.pk}&amp;village={linked.jizhen.pk}">1</a>' in town
    other = client.get(f"/grid/coverage/?town={town2.pk}").content.decode()
    assert "新安村第一网格" in other and "九龙村" not in other

    overdue = client.get(f"/grid/overdue/?town={linked.town.pk}&village={linked.jizhen.pk}").content.decode()
    assert "逾期 1 户" in overdue and "JZ-0001" in overdue and "JL-0001" not in overdue
    assert "逾期 0 户" in client.get(f"/grid/overdue/?town={town2.pk}").content.decode()
    everyone = client.get("/grid/overdue/").content.decode()
    assert "逾期 2 户" in everyone and 'name="town"' in everyone  # the town picker
    # The other lists pick a town the same way; within it, its villages are offered.
    for url in ("/grid/unlinked/", "/grid/"):
        whole = client.get(url).content.decode()
        assert 'id="town"' in whole and 'id="village"' not in whole, url  # no county-long village list
        narrowed = client.get(f"{url}?town={linked.town.pk}").content.decode()
        assert 'id="village"' in narrowed and "JL-0002" in narrowed and "XA-0001" not in narrowed, url
    # Only towns: a village or an unknown id is not a page.
    assert client.get(f"/grid/coverage/?town={village2.pk}").status_code == 404
    assert client.get("/grid/coverage/?town=x").status_code == 404


def test_a_town_account_cannot_drill_into_another_town(linked, client, login):
    town2, _village2, _grid2 = _second_town_with_a_household()
    login(linked.users.leader)
    own = client.get("/grid/coverage/").content.decode()
    assert "九龙村第一网格" in own and "龙伏镇" not in own and "?town=" not in own
    assert client.get(f"/grid/coverage/?town={linked.town.pk}").status_code == 200
    for url in ("/grid/coverage/", "/grid/overdue/", "/grid/unlinked/", "/grid/"):
        assert client.get(f"{url}?town={town2.pk}").status_code == 404, url
    client.logout()
    login(linked.users.secretary)  # a village account is under a town, not over one
    assert client.get(f"/grid/coverage/?town={linked.town.pk}").status_code == 404


def test_a_meetings_concern_numbers_link_to_the_concern_for_those_who_may_open_it(linked, client, login, category):
    login(linked.users.town_admin)
    client.post("/grid/meetings/new/", {
        "area": str(linked.jizhen.pk), "title": "民情茶室", "held_on": timezone.localdate().isoformat(),
        "place": "集镇村党群服务中心", "host": "彭镇铭", "members": [str(linked.members.jizhen.pk)],
        "guest_count": "3",
    })
    meeting = Meeting.objects.get()
    client.post(f"/grid/meetings/{meeting.pk}/concerns/", {
        "key": "k1", "text_1": "老街路灯不亮。", "category_1": str(category.pk), "grid_1": str(linked.jizhen_grid.pk),
    })
    concern = Concern.objects.get()
    link = f'<a href="/concerns/{concern.pk}/">{concern.reference}</a>'
    assert link in client.get(f"/grid/meetings/{meeting.pk}/").content.decode()
    # A member who attended sees the meeting, but has no concern pages: the number stays plain text.
    linked.members.jiulong.user = None
    linked.members.jiulong.save()
    linked.members.jizhen.user = linked.users.member
    linked.members.jizhen.save()
    client.logout()
    login(linked.users.member)
    page = client.get(f"/grid/meetings/{meeting.pk}/").content.decode()
    assert concern.reference in page and f'href="/concerns/{concern.pk}/"' not in page
    assert client.get(f"/concerns/{concern.pk}/").status_code in (403, 404)
