"""Signing in to a study session on a phone by the QR link, as a member does at the venue."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from zhenwu.study import services
from zhenwu.study.models import Attendance

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-study-signin.png"


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def running_session(cast):
    now = timezone.now()
    return services.create_session(
        kind="party_day", title="九龙村主题党日", starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=1), party_orgs=[cast.jiulong_org], venue_kind="farmyard",
        venue="九龙村一组黎家院落", by=cast.users.secretary,
    )


def test_a_member_on_a_phone_signs_in_by_the_sessions_qr_link(phone_page, desktop_page, cast, running_session,
                                                              browser_login):
    # The secretary's screen shows the code and the count.
    browser_login(desktop_page, cast.users.secretary)
    desktop_page.goto(f"/study/sessions/{running_session.pk}/qr/")
    expect(desktop_page.get_by_test_id("signin-qr").locator("svg")).to_be_visible()
    expect(desktop_page.locator("p.count")).to_contain_text("已签到 0 / 1 人")

    page = phone_page
    browser_login(page, cast.users.member)
    page.goto(services.signin_path(running_session))
    expect(page.get_by_role("heading", name="签到成功")).to_be_visible()
    expect(page.get_by_test_id("signin-ok")).to_contain_text("九龙村主题党日")
    expect(page.get_by_test_id("signin-ok")).to_contain_text("黎干亮")
    assert _no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    attendance = Attendance.objects.get(session=running_session)
    assert attendance.member == cast.members.jiulong and attendance.method == "qr"

    # Scanning again does not sign in twice.
    page.goto(services.signin_path(running_session))
    expect(page.get_by_role("heading", name="您已签到")).to_be_visible()
    assert Attendance.objects.filter(session=running_session).count() == 1

    # The secretary's screen picks the sign-in up on its next refresh.
    expect(desktop_page.locator("p.count")).to_contain_text("已签到 1 / 1 人", timeout=20_000)

    page.goto("/study/me/")
    expect(page.get_by_test_id("my-sessions")).to_contain_text("已签到")
    assert _no_horizontal_overflow(page)


def test_a_stale_qr_link_is_refused_with_a_clear_message(phone_page, cast, running_session, browser_login):
    # A photo of the screen taken five minutes ago, forwarded to someone at home.
    stale = services.signin_path(running_session, at=timezone.now() - datetime.timedelta(minutes=5))
    browser_login(phone_page, cast.users.member)
    phone_page.goto(stale)
    refused = phone_page.get_by_role("alert")
    expect(refused).to_contain_text("二维码已过期")
    expect(refused).to_contain_text("请在会场重新扫描屏幕上的二维码")
    expect(phone_page.get_by_role("heading", name="未能签到")).to_be_visible()
    assert _no_horizontal_overflow(phone_page)
    assert not Attendance.objects.filter(session=running_session).exists()


def test_a_member_who_scans_before_logging_in_is_signed_in_after_the_login_form(phone_page, cast, running_session):
    page = phone_page
    page.goto(services.signin_path(running_session))
    expect(page.get_by_role("heading", name="登录镇务通")).to_be_visible()
    page.get_by_label("账号").fill("member1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="签到成功")).to_be_visible()
    assert Attendance.objects.filter(session=running_session, member=cast.members.jiulong).exists()
