import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhenwu.activities import services
from zhenwu.activities.models import Activity, ActivityKind, ContestKind, ParticipationRole, RoleModel

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day, hour=9):
    return datetime.datetime(2019, 10, day, hour, tzinfo=SH)


def activity(cast, *, area, title="义务劳动", day=12, **organiser):
    organiser = organiser or {"department": cast.urban}
    return services.create_activity(kind=ActivityKind.LABOUR, title=title, starts_at=at(day), place="村部",
                                    area=area, **organiser)


def test_list_shows_the_scope_with_a_bounded_number_of_queries(cast, login, client, django_assert_max_num_queries):
    for i in range(15):
        a = activity(cast, area=cast.jiulong if i % 2 else cast.jizhen, title=f"活动{i}")
        services.add_participant(a, role=ParticipationRole.VOLUNTEER, person_name=f"甲{i}", hours=2)
    login(cast.users.secretary)
    with django_assert_max_num_queries(12):
        page = client.get("/activities/").content.decode()
    assert "活动1<" in page and "活动0<" not in page  # 九龙村's only
    fragment = client.get("/activities/?kind=labour&month=2019-10", headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and "活动1<" in fragment


def test_member_sees_only_activities_taken_part_in(cast, login, client):
    mine = activity(cast, area=cast.jizhen, title="我参加的")
    other = activity(cast, area=cast.jizhen, title="别人的")
    services.add_participant(mine, role=ParticipationRole.PARTICIPANT, member=cast.members.jiulong)
    login(cast.users.member)
    page = client.get("/activities/").content.decode()
    assert "我参加的" in page and "别人的" not in page
    assert client.get(f"/activities/{other.pk}/").status_code == 404
    assert client.get(f"/activities/{mine.pk}/edit/").status_code == 403


def test_secretary_registers_an_activity_and_adds_participants_with_htmx(cast, login, client):
    login(cast.users.secretary)
    response = client.post("/activities/new/", {
        "kind": "care_visit", "title": "重阳慰问", "starts_at": "2019-10-03T09:00", "place": "九龙村党群服务中心",
        "area": cast.jiulong.pk, "party_org": cast.jiulong_org.pk, "beneficiary_count": 216,
        "beneficiary_description": "老人"})
    assert response.status_code == 302
    created = Activity.objects.get(title="重阳慰问")
    assert created.created_by == cast.users.secretary and created.beneficiary_count == 216
    missing = client.post("/activities/new/", {"kind": "care_visit", "title": "无组织", "starts_at": "2019-10-03T09:00",
                                                "place": "村部", "area": cast.jiulong.pk, "beneficiary_count": 0})
    assert "请选择组织部门或组织党组织" in missing.content.decode()
    fragment = client.post(f"/activities/{created.pk}/participants/",
                           {"role": "volunteer", "member": cast.members.jiulong.pk, "hours": "3"},
                           headers={"HX-Request": "true"}).content.decode()
    assert "黎干亮" in fragment and 'id="participants"' in fragment
    again = client.post(f"/activities/{created.pk}/participants/",
                        {"role": "volunteer", "member": cast.members.jiulong.pk}, headers={"HX-Request": "true"})
    assert "黎干亮已在本活动名单中" in again.content.decode()


def test_organiser_confirms_hours_and_others_cannot(cast, login, client):
    a = activity(cast, area=cast.jizhen, party_org=cast.jizhen_org)
    services.add_participant(a, role=ParticipationRole.ORGANISER, member=cast.members.jiulong)
    vol = services.add_participant(a, role=ParticipationRole.VOLUNTEER, person_name="志愿者甲", hours="2.5")
    login(cast.users.other_grid_worker)  # sees 集镇村's activities, organises none
    assert client.post(f"/activities/participations/{vol.pk}/confirm/").status_code == 403
    client.logout()
    login(cast.users.member)  # 黎干亮, the organiser
    fragment = client.post(f"/activities/participations/{vol.pk}/confirm/", {"hours": "3"},
                           headers={"HX-Request": "true"}).content.decode()
    assert "已确认" in fragment
    vol.refresh_from_db()
    assert vol.hours == Decimal("3.0") and vol.hours_confirmed_by == cast.users.member
    bad = client.post(f"/activities/participations/{vol.pk}/confirm/", {"hours": "99"},
                      headers={"HX-Request": "true"}).content.decode()
    assert "服务时长应在0到24小时之间" in bad


def test_ranking_page_orders_people_by_confirmed_hours(cast, login, client):
    a = activity(cast, area=cast.jiulong)
    for name, hours in (("少", 1), ("多", 5)):
        p = services.add_participant(a, role=ParticipationRole.VOLUNTEER, person_name=name, hours=hours)
        services.confirm_hours(p, by=cast.users.town_admin)
    services.add_participant(a, role=ParticipationRole.VOLUNTEER, person_name="未确认", hours=9)
    login(cast.users.leader)
    page = client.get("/activities/volunteers/?start=2019-10-01&end=2019-10-31").content.decode()
    assert page.index("多") < page.index("少") and "未确认" not in page
    assert "少" not in client.get("/activities/volunteers/?start=2019-11-01&end=2019-11-30").content.decode()


def test_a_member_sees_their_own_confirmed_hours(cast, login, client):
    a = activity(cast, area=cast.jiulong)
    p = services.add_participant(a, role=ParticipationRole.VOLUNTEER, member=cast.members.jiulong, hours="2.5")
    services.confirm_hours(p, by=cast.users.town_admin)
    login(cast.users.member)
    page = client.get("/activities/volunteers/?start=2019-10-01&end=2019-10-31").content.decode()
    assert "已确认的志愿服务时长：<strong>2.5</strong> 小时" in page


def test_photo_upload_is_cleaned_and_served_to_those_who_see_the_activity(cast, login, client):
    a = activity(cast, area=cast.jiulong)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(image, "JPEG")
    login(cast.users.town_admin)
    client.post(f"/activities/{a.pk}/photos/", {"caption": "劳动现场",
                                                "photo": SimpleUploadedFile("p.jpg", image.getvalue(), "image/jpeg")})
    photo = a.photos.get()
    assert client.get(f"/activities/photos/{photo.pk}/").status_code == 200
    client.logout()
    login(cast.users.other_grid_worker)
    assert client.get(f"/activities/photos/{photo.pk}/").status_code == 404


def test_judges_score_and_managers_award(cast, login, client):
    contest = services.create_contest(kind=ContestKind.ESSAY, title="征文", held_on=datetime.date(2019, 10, 10),
                                      area=cast.town, department=cast.urban, judges=[cast.users.leader])
    entry = services.add_entry(contest, title="红色情书", author_name="作者甲")
    login(cast.users.leader)
    client.post(f"/activities/entries/{entry.pk}/score/", {"score": "88.5"})
    page = client.get(f"/activities/contests/{contest.pk}/").content.decode()
    assert "88.50" in page and "修改评分" in page
    assert client.post(f"/activities/entries/{entry.pk}/award/", {"award": "first"}).status_code == 403
    client.logout()
    login(cast.users.town_admin)
    assert client.post(f"/activities/entries/{entry.pk}/score/", {"score": "90"}).status_code == 403
    client.post(f"/activities/entries/{entry.pk}/award/", {"award": "first"})
    entry.refresh_from_db()
    assert entry.award == "first"
    assert "一等奖" in client.get(f"/activities/contests/{contest.pk}/").content.decode()


def test_role_model_registered_with_its_study_sessions(cast, login, client):
    from zhenwu.study import services as study_services

    session = study_services.create_session(kind="story_meeting", title="初心故事会", starts_at=at(9, 15),
                                            ends_at=at(9, 17), party_orgs=[cast.committee])
    login(cast.users.town_admin)
    response = client.post("/activities/role-models/new/", {
        "category": "customs", "name": "黎干亮", "headline": "移风易俗", "story": "带头简办红白喜事",
        "area": cast.jiulong.pk, "sessions": [session.pk]})
    assert response.status_code == 302
    rm = RoleModel.objects.get()
    assert list(rm.sessions.all()) == [session]
    client.logout()
    login(cast.users.member)
    assert "黎干亮" in client.get("/activities/role-models/").content.decode()
    assert client.get(f"/activities/role-models/{rm.pk}/edit/").status_code == 403



def test_participants_are_picked_by_search_not_from_a_list_of_every_resident(cast, login, client):
    from zhenwu.org.models import Resident

    a = activity(cast, area=cast.jiulong, party_org=cast.jiulong_org)
    Resident.objects.bulk_create([Resident(household=cast.households.jiulong, name=f"王芳{i:02d}",
                                           birth_date=datetime.date(1950 + i, 1, 1)) for i in range(25)])
    login(cast.users.secretary)
    page = client.get(f"/activities/{a.pk}/").content.decode()
    # The form carries a search box, not the village's names.
    assert 'name="resident_q"' in page and 'name="member_q"' in page
    assert "王芳07" not in page
    form = page.split('id="participants"')[1].split("</form>")[0]
    assert form.count("<option") == len(ParticipationRole.choices)  # the role select only

    search = f"/activities/{a.pk}/participants/search/"
    fragment = client.get(search, {"field": "resident", "resident_q": "王芳0"}).content.decode()
    assert fragment.count('type="radio" name="resident"') == 10 + 1  # ten matches and 不选
    assert "王芳07（JL-0001，1957年生）" in fragment and "只列出前" not in fragment
    many = client.get(search, {"field": "resident", "resident_q": "王芳"}).content.decode()
    assert many.count('name="resident" value="') == 20 + 1 and "只列出前20个" in many
    # 张强 lives in 集镇村: outside this activity's village, never offered.
    assert "没有找到“张强”" in client.get(search, {"field": "resident", "resident_q": "张强"}).content.decode()
    assert "黎干亮" in client.get(search, {"field": "member", "member_q": "黎"}).content.decode()
    assert client.get(search, {"field": "password", "password_q": "x"}).status_code == 400
    assert client.get(search, {"field": "resident"}).content.decode().strip() == ""

    # The chosen radio posts the id as a select would; an id outside the scope is refused.
    chosen = Resident.objects.get(name="王芳07")
    added = client.post(f"/activities/{a.pk}/participants/", {"role": "participant", "resident": chosen.pk},
                        headers={"HX-Request": "true"}).content.decode()
    assert "王芳07" in added
    refused = client.post(f"/activities/{a.pk}/participants/",
                          {"role": "participant", "resident": cast.residents.jizhen.pk})
    assert refused.status_code == 400 and "选择一个有效的选项" in refused.content.decode()
    # After an error the chosen person stays chosen.
    kept = client.post(f"/activities/{a.pk}/participants/",
                       {"role": "participant", "resident": Resident.objects.get(name="王芳08").pk, "hours": "-1"})
    body = kept.content.decode()
    assert kept.status_code == 400 and "王芳08（JL-0001，1958年生）" in body
    assert f'value="{Resident.objects.get(name="王芳08").pk}" checked' in body


def test_the_participant_search_is_for_those_who_may_change_the_activity(cast, login, client):
    a = activity(cast, area=cast.jizhen, party_org=cast.jizhen_org)
    login(cast.users.member)
    assert client.get(f"/activities/{a.pk}/participants/search/",
                      {"field": "resident", "resident_q": "张"}).status_code in (403, 404)
