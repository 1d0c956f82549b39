"""延期 and 挂起 on phones: the handler asks for an extension, the dispatcher approves it from the
延期审批 list, and the new deadline shows on the handler's queue, the dispatcher's list and the
public board; a concern past its deadline leaves the overdue lists (督办, the list's 仅看超期 and
the board's 已超期) when suspended and comes back when resumed."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Channel, Concern, Status
from zhenwu.workdays import calendar as workdays

pytestmark = pytest.mark.browser


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def road(cast):
    return Category.objects.create(
        code="road",
        name="道路交通",
        default_department=cast.urban,
        response_limit_days=1,
        resolution_limit_days=5,
    )


def _dispatched(cast, road, *, title, days_ago=0):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    concern = services.submit_concern(
        text=f"{title}，请尽快处理。",
        title=title,
        category=road,
        area=cast.jiulong_grid,
        channel=Channel.WEB,
        reporter_phone="13800138000",
        received_at=at,
    ).concern
    concern = services.accept_concern(concern, by=cast.users.dispatcher, now=at)
    return services.dispatch_concern(concern, by=cast.users.dispatcher, now=at)


def _open(page, heading):
    page.locator("details.action > summary", has_text=re.compile(rf"^{re.escape(heading)}$")).click()
    return page.locator("details.action[open]")


def _send(page, panel, button):
    with page.expect_response(lambda r: r.request.method == "POST"):
        panel.get_by_role("button", name=button, exact=True).click()


def _phone(browser, live_server, browser_login, user):
    from tests.browser.conftest import PHONE, _context

    page = _context(browser, live_server, **PHONE).new_page()
    browser_login(page, user)
    return page


def test_an_approved_extension_moves_the_deadline_on_every_list(
    browser, live_server, browser_login, cast, road
):
    concern = _dispatched(cast, road, title="九龙村桥头路面塌陷")
    old_due = workdays.local_date(concern.resolution_due)
    new_date = workdays.next_workday(workdays.next_workday(old_due))
    users = cast.users

    handler = _phone(browser, live_server, browser_login, users.handler)
    handler.goto("/concerns/queue/")
    expect(handler.locator(f"#concern-{concern.pk}")).to_contain_text(f"{old_due:%m-%d}")
    handler.get_by_role("link", name=concern.title).click()
    panel = _open(handler, "申请延期")
    panel.get_by_label("申请延至（工作日）").fill(new_date.isoformat())
    panel.get_by_label("延期理由").fill("需等待供电所迁改线杆")
    _send(handler, panel, "提交延期申请")
    expect(handler.get_by_test_id("pending-extension")).to_contain_text(f"{new_date:%Y-%m-%d}")
    expect(handler.locator("details.action-extend")).to_have_count(0)  # one request at a time
    assert _fits(handler)

    dispatcher = _phone(browser, live_server, browser_login, users.dispatcher)
    dispatcher.goto("/concerns/inbox/")
    expect(dispatcher.get_by_test_id("extension-badge")).to_contain_text("1")
    dispatcher.get_by_test_id("extension-badge").get_by_role("link").click()
    expect(dispatcher.get_by_test_id("extension-list")).to_contain_text("需等待供电所迁改线杆")
    assert _fits(dispatcher)
    dispatcher.get_by_test_id("extension-list").get_by_role("link", name=concern.title).click()
    panel = _open(dispatcher, "延期审批")
    panel.get_by_label("批准延期").check()
    _send(dispatcher, panel, "提交审批")
    expect(dispatcher.get_by_test_id("resolution-due")).to_contain_text(f"{new_date:%Y-%m-%d}")
    expect(dispatcher.locator("#concern-panel")).to_contain_text("经审批，办结期限")
    assert Concern.objects.get(pk=concern.pk).resolution_due == workdays.end_of_day(new_date)

    handler.goto("/concerns/queue/")
    expect(handler.locator(f"#concern-{concern.pk}")).to_contain_text(f"{new_date:%m-%d}")
    dispatcher.goto("/concerns/list/")
    expect(dispatcher.locator(f"#concern-{concern.pk}")).to_contain_text(f"{new_date:%m-%d}")
    dispatcher.goto("/concerns/inbox/")
    expect(dispatcher.get_by_test_id("extension-badge")).to_have_count(0)
    from tests.browser.conftest import PHONE, _context

    board = _context(browser, live_server, **PHONE).new_page()  # a resident, no account
    board.goto("/concerns/board/")
    expect(board.get_by_test_id("board-list")).to_contain_text(f"办结期限 {new_date.month}月{new_date.day}日")
    assert _fits(board)


def test_a_suspended_concern_leaves_the_overdue_lists_and_returns_on_resume(
    browser, live_server, browser_login, cast, road
):
    concern = _dispatched(cast, road, title="杨梅村水渠垮塌", days_ago=30)
    assert concern.is_overdue()
    users = cast.users

    leader = _phone(browser, live_server, browser_login, users.leader)
    leader.goto("/concerns/supervision/")
    expect(leader.locator("#results")).to_contain_text(concern.title)

    dispatcher = _phone(browser, live_server, browser_login, users.dispatcher)
    dispatcher.goto("/concerns/list/?overdue=on")
    expect(dispatcher.locator("#results")).to_contain_text(concern.title)
    dispatcher.get_by_role("link", name=concern.title).click()
    panel = _open(dispatcher, "挂起")
    resume_on = workdays.local_date(timezone.now()) + datetime.timedelta(days=20)
    panel.get_by_label("预计恢复日期").fill(resume_on.isoformat())
    panel.get_by_label("挂起理由").fill("等待法院判决")
    _send(dispatcher, panel, "挂起")
    expect(dispatcher.locator("#concern-panel")).to_contain_text("已挂起")
    assert Concern.objects.get(pk=concern.pk).status == Status.SUSPENDED
    assert _fits(dispatcher)

    leader.goto("/concerns/supervision/")
    expect(leader.locator("#results")).not_to_contain_text(concern.title)
    dispatcher.goto("/concerns/list/?overdue=on")
    expect(dispatcher.locator("#results")).not_to_contain_text(concern.title)
    dispatcher.goto("/concerns/board/?status=overdue")
    expect(dispatcher.get_by_test_id("board-list")).not_to_contain_text(concern.title)

    dispatcher.goto(f"/concerns/{concern.pk}/")
    panel = _open(dispatcher, "恢复办理")
    _send(dispatcher, panel, "恢复办理")
    expect(dispatcher.locator("#concern-panel")).to_contain_text("恢复办理，挂起0个工作日")
    leader.goto("/concerns/supervision/")
    expect(leader.locator("#results")).to_contain_text(concern.title)
    dispatcher.goto("/concerns/list/?overdue=on")
    expect(dispatcher.locator("#results")).to_contain_text(concern.title)
