"""数据看板 on a 360px phone: every chart is drawn (SVG) from the page's own data with the vendored
ECharts, in the phone layout (legend at the bottom), the page does not scroll sideways, the
figures are in a table under each chart, and no request leaves the app."""

import pytest
from playwright.sync_api import expect

from zhenwu.reports.tests.report_data import build_activities, build_concerns

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-dashboard.png"


def test_the_dashboard_draws_its_charts_on_a_small_phone_without_leaving_the_app(
    phone_page, live_server, cast, browser_login
):
    build_concerns(cast)
    build_activities(cast)
    page = phone_page
    page.set_viewport_size({"width": 360, "height": 740})
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    browser_login(page, cast.users.leader)
    page.goto(f"/reports/?start=2026-01-01&end=2026-12-31&area={cast.town.pk}")
    expect(page.get_by_role("heading", name="数据看板")).to_be_visible()

    charts = page.locator("[data-chart]")
    count = charts.count()
    # Concerns and activities, by village and by month; visits and study have no records here, so
    # their charts are replaced by a note.
    assert count == 4
    expect(page.get_by_test_id("panel-visits")).to_contain_text("期间内没有记录")
    for i in range(count):
        chart = charts.nth(i)
        expect(chart).to_have_attribute("data-rendered", "true")
        expect(chart.locator("svg").first).to_be_attached()
        assert chart.bounding_box()["width"] <= 360
    # The figures are drawn, not just an empty frame: bars of the village chart are paths.
    assert charts.first.locator("svg path").count() > 10
    layout = page.evaluate("""() => {
        const el = document.querySelector('[data-chart="concerns_by_unit"]');
        const option = echarts.getInstanceByDom(el).getOption();
        return {bottom: option.legend[0].bottom, font: option.xAxis[0].axisLabel.fontSize};
    }""")
    assert layout == {"bottom": 0, "font": 10}
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The table under the village chart holds the same figures.
    table = page.get_by_test_id("table-concerns_by_unit")
    page.locator("#panel-concerns details.chart-table summary").first.click()
    expect(table).to_be_visible()
    expect(table.locator("tbody tr").first).to_contain_text("九龙村")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Wider (a tablet turned sideways): the charts follow their box and leave the phone layout.
    page.set_viewport_size({"width": 900, "height": 700})
    page.wait_for_function("""() => {
        const el = document.querySelector('[data-chart="concerns_by_unit"]');
        return echarts.getInstanceByDom(el).getOption().legend[0].top === 0;
    }""")

    assert requested, "the page made no request at all"
    outside = [url for url in requested if not url.startswith(live_server.url)]
    assert outside == [], outside
    assert any(url.endswith("/static/vendor/echarts-6.1.0.min.js") for url in requested)
