"""Browser fixtures: one headless Chromium per test process, driven by Playwright's sync API
against pytest-django's live server.

Other apps' browser tests use `phone_page` (a WeChat-like phone) or `desktop_page`, both with
`base_url` set to the live server (service workers blocked: tests/browser/test_offline_app.py opts
in), and `browser_login(page, user)` to sign a cast user in
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


def _serialize_live_server_requests():
    """pytest-django's live server on an in-memory SQLite database hands its one connection to
    every request thread, and the test's own thread uses it too. Two threads in it at once (a page
    and its service worker, htmx polling, a sync after a network cut, a test reading the database
    while the browser's last request is still running) can deadlock CPython's sqlite3 module: one
    thread inside sqlite3_step waits for the GIL to run a Django SQL function while the other holds
    the GIL and waits for the connection's mutex (seen in CI: both request threads idle in
    SQLiteCursorWrapper.execute, the test waiting on the browser forever).

    One reentrant lock therefore guards that connection. A request holds it from the call of the
    application until its response is closed, so requests are served one at a time (keep-alive
    connections still get their own threads); every statement, fetch, commit and rollback takes it
    too, so the test's thread waits for a request in flight instead of entering the connection
    beside it. Served by a file or PostgreSQL database, requests hold nothing; the statement lock
    is then uncontended."""
    import functools
    import sqlite3
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.db.backends.sqlite3 import base as sqlite_base
    from django.test.testcases import LiveServerThread

    lock = threading.RLock()

    def locked(method):
        @functools.wraps(method)
        def call(*args, **kwargs):
            with lock:
                return method(*args, **kwargs)

        return call

    cursor = sqlite_base.SQLiteCursorWrapper
    for name in ("execute", "executemany"):
        setattr(cursor, name, locked(getattr(cursor, name)))
    for name in ("fetchone", "fetchmany", "fetchall", "close"):
        setattr(cursor, name, locked(getattr(sqlite3.Cursor, name)))
    for name in ("_commit", "_rollback", "_set_autocommit", "_close"):
        wrapper = sqlite_base.DatabaseWrapper
        setattr(wrapper, name, locked(getattr(wrapper, name)))

    class _Released:
        """The response's iterable; closing it (wsgiref always does, in the request's thread)
        releases the lock once."""

        def __init__(self, result):
            self.result = result
            self.held = True

        def __iter__(self):
            return iter(self.result)

        def close(self):
            try:
                if hasattr(self.result, "close"):
                    self.result.close()
            finally:
                if self.held:
                    self.held = False
                    lock.release()

    class Server(ThreadedWSGIServer):
        def set_app(self, application):
            if not self.connections_override:
                return super().set_app(application)

            def one_at_a_time(environ, start_response):
                lock.acquire()
                try:
                    return _Released(application(environ, start_response))
                except BaseException:
                    lock.release()
                    raise

            return super().set_app(one_at_a_time)

    LiveServerThread.server_class = Server


_serialize_live_server_requests()


@pytest.fixture(scope="session")
def live_server(django_db_setup, live_server):
    """pytest-django's live server, started only once the test database exists. Session fixtures
    are set up before function ones, in the order a test names them: a test asking for
    `phone_page` (whose context needs the live server) before `cast` (the database) started the
    server while the settings still named the installation's own database, so it shared no
    connection; every request thread then opened its own connection to the in-memory test
    database, and SQLite's shared cache refused them at random ("database table is locked": a
    session not saved, a flush failing at teardown). Which test ran first in a process decided it."""
    from django.db import connection

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        assert live_server.thread.connections_override, "the live server shares no connection with the tests"
    return live_server


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
    # Service workers are blocked unless a test opts in (service_workers="allow"): the phone roles'
    # pages register one (zhenwu.offline), and a worker that keeps pages would change what other
    # tests see after, say, a network cut.
    options.setdefault("service_workers", "block")
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
def demo_town(transactional_db, settings, tmp_path, tmp_path_factory):
    """The demo town (load_demo), committed so the live server sees it; flushed after the test.

    Loading it takes about a minute, so on the in-memory SQLite test database it is loaded once
    per test process and copied aside (tests/demo_snapshot.py); every later test gets the copy
    back in about a second (the role walks, one test per role, would otherwise load it nine times).
    What a test changes is flushed after it, as for any transactional test, and never reaches
    the copy.

    The role walks that use it check what pages show, which does not depend on the database
    engine; CI runs the suite on SQLite and on PostgreSQL, and walking twice would cost four
    minutes of its twenty, so on PostgreSQL they are skipped (ZHENWU_WALK_ON_POSTGRES=1 walks)."""
    from django.core.management import call_command
    from django.db import connection

    from tests import demo_snapshot

    if connection.vendor != "sqlite" and os.environ.get("ZHENWU_WALK_ON_POSTGRES") != "1":
        pytest.skip("the role walk runs in the SQLite half of CI (ZHENWU_WALK_ON_POSTGRES=1 to walk here)")

    if not demo_snapshot.can_snapshot(connection):
        settings.MEDIA_ROOT = str(tmp_path / "media")
        with open(os.devnull, "w") as out:
            call_command("load_demo", stdout=out)
        return

    snapshot = demo_snapshot.demo_town(connection, lambda: tmp_path_factory.mktemp("demo-media"))
    settings.MEDIA_ROOT = snapshot.media
