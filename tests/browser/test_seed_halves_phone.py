"""On a phone: a member writes their 学习笔记 from 我的学习 and the secretary checks it; the secretary
names a beneficiary of the 重阳 visit with the resident search picker."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind, Beneficiary, ParticipationRole
from zhenwu.study import services as study_services
from zhenwu.study.models import NoteStatus, SessionKind, StudyNote, VenueKind

pytestmark = pytest.mark.browser

SH = ZoneInfo("Asia/Shanghai")


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_member_writes_notes_on_a_phone_and_the_secretary_returns_them(phone_page, cast, browser_login):
    session = study_services.create_session(
        kind=SessionKind.STUDY_CLASS, title="第三期主题教育学习班", starts_at=datetime.datetime(2019, 10, 14, 9, tzinfo=SH),
        ends_at=datetime.datetime(2019, 10, 14, 11, 30, tzinfo=SH), party_orgs=[cast.jiulong_org],
        venue_kind=VenueKind.MEETING_ROOM, by=cast.users.secretary)
    study_services.tick_roster(session, member=cast.members.jiulong, by=cast.users.secretary, reason="到会，经核实")

    page = phone_page
    browser_login(page, cast.users.member)  # 黎干亮
    page.goto("/study/me/")
    page.get_by_test_id(f"note-{session.pk}").get_by_role("link", name="写笔记").click()
    page.get_by_label("笔记内容").fill("学习要点：守初心、担使命。打算：带头走访联系户。")
    _no_horizontal_scroll(page)
    page.get_by_role("button", name="提交笔记").click()
    expect(page.get_by_test_id(f"note-{session.pk}")).to_contain_text("待审阅")
    note = StudyNote.objects.get()
    page.context.clear_cookies()

    browser_login(page, cast.users.secretary)
    page.goto(f"/study/notes/{note.pk}/")
    page.get_by_label("退回补充").check()
    page.get_by_label("审阅意见").fill("请补充结合本职工作的打算")
    _no_horizontal_scroll(page)
    page.get_by_role("button", name="保存审阅结果").click()
    expect(page).to_have_url(re.compile(r"/study/notes/\?status=submitted$"))
    note.refresh_from_db()
    assert note.status == NoteStatus.RETURNED and note.check_comment == "请补充结合本职工作的打算"


def test_the_secretary_names_a_beneficiary_with_the_resident_picker_on_a_phone(phone_page, cast, browser_login):
    visit = activity_services.create_activity(
        kind=ActivityKind.CARE_VISIT, title="岁岁重阳暖人心", place="九龙村党群服务中心", area=cast.jiulong,
        party_org=cast.jiulong_org, starts_at=datetime.datetime(2019, 10, 3, 9, tzinfo=SH), beneficiary_count=216,
        beneficiary_description="老人", by=cast.users.secretary)
    activity_services.add_participant(visit, role=ParticipationRole.VOLUNTEER, member=cast.members.jiulong, hours=4)

    page = phone_page
    browser_login(page, cast.users.secretary)
    page.goto(f"/activities/{visit.pk}/")
    form = page.get_by_test_id("beneficiary-form")
    form.get_by_label("受益人（从名册中搜索）").fill("王")
    form.get_by_label("王芳（JL-0002）").check()  # the match, offered as a radio button
    form.get_by_label("走访人").select_option(label="黎干亮（志愿者）")
    form.get_by_label("慰问品/服务内容").fill("牛奶一箱")
    _no_horizontal_scroll(page)
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_test_id("beneficiaries")).to_contain_text("王芳")
    expect(page.get_by_test_id("served")).to_contain_text("216 名老人（其中登记姓名 1 名）")
    row = Beneficiary.objects.get()
    assert (row.resident, row.visited_by.member, row.gift) == (cast.residents.jiulong2, cast.members.jiulong, "牛奶一箱")


def test_the_secretary_names_a_tea_room_meetings_residents_by_search_on_a_phone(phone_page, cast, browser_login):
    from zhenwu.grid.models import Meeting

    page = phone_page
    browser_login(page, cast.users.secretary)  # 九龙村: the form opens on the village directly
    page.goto("/grid/meetings/new/")
    page.get_by_label("地点").fill("九龙村党群服务中心")
    page.get_by_label("主持人").fill("黎干亮")
    picker = page.get_by_label("参加群众（已登记居民）")
    picker.fill("王")
    page.get_by_label("王芳（JL-0002）").check()
    picker.fill("黎")  # a second search does not lose 王芳: she moved up to the chosen ones
    page.get_by_label("黎明（JL-0001）").check()
    chosen = page.locator(".picker-chosen")
    expect(chosen).to_contain_text("王芳")
    expect(chosen).to_contain_text("黎明")
    _no_horizontal_scroll(page)
    page.get_by_role("button", name=re.compile("保存|登记")).click()
    expect(page).to_have_url(re.compile(r"/grid/meetings/\d+/$"))
    meeting = Meeting.objects.get()
    assert set(meeting.residents.all()) == {cast.residents.jiulong, cast.residents.jiulong2}
