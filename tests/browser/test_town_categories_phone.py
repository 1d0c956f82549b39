"""诉求类别 on a phone: the town's administrator reads the county's catalogue, is told in Chinese
which field is wrong, and sets the town's own department and limit; the pages never scroll
sideways."""

import pytest
from playwright.sync_api import expect

from zhenwu.concerns.models import Category, TownCategorySetting
from zhenwu.org.models import Department

pytestmark = pytest.mark.browser


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_town_admin_sets_a_categorys_own_rules_on_a_phone(browser, live_server, browser_login, cast):
    from tests.browser.conftest import PHONE, _context

    road = Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=5
    )
    env = Department.objects.create(name="环保办", town=cast.town)
    context = _context(browser, live_server, **PHONE)
    page = context.new_page()
    browser_login(page, cast.users.town_admin)

    page.goto("/concerns/categories/")
    row = page.locator(f"#category-{road.pk}")
    expect(row).to_contain_text("城建办")
    expect(row).to_contain_text("办结5天")
    assert _fits(page)

    row.get_by_role("link", name="设置").click()
    page.get_by_label("本镇默认承办部门").select_option(label="环保办")
    page.get_by_label("本镇办结时限（工作日）").fill("0")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".has-error")).to_contain_text("本镇办结时限须在1到365个工作日之间")
    assert _fits(page)
    assert not TownCategorySetting.objects.exists()

    page.get_by_label("本镇办结时限（工作日）").fill("8")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(f"#category-{road.pk}")).to_contain_text("办结8天")
    expect(page.locator(f"#category-{road.pk}")).to_contain_text("环保办")
    row = TownCategorySetting.objects.get()
    assert (row.default_department, row.resolution_limit_days) == (env, 8)
    context.close()
