"""Every resident page, in 标准版 and in 长辈版, on a 390×844 phone, checked by axe-core (WCAG 2.0
and 2.1, levels A and AA): no violation. 长辈版 is also held to what it promises
(docs/accessibility.md): WCAG AAA contrast (axe's color-contrast-enhanced), no text under 18px,
touch targets at least 48px.

axe-core comes bundled in the axe-playwright-python package (a dev dependency): nothing is fetched
at test time. A new resident page belongs in `_walk` below.
"""

import io
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from playwright.sync_api import expect

from zhenwu.concerns import services
from zhenwu.concerns.forms_public import clean_photo
from zhenwu.concerns.models import Category, Channel, Outcome, PhotoKind
from zhenwu.concerns.photos import set_photo_public
from zhenwu.lib.reading_mode import COOKIE_NAME, ELDER
from zhenwu.lib.sms import MemoryBackend

pytestmark = pytest.mark.browser

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
AAA_CONTRAST = {"runOnly": {"type": "rule", "values": ["color-contrast-enhanced"]}}
SCREENSHOTS = "/tmp/zhenwu-a11y-{mode}-{name}.png"
MIN_TEXT_PX = 18
MIN_TARGET_PX = 48


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def axe():
    axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")
    return axe_playwright.Axe()


@pytest.fixture
def town_at_work(cast, settings, tmp_path):
    """An open concern on the board, and a resolved one joined to a project, with a photo, whose
    reporter's follow page asks for the call-back (and whose phone finds it in 我的反映)."""
    settings.ZHENWU_SMS_BACKEND = "memory"
    # Both versions ask for a code for the same phone within the minute (the counters outlive a test).
    settings.ZHENWU_MINE_RATES = {"phone_burst": "100/m", "phone": "100/h", "address": "100/h"}
    MemoryBackend.outbox.clear()
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path
    users = cast.users
    sanitation = Category.objects.create(
        code="sanitation",
        name="环境卫生",
        default_department=cast.urban,
        response_limit_days=1,
        resolution_limit_days=5,
    )
    roads = Category.objects.create(
        code="roads", name="道路交通", default_department=cast.urban, may_become_project=True
    )
    sewage = services.submit_concern(
        text="九龙村学校门口下水道堵塞，污水横流，学生上学要绕道走。",
        category=sanitation,
        area=cast.jiulong_grid,
        channel=Channel.WEB,
    ).concern
    services.accept_concern(sewage, by=users.dispatcher)
    services.dispatch_concern(sewage, by=users.dispatcher)
    services.post_update(sewage, by=users.handler, text="已派人现场查看。", public=True)

    photo = clean_photo(SimpleUploadedFile("road.png", _png(), content_type="image/png"))
    road = services.submit_concern(
        text="集镇村岸山路路面坑洼，下雨天积水，老人走路容易摔倒。",
        category=roads,
        area=cast.jizhen,
        channel=Channel.WEB,
        reporter_phone="13800138000",
        photos=[photo],
    )
    services.accept_concern(road.concern, by=users.dispatcher)
    services.dispatch_concern(road.concern, by=users.dispatcher)
    services.start_or_join_project(road.concern, by=users.handler, name="岸山路提质改造")
    road.concern.refresh_from_db()
    after = clean_photo(SimpleUploadedFile("after.png", _png(), content_type="image/png"))
    services.resolve_concern(
        road.concern, by=users.handler, outcome=Outcome.FIXED, text="路面已修补。", photos=[(PhotoKind.AFTER, after)]
    )
    for published in road.concern.photos.all():  # the board shows photos staff published
        set_photo_public(published, public=True, by=users.dispatcher)
    return {"sewage": sewage, "road": road.concern, "road_token": road.follow_token}


def _walk(page, world):
    """Visit every resident page; yield (name, page is ready) at each."""
    sewage, road, token = world["sewage"], world["road"], world["road_token"]

    page.goto("/concerns/report/")
    yield "report"
    page.locator("#id_area").select_option(label="九龙村（不清楚网格）")
    page.locator("#id_text").fill("学校门口的下水道堵了，污水流到路上")
    expect(page.get_by_test_id("similar-concerns")).to_contain_text(sewage.reference)
    yield "report-similar"
    page.locator("#id_text").fill("")
    page.locator("#id_area").select_option(index=0)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("alert")).to_contain_text("提交没有成功")
    yield "report-errors"

    page.goto("/concerns/board/")
    expect(page.get_by_test_id("board-list")).to_contain_text(sewage.reference)
    yield "board"
    page.goto(f"/concerns/board/{road.reference}/")
    expect(page.get_by_test_id("project")).to_be_visible()
    yield "board-detail"
    page.goto(f"/concerns/board/{sewage.reference}/follow/")
    yield "board-follow"
    page.get_by_role("button", name="跟进这一条").click()
    expect(page.get_by_test_id("follow-link")).to_be_visible()
    yield "followed"
    page.get_by_test_id("follow-link").click()
    expect(page.get_by_test_id("reference")).to_have_text(sewage.reference)
    yield "follow-open"
    page.goto(f"/concerns/follow/{road.reference}/{token}/")
    expect(page.locator("#callback")).to_be_visible()
    yield "follow-callback"
    page.goto("/concerns/board/rates/")
    yield "rates"
    page.goto(f"/concerns/follow/{road.reference}/not-the-token/")
    yield "follow-not-found"
    page.goto("/concerns/board/GQ-0000-000000/")
    yield "board-not-found"

    # 我的反映: the phone form (and its error), the code form (and its error), the list.
    page.goto("/concerns/mine/")
    yield "mine"
    page.get_by_label("手机号码").fill("1380013")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.locator("main")).to_contain_text("请输入11位手机号码")
    yield "mine-phone-error"
    MemoryBackend.outbox.clear()
    page.get_by_label("手机号码").fill("13800138000")
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("heading", name="输入验证码")).to_be_visible()
    yield "mine-code"
    code = re.search(r"验证码为(\d{6})", MemoryBackend.outbox[-1][1]).group(1)
    page.get_by_label("短信验证码").fill("000000" if code != "000000" else "111111")
    page.get_by_role("button", name="查看我的反映").click()
    expect(page.locator("main")).to_contain_text("验证码不正确")
    yield "mine-code-error"
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="查看我的反映").click()
    expect(page.get_by_test_id("mine-list")).to_contain_text(road.reference)
    yield "mine-list"


def _violations(axe, page, options):
    found = axe.run(page, options=options).response["violations"]
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [{"target": n["target"], "html": n["html"][:160]} for n in v["nodes"][:5]],
        }
        for v in found
    ]


SMALL_TEXT_JS = """min => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || el.closest('.skip-link, option, .visually-hidden')) continue;
    const box = el.getBoundingClientRect(), style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (parseFloat(style.fontSize) < min) out.push(`${el.tagName}.${el.className} "${node.textContent.trim().slice(0, 16)}" ${style.fontSize}`);
  }
  return out;
}"""

SMALL_TARGETS_JS = """min => {
  const out = [];
  const selector = 'button, a.button, .mode-switch a, input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, summary, .choice-list label, .pager a';
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    if (box.height < min - 0.5 || box.width < min - 0.5) out.push(`${el.tagName}.${el.className} "${(el.textContent || el.name || '').trim().slice(0, 16)}" ${Math.round(box.width)}×${Math.round(box.height)}`);
  }
  return out;
}"""


@pytest.mark.parametrize("mode", ["standard", "elder"])
def test_every_resident_page_passes_axe_in_both_versions(phone_page, town_at_work, axe, mode):
    page = phone_page
    if mode == "elder":
        page.goto("/concerns/board/")
        page.get_by_test_id("mode-switch").get_by_role("link", name="长辈版").click()
        expect(page.locator("html")).to_have_class("elder")
        assert page.url.endswith("/concerns/board/")
        cookies = {c["name"]: c["value"] for c in page.context.cookies()}
        assert cookies.get(COOKIE_NAME) == ELDER

    problems = {}
    for name in _walk(page, town_at_work):
        page.wait_for_load_state("load")
        switch = page.get_by_test_id("mode-switch")
        expect(switch.get_by_role("link", name="长辈版")).to_be_visible()
        expect(switch.get_by_role("link", name="标准版")).to_be_visible()
        if mode == "elder":
            expect(page.locator("html")).to_have_class("elder")
        else:
            expect(page.locator("html")).not_to_have_class("elder")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        if name in ("report", "board", "follow-callback"):
            page.screenshot(path=SCREENSHOTS.format(mode=mode, name=name), full_page=True)
        # What is folded away is checked too (the 长辈版 form folds its optional fields).
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        found = {"wcag21aa": _violations(axe, page, WCAG_AA)}
        if mode == "elder":
            found["aaa-contrast"] = _violations(axe, page, AAA_CONTRAST)
            found["small-text"] = page.evaluate(SMALL_TEXT_JS, MIN_TEXT_PX)
            found["small-targets"] = page.evaluate(SMALL_TARGETS_JS, MIN_TARGET_PX)
        found = {key: value for key, value in found.items() if value}
        if found:
            problems[name] = found
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)
