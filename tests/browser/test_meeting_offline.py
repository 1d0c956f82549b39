"""A secretary records a 民情茶室 meeting that raises a concern on a phone without signal: the
meeting form was kept by the installable app while online, the record waits on the phone through
closing the browser, and after signing in again exactly one meeting and one concern reach the
server (service workers allowed, persistent profile, like test_offline_app.py)."""

import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline_app import _installed, _phone
from zhenwu.concerns.models import Category, Channel, Concern
from zhenwu.grid.models import Meeting, MeetingConcern
from zhenwu.offline.models import QueueSummary, SentRecord

pytestmark = pytest.mark.browser


def test_a_meeting_raising_a_concern_recorded_offline_is_stored_once(playwright, live_server, cast, browser_login,
                                                                    tmp_path):
    category = Category.objects.create(code="road", name="道路交通", default_department=cast.urban)
    phone, page = _installed(playwright, live_server, tmp_path / "profile", browser_login, cast.users.secretary, "/grid/meetings/")

    phone.set_offline(True)
    page.goto("/grid/meetings/new/")  # from the phone: never opened before
    expect(page.get_by_role("heading", name="登记民情茶室 · 九龙村")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="当前没有网络")).to_be_visible()
    page.get_by_label("地点").fill("九龙村文化广场")
    page.get_by_label("主持人").fill("黎书记")
    page.get_by_label("第1条 诉求内容").fill("村口路灯坏了三盏，晚上看不清路。")
    page.get_by_label("第1条 类别").select_option(label="道路交通")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    expect(page.get_by_test_id("queue-count")).to_contain_text("1")
    assert not Meeting.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.secretary)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    meeting = Meeting.objects.get()
    concern = Concern.objects.get()
    assert meeting.place == "九龙村文化广场" and meeting.area == cast.jiulong
    assert concern.channel == Channel.TEA_ROOM and concern.category == category
    assert MeetingConcern.objects.get().meeting == meeting
    assert SentRecord.objects.get().object_id == meeting.pk
    # The phone told the server its queue is empty again (count and time only).
    deadline = time.monotonic() + 10
    while not QueueSummary.objects.filter(user=cast.users.secretary, waiting=0).exists():
        assert time.monotonic() < deadline, "the phone did not report its queue"
        time.sleep(0.2)
    phone.close()
