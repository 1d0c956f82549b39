"""An instructor checks a branch's site (阵地"五化") in a village without signal: the check form was
kept by the installable app while online, the check and its photo wait on the phone through closing
the browser, and after signing in again exactly one check reaches the server."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline_app import _installed, _phone, _photo
from zhenwu.accounts.models import User
from zhenwu.offline.models import SentRecord
from zhenwu.study.models import SiteCheck
from zhenwu.study.tests.conftest import build_study

pytestmark = pytest.mark.browser

SCORES = (("组织设置标准化", "18"), ("组织生活正常化", "17"), ("党员管理精细化", "19"), ("阵地建设规范化", "16"),
          ("工作保障制度化", "15"))


def test_a_site_check_recorded_offline_is_stored_once(playwright, live_server, cast, browser_login, tmp_path,
                                                       settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    study = build_study(cast)
    phone, page = _installed(playwright, live_server, tmp_path / "profile", browser_login, cast.users.instructor, "/study/site-checks/")

    phone.set_offline(True)
    page.goto("/study/site-checks/new/")  # from the phone: never opened before
    expect(page.get_by_role("heading", name="登记阵地“五化”检查")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="当前没有网络")).to_be_visible()
    page.get_by_label("党组织").select_option(str(cast.jiulong_branch.pk))
    page.get_by_label("主题教育").select_option(str(study.campaign.pk))
    for label, score in SCORES:
        page.get_by_label(label).fill(score)
    page.get_by_label("检查意见").fill("制度上墙，阵地整洁。")
    page.get_by_label("阵地照片").set_input_files(str(_photo(tmp_path)))
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    expect(page.get_by_test_id("queue-count")).to_contain_text("1")
    assert not SiteCheck.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.instructor)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    check = SiteCheck.objects.get()
    assert check.party_org == cast.jiulong_branch and check.campaign == study.campaign and check.total == 85
    assert check.notes == "制度上墙，阵地整洁。" and check.checked_by == cast.users.instructor
    assert check.photos.count() == 1
    assert SentRecord.objects.get().object_id == check.pk
    phone.close()


def test_a_site_check_for_a_branch_no_longer_guided_comes_back_with_the_reason_and_is_corrected(
        playwright, live_server, cast, browser_login, tmp_path):
    build_study(cast)
    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.instructor)
    page.goto("/study/site-checks/new/")
    phone.set_offline(True)
    page.get_by_label("党组织").select_option(str(cast.jiulong_branch.pk))
    for label, score in SCORES:
        page.get_by_label(label).fill(score)
    page.get_by_label("检查意见").fill("活动室门锁坏了。")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()

    # Meanwhile the town moves the instructor to guide 集镇村 instead.
    User.objects.filter(pk=cast.users.instructor.pk).update(party_org=cast.jizhen_org)
    phone.set_offline(False)
    page.goto("/offline/")
    record = page.get_by_test_id("queued-record")
    expect(record.get_by_role("alert")).to_contain_text("这个党组织已不在您的指导范围内", timeout=30_000)
    expect(record).to_contain_text("需要核对")
    assert not SiteCheck.objects.exists()

    record.get_by_role("link", name="修改").click()
    expect(page.get_by_role("status").filter(has_text="正在修改待发送的记录")).to_be_visible()
    expect(page.get_by_label("检查意见")).to_have_value("活动室门锁坏了。")
    expect(page.get_by_label("组织设置标准化（满分20）")).to_have_value("18")
    page.get_by_label("党组织").select_option(str(cast.jizhen_org.pk))
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("heading", name="集镇村党总支")).to_be_visible(timeout=30_000)
    check = SiteCheck.objects.get()
    assert check.party_org == cast.jizhen_org and check.notes == "活动室门锁坏了。" and check.total == 85
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible()
    phone.close()
