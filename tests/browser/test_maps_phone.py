"""Maps on a phone with no tile layer configured (an intranet's first day): a resident pins the
spot on the report form's map (the town's outlines on a plain background), is told which village
and grid it is in, and submits; once accepted, the public board's map shows the concern on that
spot. No request leaves the server's origin, and the CSP refuses nothing."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Concern
from zhenwu.org.boundaries import save_boundaries

pytestmark = pytest.mark.browser

SCREENSHOTS = "/tmp/zhenwu-phone-map-{}.png"
SPOT = (28.152301, 113.631702)  # 九龙村学校 (WGS-84)


def square(lat, lng, half):
    ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half], [lng - half, lat + half],
            [lng - half, lat - half]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def outlines(cast):
    """九龙村 around SPOT with its first grid inside, 集镇村 to the east (illustrative, as in the demo)."""
    save_boundaries(
        [
            (cast.jiulong, square(SPOT[0], SPOT[1], 0.01)),
            (cast.jiulong_grid, square(SPOT[0] + 0.003, SPOT[1] + 0.003, 0.005)),
            (cast.jizhen, square(SPOT[0], SPOT[1] + 0.021, 0.01)),
        ],
        source="测试",
        illustrative=True,
    )


def _same_origin_only(requests, origin):
    return [url for url in requests
            if not url.startswith(("data:", "blob:")) and f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" != origin]


def _spot_on_screen(page, lat, lng):
    """Where Leaflet draws (lat, lng) on the page's first map, in page pixels."""
    return page.evaluate(
        """([lat, lng]) => {
            const {container, map} = window.ZhenwuMap.maps[0];
            const at = map.latLngToContainerPoint([lat, lng]);
            const box = container.getBoundingClientRect();
            return {x: box.x + at.x, y: box.y + at.y};
        }""",
        [lat, lng],
    )


def test_a_resident_pins_the_spot_is_told_the_village_and_the_board_map_shows_it_there(
    phone_page, live_server, cast, outlines, settings
):
    assert getattr(settings, "ZHENWU_MAP_TILES", None) is None
    Category.objects.create(code="sanitation", name="环境卫生", default_department=cast.urban)
    page = phone_page
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)

    page.goto("/concerns/report/")
    page.get_by_label("反映的问题").fill("学校门口下水道堵塞，污水横流，学生上学要绕道走。")
    page.get_by_label("问题类别").select_option(label="环境卫生")
    pin_map = page.get_by_test_id("pin-map")
    expect(pin_map.locator(".map-label-village", has_text="九龙村")).to_be_visible()
    expect(pin_map.locator(".map-note")).to_have_text("边界为示意，仅供参考")
    pin_map.scroll_into_view_if_needed()
    at = _spot_on_screen(page, *SPOT)
    page.mouse.click(at["x"], at["y"])
    pinned = (float(page.locator("input[name=latitude]").input_value()),
              float(page.locator("input[name=longitude]").input_value()))
    # The pin is where the resident tapped (to the pixel, at whatever zoom the outlines gave), and
    # the form did not move under the finger.
    assert _spot_on_screen(page, *pinned) == pytest.approx(at, abs=1.5)

    suggestion = page.locator("#pin-suggest")
    expect(suggestion).to_have_text("已按位置选择：九龙村 · 九龙村第一网格，如不对请修改。")
    expect(page.get_by_label("所在村（社区）或网格")).to_have_value(str(cast.jiulong_grid.pk))
    expect(page.locator("#location-status")).to_contain_text("已在地图上标出位置")
    # The place changed: the similar-concern panel asked again (the area-changed event).
    page.wait_for_function("() => performance.getEntriesByType('resource')"
                           ".some(e => e.name.includes('/concerns/report/similar/'))")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=SCREENSHOTS.format("pin"), full_page=True)
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    concern = Concern.objects.get()
    assert concern.area_id == cast.jiulong_grid.pk and concern.coord_system == "wgs84"
    assert (float(concern.latitude), float(concern.longitude)) == pinned
    services.accept_concern(concern, by=cast.users.dispatcher)

    page.goto("/concerns/board/")
    page.get_by_test_id("view-map").click()
    board_map = page.get_by_test_id("board-map")
    expect(board_map).to_have_attribute("data-loaded", "1")
    expect(page.locator("#map-summary")).to_contain_text("地图上显示1条")
    point = board_map.locator("path.map-point-processing")
    expect(point).to_have_count(1)
    box = point.bounding_box()
    spot = _spot_on_screen(page, float(concern.latitude), float(concern.longitude))
    assert abs(box["x"] + box["width"] / 2 - spot["x"]) < 2 and abs(box["y"] + box["height"] / 2 - spot["y"]) < 2
    point.click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(concern.reference)
    expect(popup.get_by_role("link")).to_have_attribute("href", f"/concerns/board/{concern.reference}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=SCREENSHOTS.format("board"), full_page=True)

    assert _same_origin_only(requests, live_server.url) == []
    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []


def test_on_gcj02_tiles_a_pin_is_sent_as_gcj02_and_stored_in_wgs84(phone_page, live_server, cast, settings):
    """A Gaode-like intranet tile server (GCJ-02): the pin's coordinates go as they are, with
    coord_system=gcj02, and the intake stores WGS-84; the page's shift for display is the
    server's (zhenwu.lib.coords) to a millimetre."""
    import base64

    from zhenwu.lib.coords import gcj02_to_wgs84, wgs84_to_gcj02
    from zhenwu.lib.maps import tile_layer_from_env

    settings.ZHENWU_MAP_TILES = tile_layer_from_env(
        {"ZHENWU_MAP_TILE_URL": "/map-tiles/{z}/{x}/{y}.png", "ZHENWU_MAP_TILE_CRS": "gcj02"})
    Category.objects.create(code="sanitation", name="环境卫生", default_department=cast.urban)
    page = phone_page
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    blank = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
    page.route("**/map-tiles/**", lambda route: route.fulfill(status=200, content_type="image/png", body=blank))

    page.goto("/concerns/report/")
    page.get_by_label("反映的问题").fill("学校门口下水道堵塞，污水横流，学生上学要绕道走。")
    page.get_by_label("问题类别").select_option(label="环境卫生")
    page.get_by_label("所在村（社区）或网格").select_option(label="九龙村第一网格")
    pin_map = page.get_by_test_id("pin-map")
    expect(pin_map.locator("img.leaflet-tile").first).to_be_attached()
    page.evaluate("() => window.ZhenwuMap.maps[0].map.setView([28.1500, 113.6360], 16, {animate: false})")
    pin_map.scroll_into_view_if_needed()
    box = pin_map.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#location-status")).to_contain_text("已在地图上标出位置")
    assert page.locator("input[name=coord_system]").input_value() == "gcj02"
    sent = (float(page.locator("input[name=latitude]").input_value()),
            float(page.locator("input[name=longitude]").input_value()))
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    concern = Concern.objects.get()
    assert concern.coord_system == "gcj02"
    stored = (float(concern.latitude), float(concern.longitude))
    expected = gcj02_to_wgs84(*sent)
    assert abs(stored[0] - expected[0]) < 2e-6 and abs(stored[1] - expected[1]) < 2e-6
    assert 100 < abs(stored[1] - sent[1]) * 98_000 < 1000  # the shift is hundreds of metres here
    page.goto("/concerns/report/")  # a page with map.js
    shown = page.evaluate("([lat, lng]) => window.ZhenwuMap.wgs84ToGcj02(lat, lng)", list(stored))
    reference = wgs84_to_gcj02(*stored)
    assert abs(shown[0] - reference[0]) < 1e-8 and abs(shown[1] - reference[1]) < 1e-8
    assert _same_origin_only(requests, live_server.url) == []
