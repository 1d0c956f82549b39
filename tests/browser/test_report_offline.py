"""A grid worker writes down a resident's concern (登记诉求, on the resident's behalf) at a doorstep
without signal: the registration form was kept by the installable app while online, the report
waits on the phone through closing the browser, and after signing in again exactly one concern
reaches the server."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline_app import _installed, _phone
from zhenwu.concerns.models import Category, Channel, Concern
from zhenwu.offline.models import SentRecord

pytestmark = pytest.mark.browser


def test_a_report_on_a_residents_behalf_recorded_offline_is_stored_once(playwright, live_server, cast,
                                                                         browser_login, tmp_path):
    road = Category.objects.create(code="road", name="道路交通", default_department=cast.urban,
                                   response_limit_days=1, resolution_limit_days=10)
    phone, page = _installed(playwright, live_server, tmp_path / "profile", browser_login, cast.users.grid_worker, "/grid/")

    phone.set_offline(True)
    page.goto("/concerns/register/")  # from the phone: never opened before
    expect(page.get_by_role("heading", name="登记诉求")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="当前没有网络")).to_be_visible()
    page.get_by_label("来访").check()
    page.get_by_label("诉求内容").fill("村口路灯坏了三盏，晚上看不见路。")
    page.get_by_label("诉求类别").select_option(str(road.pk))
    page.get_by_label("所在村(社区)或网格").select_option(str(cast.jiulong_grid.pk))
    page.get_by_label("诉求人姓名").fill("黎明")
    page.get_by_label("诉求人电话").fill("13912345678")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    expect(page.get_by_test_id("queue-count")).to_contain_text("1")
    assert not Concern.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.grid_worker)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    concern = Concern.objects.get()
    assert concern.text == "村口路灯坏了三盏，晚上看不见路。" and concern.channel == Channel.WALK_IN
    assert concern.area == cast.jiulong_grid and concern.reporter_phone == "13912345678"
    assert concern.registered_by == cast.users.grid_worker
    assert SentRecord.objects.get().object_id == concern.pk
    phone.close()
