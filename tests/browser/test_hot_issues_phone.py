"""A leader on a phone corrects the 热点 groups: merges the stone-bridge group with the
street-lamp group, then dismisses one report from the merged group; after a reload the page
still shows both decisions (one group, the dismissed report listed under it with 恢复)."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhenwu.concerns.models import Category, Status
from zhenwu.routing.models import DecisionKind, HotIssueDecision
from zhenwu.routing.tests.conftest import make_concern

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-hot-issues.png"


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def window(cast):
    road = Category.objects.create(code="road", name="道路交通", default_department=cast.urban,
                                   response_limit_days=1, resolution_limit_days=5)
    now = timezone.now()
    texts = [
        ("九龙村石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动，孩子上学要过桥，很危险。"),
        ("石拱桥栏杆松动", "九龙村石拱桥的栏杆松动了，桥面也开裂，担心出事。"),
        ("石拱桥开裂危险", "九龙村石拱桥桥面开裂很危险，栏杆松动，请派人看看。"),
        ("学校门口路灯不亮", "九龙村学校门口路灯坏了，晚上学生放学看不清路。"),
        ("学校路灯坏了", "九龙村学校门口的路灯坏了半个月，学生放学很黑。"),
        ("路灯坏了学生看不清", "学校门口路灯坏了，学生晚上放学看不清路。"),
    ]
    return [
        make_concern(cast, category=road, title=t, text=x, status=Status.ACCEPTED,
                     received_at=now - datetime.timedelta(days=2, hours=-i), phone_hash=f"r{i}")
        for i, (t, x) in enumerate(texts)
    ]


def test_a_leader_merges_two_groups_and_dismisses_a_report_and_the_page_remembers(
        phone_page, browser_login, cast, window):
    page = phone_page
    browser_login(page, cast.users.leader)
    page.goto("/routing/hot/")
    cards = page.locator(".hot-issue")
    expect(cards).to_have_count(2)
    assert _fits(page)

    bridge = cards.filter(has_text="九龙村石拱桥桥面开裂").first
    bridge.locator("summary", has_text="调整分组").click()
    bridge.get_by_label("与另一组合并").select_option(value=",".join(str(c.pk) for c in window[3:]))
    with page.expect_response(lambda r: r.request.method == "POST"):
        bridge.get_by_role("button", name="合并为一组").click()
    expect(page.get_by_text("已合并两组热点")).to_be_visible()
    expect(cards).to_have_count(1)

    merged = cards.first
    merged.locator("summary", has_text="调整分组").click()
    gone = window[5]
    merged.get_by_label(re.compile(re.escape(gone.reference))).check()
    with page.expect_response(lambda r: r.request.method == "POST"):
        merged.get_by_role("button", name="移出本组").click()
    expect(page.get_by_text("已将所选诉求移出本组")).to_be_visible()

    page.reload()
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.get_by_text(re.compile(r"5\s*位群众反映"))).to_be_visible()
    expect(card.locator(".hot-adjustments")).to_contain_text("合并")
    dismissed = card.locator(".hot-adjustments li", has_text=gone.reference)
    expect(dismissed.get_by_role("button", name="恢复")).to_be_visible()
    assert gone.reference not in card.locator("ul.plain").first.inner_text()
    assert _fits(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert set(HotIssueDecision.objects.values_list("kind", "created_by")) == {
        (DecisionKind.MERGE, cast.users.leader.pk), (DecisionKind.DISMISS, cast.users.leader.pk)}
