"""Browser fixtures: one headless Chromium per test process, driven by Playwright's sync API
against pytest-django's live server.

Other apps' browser tests use `phone_page` (a WeChat-like phone) or `desktop_page`, both with
`base_url` set to the live server, and `browser_login(page, user)` to sign a cast user in
through the real forms (second factor included). Mark them `@pytest.mark.browser`.

Chromium comes from the system package (/usr/bin/chromium, or ZHENWU_CHROMIUM); Playwright's own
browser download is never used. Without Chromium the tests are skipped, unless
ZHENWU_REQUIRE_BROWSER=1 (CI), where they fail.
"""

import base64
import os
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop in this thread; Django's ORM would refuse to run
# beside it without this (the test code is still plain synchronous code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("ZHENWU_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WECHAT_USER_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Mobile/15E148 MicroMessenger/8.0.50(0x1800323b) NetType/WIFI Language/zh_CN"
)
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "user_agent": WECHAT_USER_AGENT}
DEFAULT_TIMEOUT_MS = 15_000


def _unavailable(reason):
    if os.environ.get("ZHENWU_REQUIRE_BROWSER") == "1":
        pytest.fail(f"ZHENWU_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def playwright():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:  # a broken install is reported, not hidden
        _unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
    yield browser
    browser.close()


def _context(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  **options)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    return context


@pytest.fixture
def phone_context(browser, live_server):
    context = _context(browser, live_server, **PHONE)
    yield context
    context.close()


@pytest.fixture
def phone_page(phone_context):
    """A page in a 390×844 touch phone with WeChat's in-app browser user agent."""
    return phone_context.new_page()


@pytest.fixture
def desktop_page(browser, live_server):
    context = _context(browser, live_server, viewport={"width": 1280, "height": 800})
    yield context.new_page()
    context.close()


def totp_token(secret):
    """The token an authenticator app shows now for a base32 secret."""
    from django_otp.oath import totp

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


@pytest.fixture
def browser_login():
    """Sign a cast user in through the login form; administrators enrol or verify TOTP on the way.
    Returns the base32 secret when a device was enrolled."""
    from conftest import PASSWORD

    def _login(page, user, *, password=PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("账号").fill(user.username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        secret = None
        if "/accounts/otp/setup/" in page.url:
            secret = page.get_by_test_id("totp-secret").inner_text().strip()
            page.get_by_label("动态口令").fill(totp_token(secret))
            page.get_by_role("button", name="确认绑定").click()
            page.wait_for_load_state()
        elif "/accounts/otp/verify/" in page.url:
            raise AssertionError("this user already has a device; enter its token in the test instead")
        return secret

    return _login


@pytest.fixture
def demo_town(transactional_db, settings, tmp_path):
    """The demo town (load_demo), committed so the live server sees it; flushed after the test.

    The role walks that use it check what pages show, which does not depend on the database
    engine; CI runs the suite on SQLite and on PostgreSQL, and walking twice would cost four
    minutes of its twenty, so on PostgreSQL they are skipped (ZHENWU_WALK_ON_POSTGRES=1 walks)."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "sqlite" and os.environ.get("ZHENWU_WALK_ON_POSTGRES") != "1":
        pytest.skip("the role walk runs in the SQLite half of CI (ZHENWU_WALK_ON_POSTGRES=1 to walk here)")

    settings.MEDIA_ROOT = str(tmp_path / "media")
    with open(os.devnull, "w") as out:
        call_command("load_demo", stdout=out)
