"""A county leader on a phone: the coverage page lists the county's towns, a town opens its villages
and grids, and the way back returns to the towns; nothing is wider than the screen."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhenwu.grid.models import HouseholdLink
from zhenwu.org.models import Household

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-coverage-county.png"


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _whole_table_visible(page):
    """Every column of the coverage table on screen: its frame would scroll sideways otherwise,
    hiding the rate at the end of each row."""
    return page.evaluate("(() => { const w = document.querySelector('.table-wrap'); "
                         "return w.scrollWidth <= w.clientWidth; })()")


def _names_readable(page):
    """The area column is at least six characters wide, so a grid's name does not stand one
    character per line."""
    return page.evaluate("[...document.querySelectorAll('table.coverage td:first-child')].every(td => "
                         "td.getBoundingClientRect().width >= 6 * parseFloat(getComputedStyle(td).fontSize))")


@pytest.fixture
def county(cast, second_town):
    from conftest import PASSWORD
    from zhenwu.accounts.models import Role, User

    started = timezone.localdate() - datetime.timedelta(days=40)
    for household in (cast.households.jiulong, cast.households.jizhen):
        HouseholdLink.objects.create(member=cast.members.jiulong, household=household, grid_id=household.grid_id,
                                     started_on=started)
    Household.objects.create(grid=second_town.grid, number="XA-0001", address="新安村1号")
    return User.objects.create_user(username="county_leader", password=PASSWORD, role=Role.LEADER, area=cast.county,
                                    full_name="县委组织部")


def test_a_county_leader_drills_from_the_towns_into_one_town_on_a_phone(phone_page, county, browser_login):
    page = phone_page
    browser_login(page, county)
    page.goto("/grid/coverage/")
    table = page.get_by_test_id("coverage")
    expect(table.get_by_role("link", name="官桥镇")).to_be_visible()
    expect(table.get_by_role("link", name="龙伏镇")).to_be_visible()
    expect(table).not_to_contain_text("九龙村")
    assert _no_horizontal_overflow(page) and _whole_table_visible(page)

    table.get_by_role("link", name="官桥镇").click()
    expect(page.get_by_role("heading", name="走访覆盖率 · 官桥镇")).to_be_visible()
    expect(page.get_by_test_id("coverage")).to_contain_text("九龙村第一网格")
    expect(page.get_by_test_id("coverage")).not_to_contain_text("新安村")
    assert _no_horizontal_overflow(page) and _whole_table_visible(page) and _names_readable(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.get_by_role("link", name="← 全部镇（街道）").click()
    expect(page.get_by_test_id("coverage").get_by_role("link", name="龙伏镇")).to_be_visible()
