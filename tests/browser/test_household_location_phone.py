"""A grid worker on a phone places a household with no tile layer configured: the 标注位置 map
draws the town's outlines, a tap drops the pin where tapped, 保存位置 stores that point (WGS-84)
and the page then shows it on the small map; no request leaves the server's origin."""

import pytest
from playwright.sync_api import expect

from zhenwu.org.boundaries import save_boundaries

from .test_maps_phone import SPOT, _same_origin_only, _spot_on_screen, square

pytestmark = pytest.mark.browser


def test_a_grid_worker_pins_a_household_and_sees_it_on_its_page(phone_page, live_server, cast, browser_login):
    save_boundaries([(cast.jiulong, square(SPOT[0], SPOT[1], 0.01)),
                     (cast.jiulong_grid, square(SPOT[0] + 0.003, SPOT[1] + 0.003, 0.005))],
                    source="测试", illustrative=True)
    household = cast.households.jiulong
    page = phone_page
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    browser_login(page, cast.users.grid_worker)

    page.goto(f"/grid/households/{household.pk}/")
    expect(page.get_by_test_id("household-point")).to_have_text("尚未标注位置")
    pin_map = page.get_by_test_id("household-pin-map")
    expect(pin_map.locator(".map-label-village", has_text="九龙村")).to_be_visible()
    pin_map.scroll_into_view_if_needed()
    at = _spot_on_screen(page, *SPOT)
    page.mouse.click(at["x"], at["y"])
    expect(page.locator("#household-location-status")).to_contain_text("已在地图上标出位置")
    expect(page.get_by_label("坐标来源")).to_have_value("wgs84")
    pinned = (float(page.get_by_label("纬度").input_value()), float(page.get_by_label("经度").input_value()))
    assert _spot_on_screen(page, *pinned) == pytest.approx(at, abs=1.5)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path="/tmp/zhenwu-phone-household-pin.png", full_page=True)
    page.get_by_role("button", name="保存位置").click()

    expect(page.get_by_text("已保存本户位置")).to_be_visible()
    household.refresh_from_db()
    assert (float(household.latitude), float(household.longitude)) == pinned
    expect(page.get_by_test_id("household-map").locator(".leaflet-marker-icon")).to_be_visible()
    expect(page.get_by_test_id("household-point")).to_contain_text(f"纬度 {household.latitude}")
    assert _same_origin_only(requests, live_server.url) == []


def test_a_grid_worker_places_a_household_where_the_phone_stands(phone_page, phone_context, live_server, cast,
                                                                 browser_login):
    """使用当前位置 on the staff's place editor (locate.js, shared with the resident's report): the
    phone's WGS-84 fix fills the form, the status asks to check it, 保存位置 stores it."""
    household = cast.households.jiulong
    phone_context.grant_permissions(["geolocation"])
    phone_context.set_geolocation({"latitude": 28.152301, "longitude": 113.631702})
    page = phone_page
    browser_login(page, cast.users.grid_worker)

    page.goto(f"/grid/households/{household.pk}/")
    page.get_by_role("button", name="使用当前位置").click()

    expect(page.locator("#household-location-status")).to_contain_text("已取得当前位置（精度约")
    expect(page.locator("#household-location-status")).to_contain_text("请核对后保存")
    expect(page.get_by_label("纬度")).to_have_value("28.152301")
    expect(page.get_by_label("坐标来源")).to_have_value("wgs84")
    page.get_by_role("button", name="保存位置").click()
    expect(page.get_by_text("已保存本户位置")).to_be_visible()
    household.refresh_from_db()
    assert (str(household.latitude), str(household.longitude)) == ("28.152301", "113.631702")
