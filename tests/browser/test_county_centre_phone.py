"""The county centre on a phone: the county dispatcher finds a concern a town handed up under 县级待派,
dispatches it to 县住建局 (the only departments offered are the county's), and the county dashboard
shows it per town and per department; a town dispatcher is not offered the dispatch. Nothing is
wider than the screen."""

import pytest
from playwright.sync_api import expect

from zhenwu.accounts.models import Role, User
from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Channel, Concern
from zhenwu.org.models import Department

pytestmark = pytest.mark.browser


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def referred(cast, second_town):
    from conftest import PASSWORD

    road = Category.objects.create(code="road", name="道路交通", default_department=cast.urban,
                                   response_limit_days=1, resolution_limit_days=5)
    housing = Department.objects.create(name="县住建局", town=cast.county)
    county_dispatcher = User.objects.create_user(username="dispatch_ly", password=PASSWORD, role=Role.DISPATCHER,
                                                 area=cast.county, full_name="浏阳市民情受理员")
    concern = services.submit_concern(text="县道桥梁栏杆撞断了两段，学生每天经过，很危险。", title="县道桥梁栏杆损坏",
                                      category=road, area=cast.jiulong_grid, channel=Channel.WEB).concern
    services.escalate_concern_to_county(concern, by=cast.users.dispatcher, reason="县道桥梁属县级养护范围")
    services.submit_concern(text="新安村垃圾无人清运。", title="新安村垃圾无人清运", category=road,
                            area=second_town.grid, channel=Channel.WEB)
    return concern, housing, county_dispatcher


def test_the_county_dispatcher_dispatches_a_handed_up_concern_on_a_phone(phone_page, browser_login, cast, referred):
    concern, housing, county_dispatcher = referred
    page = phone_page
    browser_login(page, county_dispatcher)
    page.goto("/concerns/inbox/")
    expect(page.get_by_test_id("county-held")).to_contain_text("县道桥梁栏杆损坏")
    expect(page.get_by_test_id("towns-waiting")).to_contain_text("新安村垃圾无人清运")
    assert _fits(page)

    page.get_by_test_id("county-held").get_by_role("link", name="县道桥梁栏杆损坏").click()
    expect(page.get_by_text("县道桥梁属县级养护范围")).to_be_visible()
    page.locator("#action-dispatch summary").click()
    options = page.locator("#id_dispatch_department option").all_inner_texts()
    assert "县住建局" in options and "城建办" not in options
    page.locator("#id_dispatch_department").select_option(label="县住建局")
    page.locator("#action-dispatch").get_by_role("button", name="派单").click()
    expect(page.get_by_text("已派单至县住建局")).to_be_visible()
    assert Concern.objects.get(pk=concern.pk).department == housing
    assert _fits(page)

    page.goto("/reports/county/")
    expect(page.get_by_test_id("county-towns")).to_contain_text("龙伏镇")
    expect(page.get_by_test_id("county-departments")).to_contain_text("县住建局")
    assert _fits(page)


def test_a_town_dispatcher_is_not_offered_the_dispatch_of_a_county_held_concern(phone_page, browser_login, cast,
                                                                              referred):
    concern, _, _ = referred
    page = phone_page
    browser_login(page, cast.users.dispatcher)
    page.goto(f"/concerns/{concern.pk}/")
    expect(page.get_by_test_id("county-held-note")).to_be_visible()
    expect(page.locator("#action-dispatch")).to_have_count(0)
    expect(page.locator("#action-refer_up")).to_have_count(0)
    assert _fits(page)
