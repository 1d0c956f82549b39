"""An organiser on a phone confirms volunteers' hours on the activity page (htmx, no reload)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from zhenwu.activities import services
from zhenwu.activities.models import ActivityKind, Participation, ParticipationRole

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-activity.png"


def test_the_organiser_confirms_hours_on_a_phone(phone_page, cast, browser_login):
    activity = services.create_activity(
        kind=ActivityKind.LABOUR, title="卫生清理义务劳动", place="九龙村一组", area=cast.jiulong,
        party_org=cast.jiulong_org, starts_at=datetime.datetime(2019, 10, 12, 8, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
        summary="清理沟渠、捡拾垃圾", by=cast.users.secretary)
    services.add_participant(activity, role=ParticipationRole.ORGANISER, member=cast.members.jiulong)
    first = services.add_participant(activity, role=ParticipationRole.VOLUNTEER, person_name="志愿者甲", hours="3")
    services.add_participant(activity, role=ParticipationRole.VOLUNTEER, resident=cast.residents.jiulong2, hours="2")

    page = phone_page
    browser_login(page, cast.users.member)  # 黎干亮, the organiser
    page.goto(f"/activities/{activity.pk}/")
    expect(page.get_by_role("heading", name="卫生清理义务劳动")).to_be_visible()
    row = page.locator(f"#participation-{first.pk}")
    row.get_by_label("志愿者甲的服务时长").fill("3.5")
    page.evaluate("window.__kept = 1")  # survives only if the page is not reloaded
    row.get_by_role("button", name="确认").click()
    expect(page.locator(f"#participation-{first.pk}")).to_contain_text("已确认")
    assert page.evaluate("window.__kept") == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=SCREENSHOT, full_page=True)
    first.refresh_from_db()
    assert str(first.hours) == "3.5" and first.hours_confirmed_by == cast.users.member
    assert Participation.objects.filter(activity=activity, hours_confirmed_at__isnull=True,
                                        role=ParticipationRole.VOLUNTEER).count() == 1


def test_the_secretary_finds_a_resident_by_name_and_adds_them_on_a_phone(phone_page, cast, browser_login):
    activity = services.create_activity(
        kind=ActivityKind.CARE_VISIT, title="重阳慰问", place="九龙村党群服务中心", area=cast.jiulong,
        party_org=cast.jiulong_org, starts_at=datetime.datetime(2019, 10, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        by=cast.users.secretary)
    page = phone_page
    browser_login(page, cast.users.secretary)
    page.goto(f"/activities/{activity.pk}/")
    page.get_by_label("角色").select_option(label="志愿者")
    page.get_by_label("居民").fill("王")
    page.get_by_label("王芳（JL-0002）").check()  # the match, offered as a radio button
    page.get_by_label("服务时长(小时)").fill("2")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("#participants li").filter(has_text="王芳")).to_have_count(1)
    assert Participation.objects.get(activity=activity, resident=cast.residents.jiulong2).hours == 2
