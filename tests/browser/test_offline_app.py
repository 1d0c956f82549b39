"""The installable app on a phone with the network cut (Playwright's offline mode), service
workers allowed: a grid worker opens the app once online, records a visit with a photo offline,
closes the browser, and the visit reaches the server once; a visit whose household moved while it
waited comes back with the reason and is sent again after the user checked it."""

import datetime
import time

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DEFAULT_TIMEOUT_MS, PHONE
from zhenwu.grid.models import HouseholdLink, Visit
from zhenwu.offline.models import SentRecord
from zhenwu.org import services as org_services

pytestmark = pytest.mark.browser


def _phone(playwright, live_server, profile):
    """A phone browser that keeps its storage in `profile` across closing and reopening."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True,
        base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="allow", **PHONE,
    )
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


def _installed(playwright, live_server, profile, browser_login, user, start):
    """A phone (storage kept in `profile`) signed in as `user`, which opened `start` and has the
    app installed and its pages and work lists kept for offline use; returns (phone, page)."""
    phone = _phone(playwright, live_server, profile)
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, user)
    page.goto(start)
    expect(page.locator("html[data-offline-ready]")).to_have_count(1)
    _until(page, "() => localStorage.getItem('zhenwu-offline-warmed')")
    return phone, page


def _until(page, script, timeout=20):
    """Poll a page expression (the CSP forbids Playwright's string predicates)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(script)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{script} stayed false")


def _photo(tmp_path):
    path = tmp_path / "门前.jpg"
    Image.new("RGB", (3200, 2400), (150, 120, 90)).save(path, "JPEG", quality=95)
    return path


def test_a_visit_recorded_offline_with_a_photo_survives_closing_the_browser_and_is_stored_once(
        playwright, live_server, cast, browser_login, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    household = cast.households.jiulong
    phone, page = _installed(playwright, live_server, tmp_path / "profile", browser_login, cast.users.grid_worker, "/grid/")

    phone.set_offline(True)
    page.goto(f"/grid/households/{household.pk}/visit/")  # from the phone: never opened before
    expect(page.get_by_role("heading", name="记录走访")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="当前没有网络")).to_be_visible()
    page.get_by_label("走访情况").fill("黎明老人说屋顶漏雨，已拍照。")
    page.get_by_label("照片（可选）").set_input_files(str(_photo(tmp_path)))
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    expect(page.get_by_test_id("queue-count")).to_contain_text("1")
    assert not Visit.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/zhenwu-offline-queued.png", full_page=True)
    phone.close()

    # The browser reopens (its session cookie is gone with it), comes online, signs in: the visit goes.
    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.grid_worker)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    assert Visit.objects.count() == 1 and SentRecord.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.notes == "黎明老人说屋顶漏雨，已拍照。" and visit.household == household
    with Image.open(visit.photo.path) as stored:
        assert max(stored.size) == 1600 and stored.format == "JPEG"  # shrunk on the phone
    assert visit.idempotency_key == SentRecord.objects.get().key
    expect(page.get_by_test_id("queue-count")).to_be_hidden()

    # Signing out wipes what the phone kept.
    page.locator("form[data-logout] button").click()
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("caches.keys()") == []
    phone.close()


def test_a_visit_to_a_household_that_moved_meanwhile_comes_back_with_the_reason_and_is_resent(
        playwright, live_server, cast, browser_login, tmp_path):
    household = cast.households.jiulong
    HouseholdLink.objects.create(member=cast.members.jiulong, household=household, grid_id=household.grid_id,
                                 started_on=timezone.localdate() - datetime.timedelta(days=40))
    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.member)
    page.goto(f"/grid/households/{household.pk}/visit/")
    phone.set_offline(True)
    page.get_by_label("走访情况").fill("门前水沟堵了。")
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()

    org_services.update_household(household, grid=cast.jiulong_grid2, address="九龙村二组18号")
    phone.set_offline(False)
    page.goto("/offline/")
    record = page.get_by_test_id("queued-record")
    expect(record.get_by_role("alert")).to_contain_text("JL-0001已迁至九龙村第二网格", timeout=30_000)
    expect(record).to_contain_text("需要核对")
    assert not Visit.objects.exists()

    # The user corrects it on its form, then sends it again.
    record.get_by_role("link", name="修改").click()
    expect(page.get_by_role("status").filter(has_text="正在修改待发送的记录")).to_be_visible()
    expect(page.get_by_label("走访情况")).to_have_value("门前水沟堵了。")
    page.get_by_label("走访情况").fill("门前水沟堵了，已搬到二组18号。")
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_test_id("visits")).to_contain_text("已搬到二组18号", timeout=30_000)
    assert Visit.objects.count() == 1 and Visit.objects.get().member == cast.members.jiulong
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible()
    phone.close()
