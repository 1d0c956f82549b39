"""A leader on a phone generates the month's briefing, watches the job finish, edits its text and its
highlights (本月要闻) and publishes it, which numbers it (第1期)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhenwu.activities import services
from zhenwu.activities.models import ActivityKind
from zhenwu.jobs.services import run_pending_jobs

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-briefing.png"


def test_a_leader_generates_edits_and_publishes_a_briefing_on_a_phone(phone_page, cast, browser_login, settings,
                                                                       tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    visit = services.create_activity(
        kind=ActivityKind.CARE_VISIT, title="“岁岁重阳暖人心”慰问活动", place="九龙村党群服务中心", area=cast.jiulong,
        party_org=cast.jiulong_org, starts_at=datetime.datetime(2019, 10, 3, 9, tzinfo=ZoneInfo("Asia/Shanghai")),
        summary="送去长寿餐及牛奶等慰问品")
    services.set_beneficiaries(visit, count=216, description="老人")

    page = phone_page
    browser_login(page, cast.users.leader)
    page.goto("/reports/briefings/")
    page.get_by_label("区域").select_option(label="官桥镇")
    page.get_by_label("年份").select_option("2019")
    page.get_by_label("月份").select_option("10")
    page.get_by_role("button", name="根据业务记录生成").click()
    expect(page.get_by_role("status").first).to_be_visible()
    run_pending_jobs()  # the worker
    expect(page.get_by_role("link", name="下载PDF", exact=False).first).to_be_visible(timeout=20_000)
    text = page.get_by_label("正文")
    assert "为210余名老人送去长寿餐及牛奶等慰问品" in text.input_value()  # 216: exact below 100, down to the ten above
    text.fill(text.input_value().replace("长寿餐", "长寿面"))
    page.get_by_role("button", name="保存修改").click()
    first = page.locator("fieldset.highlight").first
    expect(first).to_contain_text("入选理由：活动覆盖216人")
    first.get_by_label("标题").fill("重阳慰问200余名老人")
    page.get_by_role("button", name="保存本月要闻").click()
    expect(page.locator("fieldset.highlight").first.get_by_label("标题")).to_have_value("重阳慰问200余名老人")
    page.get_by_role("button", name="发布当前稿").click()
    expect(page.get_by_role("link", name="第1版")).to_be_visible()
    expect(page.get_by_text(f"{timezone.localdate().year}年第1期").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=SCREENSHOT, full_page=True)
    version = cast.town.briefings.get().versions.get()
    assert "长寿面" in version.text and version.highlights[0]["headline"] == "重阳慰问200余名老人"
