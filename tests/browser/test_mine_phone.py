"""A resident who lost their private link, on a phone (WeChat's browser): finds 我的反映 at the
foot of the board, proves their phone with the code the SMS backend sent, sees the concern they
reported, opens it and rates the resolution."""

import re

import pytest
from playwright.sync_api import expect

from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Channel, Outcome, Status
from zhenwu.lib.sms import MemoryBackend

pytestmark = pytest.mark.browser

PHONE = "13800138000"
SCREENSHOT = "/tmp/zhenwu-phone-mine.png"


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def resolved_concern(cast, settings):
    settings.ZHENWU_SMS_BACKEND = "memory"
    MemoryBackend.outbox.clear()
    sanitation = Category.objects.create(
        code="sanitation", name="环境卫生", default_department=cast.urban, response_limit_days=1, resolution_limit_days=5
    )
    concern = services.submit_concern(
        text="九龙村学校门口下水道堵塞，污水横流。",
        category=sanitation,
        area=cast.jiulong_grid,
        channel=Channel.WEB,
        reporter_name="黎明",
        reporter_phone=PHONE,
    ).concern
    users = cast.users
    services.accept_concern(concern, by=users.dispatcher)
    services.dispatch_concern(concern, by=users.dispatcher)
    services.resolve_concern(concern, by=users.handler, outcome=Outcome.FIXED, text="下水道已疏通。")
    MemoryBackend.outbox.clear()
    yield concern
    MemoryBackend.outbox.clear()


def test_a_resident_who_lost_the_link_recovers_it_through_my_concerns_and_rates(phone_page, resolved_concern):
    page = phone_page
    concern = resolved_concern
    page.goto("/concerns/board/")
    page.get_by_role("link", name="我的反映").click()
    expect(page.get_by_role("heading", name="我的反映")).to_be_visible()
    assert _no_horizontal_overflow(page)

    page.get_by_label("手机号码").fill(PHONE)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("heading", name="输入验证码")).to_be_visible()
    expect(page.locator("main")).to_contain_text("138****8000")
    expect(page.locator("main")).not_to_contain_text(PHONE)
    (phone, text), = MemoryBackend.outbox
    assert phone == PHONE
    code = re.search(r"验证码为(\d{6})", text).group(1)

    page.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="查看我的反映").click()
    expect(page.locator("main")).to_contain_text("验证码不正确")
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="查看我的反映").click()

    listing = page.get_by_test_id("mine-list")
    expect(listing).to_contain_text(concern.reference)
    expect(listing).to_contain_text("我反映的")
    expect(page.locator("main")).not_to_contain_text("黎明")
    assert _no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.get_by_role("button", name=f"打开{concern.reference}").click()

    expect(page.get_by_test_id("reference")).to_have_text(concern.reference)
    expect(page.locator(".messages")).to_contain_text("这是您的新查询链接")
    assert re.search(rf"/concerns/follow/{concern.reference}/[\w-]+/$", page.url)
    assert page.locator("#follow-url").input_value() == page.url
    page.get_by_label("已解决", exact=True).check()
    page.get_by_label("满意", exact=True).check()
    page.get_by_role("button", name="提交评价").click()

    expect(page.locator(".messages")).to_contain_text("感谢您的评价，诉求已办结关闭")
    expect(page.get_by_test_id("status")).to_have_text("已关闭")
    assert _no_horizontal_overflow(page)
    concern.refresh_from_db()
    assert concern.status == Status.CLOSED and concern.callback_result == "satisfied"
