import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from zhenwu.audit.models import AuditAction, AuditEntry

from .conftest import totp_token

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-home.png"


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_secretary_logs_in_on_a_phone_and_sees_their_village(phone_page, cast):
    page = phone_page
    page.goto("/")
    assert page.url.endswith("/accounts/login/?next=/")
    expect(page.get_by_role("heading", name="登录镇务通")).to_be_visible()
    assert _no_horizontal_overflow(page)

    page.get_by_label("账号").fill("secretary1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="secretary1，您好")).to_be_visible()
    expect(page.locator("main")).to_contain_text("九龙村")
    expect(page.locator(".topbar")).to_contain_text("村(社区)支部书记")
    assert _no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)


def test_a_wrong_password_on_a_phone_shows_the_chinese_error(phone_page, cast):
    page = phone_page
    page.goto("/accounts/login/")
    page.get_by_label("账号").fill("secretary1")
    page.get_by_label("密码").fill("Wrong#2026")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_contain_text("账号或密码不正确")


def test_a_town_admin_enrols_totp_from_the_secret_on_the_page_and_reaches_home(phone_page, cast):
    page = phone_page
    page.goto("/accounts/login/")
    page.get_by_label("账号").fill("admin1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("heading", name="绑定身份验证器")).to_be_visible()
    expect(page.get_by_test_id("totp-qr").locator("svg")).to_be_visible()
    assert _no_horizontal_overflow(page)
    secret = page.get_by_test_id("totp-secret").inner_text().strip()
    assert len(secret) == 32

    # Nothing else opens before the second factor.
    page.goto("/org/households/")
    assert page.url.endswith("/accounts/otp/setup/?next=%2Forg%2Fhouseholds%2F")

    page.get_by_label("动态口令").fill(totp_token(secret))
    page.get_by_role("button", name="确认绑定").click()

    expect(page.get_by_role("heading", name="住户")).to_be_visible()
    page.goto("/")
    expect(page.get_by_role("heading", name="admin1，您好")).to_be_visible()
    expect(page.locator("main")).to_contain_text("官桥镇")
    assert AuditEntry.objects.filter(action=AuditAction.SECURITY, actor=cast.users.town_admin,
                                     note="绑定动态口令(TOTP)身份验证器").exists()


def test_logging_out_from_the_top_bar_returns_to_login(phone_page, cast, browser_login):
    browser_login(phone_page, cast.users.grid_worker)
    phone_page.get_by_role("button", name="退出").click()
    expect(phone_page.get_by_role("heading", name="登录镇务通")).to_be_visible()
    expect(phone_page.locator(".messages")).to_contain_text("已安全退出")
