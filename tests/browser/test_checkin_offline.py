"""A member at a session without signal scans its sign-in QR: the installable app queues the
signed code on the phone (离线扫码), and once the phone is online again the member is signed in
once, dated when the screen showed the code."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_offline_app import _phone
from zhenwu.study import services
from zhenwu.study.models import Attendance, SignInMethod

pytestmark = pytest.mark.browser


def test_a_sign_in_scanned_without_signal_is_sent_later_and_counted_once(playwright, live_server, cast,
                                                                          browser_login, tmp_path):
    now = timezone.now()
    session = services.create_session(
        kind="party_day", title="九龙村主题党日", starts_at=now - datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(hours=1), party_orgs=[cast.jiulong_org], venue_kind="farmyard",
        venue="九龙村一组黎家院落", by=cast.users.secretary,
    )
    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.member)
    page.goto("/study/me/")
    expect(page.locator("html[data-offline-ready]")).to_have_count(1)

    phone.set_offline(True)
    page.goto(services.signin_path(session))  # the camera opened the QR's link
    expect(page.get_by_test_id("offline-checkin")).to_contain_text("已在本机记录您的签到")
    expect(page.get_by_test_id("queue-count")).to_contain_text("1")
    page.reload()  # scanning again keeps one record
    expect(page.get_by_test_id("offline-checkin")).to_be_visible()
    expect(page.get_by_test_id("queued-record")).to_have_count(1)
    assert not Attendance.objects.filter(session=session).exists()

    phone.set_offline(False)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    attendance = Attendance.objects.get(session=session)
    assert attendance.member == cast.members.jiulong and attendance.method == SignInMethod.QR_OFFLINE
    assert abs(attendance.signed_at - now) < datetime.timedelta(minutes=2)
    phone.close()
