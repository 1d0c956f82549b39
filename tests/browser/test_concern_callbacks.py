"""The dispatcher works the call-back list on a phone: a resident not reached on three working
days is recorded as 联系不上, which closes the call-back; 不满意 without its reason is refused with a
Chinese message beside the field, and with it reopens the concern. No page is wider than the phone."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhenwu.concerns import callbacks, services
from zhenwu.concerns.models import Category, Channel, Concern, Status
from zhenwu.workdays import calendar as workdays

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-callbacks.png"


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _working_days_before(today, count):
    """The `count` working days before `today`, oldest first."""
    overrides = workdays.workday_overrides()
    days, day = [], today
    while len(days) < count:
        day -= datetime.timedelta(days=1)
        if workdays.is_workday(day, overrides):
            days.append(day)
    return sorted(days)


def _resolved(cast, category, text, *, at):
    """A concern received, dispatched, answered and resolved at `at` (a working day's morning)."""
    concern = services.submit_concern(
        text=text, category=category, area=cast.jiulong_grid, channel=Channel.WEB, reporter_name="李四",
        reporter_phone="13800138000", received_at=at,
    ).concern
    u = cast.users
    services.accept_concern(concern, by=u.dispatcher, now=at + datetime.timedelta(minutes=10))
    services.dispatch_concern(concern, by=u.dispatcher, now=at + datetime.timedelta(minutes=20))
    services.post_update(concern, by=u.handler, text="已到现场。", public=True, now=at + datetime.timedelta(hours=1))
    return services.resolve_concern(concern, by=u.handler, outcome="fixed", text="已修复。",
                                    now=at + datetime.timedelta(hours=3))


@pytest.fixture
def resolved_pair(cast):
    category = Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=5
    )
    zone = workdays.local_zone()
    first, second, third = _working_days_before(timezone.localdate(), 3)
    start = datetime.datetime.combine(first, datetime.time(8, 40), tzinfo=zone) - datetime.timedelta(days=7)
    unreached = _resolved(cast, category, "九龙村三组路灯不亮，晚上出行不便。", at=start)
    unhappy = _resolved(cast, category, "九龙村学校门口下水道堵塞，污水横流。", at=start)
    for day, note in ((first, "无人接听"), (second, "关机"), (third, "无人接听")):
        callbacks.record_call_back_attempt(
            unreached, by=cast.users.dispatcher, note=note,
            now=datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=zone),
        )
    return unreached, unhappy


def test_unreachable_after_three_attempts_closes_the_call_back_and_unsatisfied_needs_a_reason(
    phone_page, browser_login, cast, resolved_pair
):
    unreached, unhappy = resolved_pair
    page = phone_page
    browser_login(page, cast.users.dispatcher)
    page.goto("/concerns/callbacks/")
    assert _fits(page)

    row = page.locator(f"#row-{unreached.pk}")
    expect(row.get_by_test_id("attempts")).to_contain_text("本轮已回访未联系上3次（3个工作日），可登记“联系不上”")
    row.locator("summary", has_text="没有联系上").click()
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert _fits(page)
    row.get_by_label("联系不上的说明（选填）").fill("三个工作日电话均未接通")
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_role("button", name="登记联系不上").click()
    expect(page.locator(f"#row-{unreached.pk}")).to_contain_text("已登记联系不上，诉求已关闭（当前状态：已关闭）")
    concern = Concern.objects.get(pk=unreached.pk)
    assert concern.status == Status.CLOSED and concern.callback_result == "unreachable"

    row = page.locator(f"#row-{unhappy.pk}")
    expect(row.get_by_role("button", name="登记联系不上")).to_have_count(0)  # not offered before any attempt
    row.get_by_label("未解决").check()
    row.get_by_label("不满意（重办）").check()
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_role("button", name="登记回访结果").click()
    row = page.locator(f"#row-{unhappy.pk}")
    expect(row.locator(".field.has-error")).to_contain_text("选择“不满意”时请填写不满意的原因")
    assert Concern.objects.get(pk=unhappy.pk).status == Status.RESOLVED
    assert _fits(page)
    row.get_by_label("未解决").check()
    row.get_by_label("不满意（重办）").check()
    row.get_by_label("回访记录（选择“不满意”时必填，写明原因）").fill("下水道又堵了")
    with page.expect_response(lambda r: r.request.method == "POST"):
        row.get_by_role("button", name="登记回访结果").click()
    expect(page.locator(f"#row-{unhappy.pk}")).to_contain_text("回访结果已登记")
    concern = Concern.objects.get(pk=unhappy.pk)
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1

    page.reload()
    expect(page.locator(".concern-row")).to_have_count(0)
    expect(page.locator("#results")).to_contain_text("没有待回访的诉求")
