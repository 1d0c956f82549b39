"""Staff on phones work a concern through the htmx actions of the concern page: the dispatcher
accepts and dispatches it from the inbox, the department's handler signs, updates and resolves it
from the queue, and the dispatcher records an unsatisfied call-back from the call-back list,
which reopens it. Each action swaps the page in place; no page is wider than the phone."""

import re

import pytest
from playwright.sync_api import expect

from zhenwu.concerns.models import Category, Channel, Concern, Status
from zhenwu.concerns.services import submit_concern

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-concern-staff.png"
INBOX_SCREENSHOT = "/tmp/zhenwu-phone-concern-inbox.png"


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def concern(cast):
    category = Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=5
    )
    return submit_concern(
        text="九龙村学校门口污水横流，学生上学要绕道走。",
        category=category,
        area=cast.jiulong_grid,
        channel=Channel.WEB,
        reporter_name="李四",
        reporter_phone="13800138000",
    ).concern


def _act(page, heading, button, fill=None):
    """Open an action panel, fill it in, send it, and wait for htmx to swap the panel."""
    page.locator("details.action > summary", has_text=re.compile(rf"^{re.escape(heading)}$")).click()
    panel = page.locator("details.action[open]")
    for label, value in (fill or {}).items():
        panel.get_by_label(label, exact=True).fill(value)
    with page.expect_response(lambda r: r.request.method == "POST"):
        panel.get_by_role("button", name=button, exact=True).click()


def test_a_concern_is_worked_from_inbox_to_reopening_on_phones(browser, live_server, browser_login, cast, concern):
    from tests.browser.conftest import PHONE, _context

    users = cast.users
    dispatcher_context = _context(browser, live_server, **PHONE)
    page = dispatcher_context.new_page()
    browser_login(page, users.dispatcher)

    page.goto("/concerns/inbox/")
    assert _fits(page)
    page.screenshot(path=INBOX_SCREENSHOT, full_page=True)
    page.get_by_role("link", name=concern.title).click()
    expect(page.locator("#concern-panel")).to_contain_text("待受理")
    page.get_by_role("button", name="显示完整电话").click()
    expect(page.get_by_test_id("revealed")).to_have_text("13800138000")

    url = page.url
    _act(page, "受理", "受理", {"答复诉求人": "已收到，马上安排。"})
    expect(page.locator("#concern-panel .tag").first).to_have_text("已受理")
    assert page.url == url  # swapped in place, no navigation
    _act(page, "派单", "派单")
    expect(page.locator("#concern-panel")).to_contain_text("已转交城建办办理。")
    assert _fits(page)

    handler_context = _context(browser, live_server, **PHONE)
    handler = handler_context.new_page()
    browser_login(handler, users.handler)
    handler.goto("/concerns/queue/")
    assert _fits(handler)
    handler.get_by_role("link", name=concern.title).click()
    _act(handler, "签收", "签收派单")
    expect(handler.locator("#concern-panel")).to_contain_text("城建办已签收，正在办理。")
    _act(handler, "办理进展 / 内部备注", "保存", {"内容": "已到现场查看，安排清淤。"})
    expect(handler.locator("#concern-panel .timeline")).to_contain_text("已到现场查看，安排清淤。")

    # A refused action keeps what was typed and says why.
    _act(handler, "办结", "办结", {"办结答复": "污水管道已疏通。"})
    expect(handler.locator("#concern-panel")).to_contain_text("请选择办理结果")
    expect(handler.locator("#id_resolve_text")).to_have_value("污水管道已疏通。")
    handler.locator("#id_resolve_outcome").select_option("fixed")
    with handler.expect_response(lambda r: r.request.method == "POST"):
        handler.locator("details.action[open]").get_by_role("button", name="办结", exact=True).click()
    expect(handler.locator("#concern-panel .tag").first).to_have_text("已办结")
    handler.screenshot(path=SCREENSHOT, full_page=True)

    page.goto("/concerns/callbacks/")
    assert _fits(page)
    row = page.locator(f"#row-{concern.pk}")
    row.get_by_label("未解决").check()
    row.get_by_label("不满意（重办）").check()
    row.get_by_label("回访记录").fill("居民说雨天还会漫水")
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_role("button", name="登记回访结果").click()
    expect(page.locator(f"#row-{concern.pk}")).to_contain_text("回访结果已登记")

    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1
    assert Concern.objects.get(pk=concern.pk).callback_result == "unsatisfied"
    handler_context.close()
    dispatcher_context.close()


def test_a_search_typed_while_the_last_is_on_its_way_shows_the_latest_and_no_error(
    browser, live_server, browser_login, cast, concern
):
    """Search-as-you-type on a slow network. The search runs on input events, as Chinese arrives
    from an input method, a paste or WeChat's voice input: the list's old trigger, keyup, never
    fired for text inserted without keys (Playwright types Chinese that way). A search due while
    the last is still on its way waits for it (hx-sync "queue last") and then runs, so the list
    ends on what was typed last. Cancelling the one on its way ("replace") made htmx report
    htmx:sendAbort as an error in the console."""
    from tests.browser.conftest import PHONE, _context

    category = concern.category
    other = submit_concern(text="九龙村二组路灯坏了三盏，晚上路过很黑。", category=category,
                           area=cast.jiulong_grid, channel=Channel.WEB).concern
    context = _context(browser, live_server, **PHONE)
    page = context.new_page()
    browser_login(page, cast.users.dispatcher)
    page.goto("/concerns/list/")
    expect(page.locator("#results")).to_contain_text("共 2 件")

    errors, sent, held = [], [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    def hold_the_first(route):  # the first search is held on its way; the others go through
        sent.append(route.request.url)
        if len(sent) == 1:
            held.append(route)
        else:
            route.continue_()

    page.route("**/concerns/list/?*", hold_the_first)
    search = page.get_by_label("搜索")
    with page.expect_request("**/concerns/list/?*"):
        search.press_sequentially("污水")  # the first search, after the typing delay: held on its way
    search.fill("")
    search.press_sequentially("路灯")  # the next is due now
    page.wait_for_timeout(1000)
    assert len(sent) == 1  # it waits for the one on its way
    held[0].continue_()  # the first arrives; the waiting one runs after it
    expect(page.locator("#results")).to_contain_text("共 1 件")
    expect(page.locator("#results")).to_contain_text(other.title)
    expect(page.locator("#results")).not_to_contain_text(concern.title)
    assert "q=%E8%B7%AF%E7%81%AF" in page.url
    assert errors == []
    context.close()
