"""Photos on phones: the handler resolves a concern with a 办理前 and a 办理后 photo, publishes the
办理后 one from the concern page, and a resident's phone then sees it on the public board under
办理前后对比, while the unpublished 办理前 photo stays off the board (its URL answers 404)."""

import io
import re

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Channel, PhotoKind

pytestmark = pytest.mark.browser


def _fits(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _png(colour):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def dispatched(cast):
    road = Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=5
    )
    concern = services.submit_concern(
        text="集镇村老街路面坑洼，下雨积水，请尽快修补。",
        title="集镇村老街路面坑洼",
        category=road,
        area=cast.jiulong_grid,
        channel=Channel.WEB,
        reporter_phone="13800138000",
        received_at=timezone.now(),
    ).concern
    concern = services.accept_concern(concern, by=cast.users.dispatcher)
    return services.dispatch_concern(concern, by=cast.users.dispatcher)


def test_a_handler_resolves_with_photos_and_publishes_one_to_the_board(
    phone_page, browser, live_server, browser_login, cast, dispatched
):
    concern = dispatched
    page = phone_page
    browser_login(page, cast.users.handler)
    page.goto(f"/concerns/{concern.pk}/")
    page.locator("details.action > summary", has_text=re.compile(r"^办结$")).click()
    panel = page.locator("details.action[open]")
    panel.get_by_label("办理结果").select_option("fixed")
    panel.get_by_label("办结答复").fill("已安排施工队修补老街路面，积水问题已解决。")
    panel.get_by_label("办理前照片（选填）").set_input_files(
        {"name": "前.png", "mimeType": "image/png", "buffer": _png("gray")}
    )
    panel.get_by_label("办理后照片（选填）").set_input_files(
        {"name": "后.png", "mimeType": "image/png", "buffer": _png("green")}
    )
    with page.expect_response(lambda r: r.request.method == "POST"):
        panel.get_by_role("button", name="办结", exact=True).click()
    expect(page.get_by_text("已办结，等待回访")).to_be_visible()

    before = concern.photos.get(kind=PhotoKind.BEFORE)
    after = concern.photos.get(kind=PhotoKind.AFTER)
    expect(page.get_by_test_id("staff-photos-before")).to_contain_text("未公开")
    expect(page.get_by_test_id("staff-photos-after")).to_contain_text("未公开")
    assert _fits(page), "the concern page scrolls sideways on a phone"

    with page.expect_response(lambda r: r.request.method == "POST"):
        page.get_by_test_id(f"publish-photo-{after.pk}").click()
    expect(page.get_by_text("照片已在公示栏公开")).to_be_visible()
    expect(page.get_by_test_id("staff-photos-after")).to_contain_text("已公开")
    expect(page.get_by_test_id(f"publish-photo-{after.pk}")).to_have_text("撤下")
    after.refresh_from_db()
    assert after.is_public

    from tests.browser.conftest import PHONE, _context

    resident = _context(browser, live_server, **PHONE).new_page()
    resident.goto(f"/concerns/board/{concern.reference}/")
    comparison = resident.get_by_test_id("resolution-photos")
    expect(comparison).to_contain_text("办理前后对比")
    expect(comparison.get_by_test_id("photos-after").locator("img")).to_have_count(1)
    expect(comparison.get_by_test_id("photos-before")).to_have_count(0)
    image = comparison.locator("img").first
    image.scroll_into_view_if_needed()
    resident.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert _fits(resident), "the board page scrolls sideways on a phone"
    response = resident.request.get(f"/concerns/board/{concern.reference}/photos/{before.pk}/")
    assert response.status == 404
    resident.context.close()
