"""A resident on a phone (WeChat's browser): reports a concern with a photo and the phone's
location, keeps the private link, follows the concern while the town works on it (driven here
through the services, as the staff pages would), and answers the call-back: 满意 closes it,
不满意 reopens it."""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from zhenwu.concerns import services
from zhenwu.concerns.models import (
    Category,
    Channel,
    Concern,
    ConcernEvent,
    ConcernFollower,
    ConcernPhoto,
    EventKind,
    Outcome,
    Status,
)

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-concern-follow.png"


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _png():
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 120, 60)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def sanitation(cast):
    return Category.objects.create(
        code="sanitation",
        name="环境卫生",
        default_department=cast.urban,
        response_limit_days=1,
        resolution_limit_days=5,
    )


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path


def _work_until_resolved(cast, concern):
    users = cast.users
    services.accept_concern(concern, by=users.dispatcher)
    services.dispatch_concern(concern, by=users.dispatcher)
    services.post_update(concern, by=users.handler, text="已派人现场查看，正在清理下水道。", public=True)
    return services.resolve_concern(
        concern, by=users.handler, outcome=Outcome.FIXED, text="下水道已疏通，路面已冲洗干净。"
    )


def test_a_resident_reports_follows_and_closes_a_concern_from_a_phone(
    phone_page, phone_context, cast, sanitation, storage
):
    page = phone_page
    phone_context.grant_permissions(["geolocation"])
    phone_context.set_geolocation({"latitude": 28.152301, "longitude": 113.631702})

    page.goto("/concerns/report/")
    expect(page.get_by_role("heading", name="我要反映问题")).to_be_visible()
    assert _no_horizontal_overflow(page)
    page.get_by_label("反映的问题").fill("九龙村学校门口下水道堵塞，污水横流，学生上学要绕道走。")
    page.get_by_label("问题类别").select_option(label="环境卫生")
    page.get_by_label("所在村（社区）或网格").select_option(label="九龙村第一网格")
    page.get_by_role("button", name="使用当前位置").click()
    expect(page.locator("#location-status")).to_contain_text("已附上当前位置")
    page.get_by_label("照片（选填").set_input_files(
        [{"name": "sewage.png", "mimeType": "image/png", "buffer": _png()}]
    )
    expect(page.locator("#photo-hint")).to_have_text("已选择1张照片")
    page.get_by_label("您的称呼（选填）").fill("黎明")
    page.get_by_label("联系电话（选填）").fill("13800138000")
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    concern = Concern.objects.get()
    expect(page.get_by_test_id("reference")).to_have_text(concern.reference)
    link = page.locator("#follow-url").input_value()
    assert re.fullmatch(
        rf"{re.escape(page.url.split('/concerns/')[0])}/concerns/follow/{concern.reference}/[\w-]+/", link
    )
    expect(page.get_by_text("请保存好这个链接")).to_be_visible()
    expect(page.get_by_role("button", name="复制链接")).to_be_visible()
    assert _no_horizontal_overflow(page)
    assert concern.channel == Channel.WEB and concern.reporter_phone == "13800138000"
    assert float(concern.latitude) == pytest.approx(28.152301) and ConcernPhoto.objects.count() == 1

    page.get_by_test_id("follow-link").click()
    expect(page.get_by_test_id("status")).to_have_text("待受理")
    expect(page.get_by_test_id("reference")).to_have_text(concern.reference)
    expect(page.get_by_test_id("timeline")).to_contain_text("诉求已登记")
    photo = page.get_by_test_id("photos").locator("img").first
    expect(photo).to_be_visible()
    photo.scroll_into_view_if_needed()  # the photo is lazy-loaded; wait for it, then check it decoded
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    assert _no_horizontal_overflow(page)

    # The town accepts and dispatches it; meanwhile a neighbour starts reporting the same thing and
    # is offered this concern to follow instead.
    users = cast.users
    services.accept_concern(concern, by=users.dispatcher)
    services.dispatch_concern(concern, by=users.dispatcher)
    neighbour = page.context.new_page()
    neighbour.goto("/concerns/report/")
    neighbour.get_by_label("所在村（社区）或网格").select_option(label="九龙村（不清楚网格）")
    neighbour.get_by_label("反映的问题").fill("学校门口的下水道堵了，污水流到路上")
    similar = neighbour.get_by_test_id("similar-concerns")
    expect(similar).to_contain_text(concern.reference)
    expect(similar.get_by_role("button", name="跟进这一条")).to_be_visible()
    neighbour.close()

    services.post_update(concern, by=users.handler, text="已派人现场查看，正在清理下水道。", public=True)
    services.resolve_concern(
        concern, by=users.handler, outcome=Outcome.FIXED, text="下水道已疏通，路面已冲洗干净。"
    )

    page.reload()
    expect(page.get_by_test_id("status")).to_have_text("已办结")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("已转交城建办办理")
    expect(timeline).to_contain_text("已派人现场查看，正在清理下水道。")
    expect(timeline).to_contain_text("下水道已疏通，路面已冲洗干净。")
    expect(page.locator("main")).not_to_contain_text("handler1")
    page.get_by_label("已解决", exact=True).check()
    page.get_by_label("满意", exact=True).check()
    page.get_by_label("意见或建议").fill("处理得很及时，谢谢！")
    page.get_by_role("button", name="提交评价").click()

    expect(page.locator(".messages")).to_contain_text("感谢您的评价，诉求已办结关闭")
    expect(page.get_by_test_id("status")).to_have_text("已关闭")
    expect(page.get_by_role("heading", name="请您评价办理结果")).to_have_count(0)
    assert _no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)
    concern.refresh_from_db()
    assert (
        concern.status == Status.CLOSED and concern.callback_result == "satisfied" and concern.callback_solved
    )


def test_an_unsatisfied_resident_reopens_the_concern_from_the_follow_page(
    phone_page, cast, sanitation, storage
):
    result = services.submit_concern(
        text="九龙村二组路边垃圾堆了一个星期没人清运。",
        category=sanitation,
        area=cast.jiulong_grid2,
        channel=Channel.WEB,
    )
    concern = _work_until_resolved(cast, result.concern)
    page = phone_page
    page.goto(f"/concerns/follow/{concern.reference}/{result.follow_token}/")
    expect(page.get_by_test_id("status")).to_have_text("已办结")
    page.get_by_label("未解决", exact=True).check()
    page.get_by_label("不满意", exact=True).check()
    page.get_by_label("意见或建议").fill("只清了一半，还有很多垃圾")
    page.get_by_role("button", name="提交评价").click()

    expect(page.locator(".messages")).to_contain_text("诉求将重新办理")
    expect(page.get_by_test_id("status")).to_have_text("办理中")
    expect(page.get_by_test_id("timeline")).to_contain_text("回访结果：不满意（未解决）")
    expect(page.get_by_test_id("timeline")).to_contain_text("回访不满意，重新办理")
    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1


def test_a_resident_who_makes_a_mistake_keeps_what_they_typed(phone_page, cast, sanitation, storage):
    page = phone_page
    page.goto("/concerns/report/")
    page.get_by_label("反映的问题").fill("集镇村老街路灯不亮，晚上很黑。")
    page.get_by_label("联系电话（选填）").fill("12345")
    page.get_by_label("照片（选填").set_input_files(
        [{"name": "lamp.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("alert")).to_contain_text("提交没有成功")
    expect(page.get_by_role("alert")).to_contain_text("照片需要重新选择")
    expect(page.locator("main")).to_contain_text("请选择问题类别")
    expect(page.locator("main")).to_contain_text("联系电话格式不正确")
    expect(page.get_by_label("反映的问题")).to_have_value("集镇村老街路灯不亮，晚上很黑。")
    expect(page.get_by_label("联系电话（选填）")).to_have_value("12345")
    assert Concern.objects.count() == 0

    page.get_by_label("问题类别").select_option(label="环境卫生")
    page.get_by_label("所在村（社区）或网格").select_option(label="集镇村第一网格")
    page.get_by_label("联系电话（选填）").fill("")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    assert Concern.objects.count() == 1


def test_a_forged_follow_link_shows_a_chinese_page_on_the_phone(phone_page, cast):
    page = phone_page
    response = page.goto("/concerns/follow/GQ-2026-000001/not-a-real-token/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="查询链接无效")).to_be_visible()
    assert _no_horizontal_overflow(page)


def test_in_a_county_a_resident_picks_the_town_then_one_of_its_places(
    phone_page, second_town, sanitation, storage
):
    """A deployment serving several towns asks for the town first; choosing it loads that town's
    villages and grids only, and choosing a place still asks for similar concerns (without an
    error from htmx: its trigger filters need eval, which the CSP forbids)."""
    page = phone_page
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/concerns/report/")
    place = page.get_by_label("所在村（社区）或网格")
    expect(place.locator("option")).to_have_count(1)
    page.get_by_label("所在乡镇").select_option(label="龙伏镇")
    expect(place.locator("option", has_text="新安村第一网格")).to_have_count(1)
    expect(place.locator("option", has_text="九龙村")).to_have_count(0)
    with page.expect_request("**/concerns/report/similar/"):  # nothing else typed yet: the place asked
        page.get_by_label("所在村（社区）或网格").select_option(label="新安村第一网格")
    page.get_by_label("反映的问题").fill("新安村村口的垃圾站三天没有清运，气味很大。")
    page.get_by_label("问题类别").select_option(label="环境卫生")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    concern = Concern.objects.get()
    assert concern.town_id == second_town.town.pk and concern.area.name == "新安村第一网格"
    assert _no_horizontal_overflow(page)
    assert errors == []


def test_a_resident_who_looks_at_a_similar_concern_comes_back_to_what_they_typed(phone_page, cast, sanitation):
    result = services.submit_concern(text="九龙村学校门口下水道堵塞，污水横流。", category=sanitation,
                                     area=cast.jiulong_grid, channel=Channel.WEB)
    services.accept_concern(result.concern, by=cast.users.dispatcher)
    services.dispatch_concern(result.concern, by=cast.users.dispatcher)
    page = phone_page
    page.goto("/concerns/report/")
    page.get_by_label("所在村（社区）或网格").select_option(label="九龙村（不清楚网格）")
    typed = "学校门口的下水道堵了，污水流到路上，已经三天了"
    page.get_by_label("反映的问题").fill(typed)
    page.get_by_label("联系电话（选填）").fill("13912345678")
    page.get_by_test_id("similar-concerns").get_by_role("button", name="跟进这一条").click()
    expect(page.get_by_role("heading", name="跟进这一条")).to_be_visible()
    # what they typed goes with them to the follow page
    expect(page.get_by_label("补充说明（选填）")).to_have_value(typed)
    expect(page.get_by_label("接收短信提醒的手机号（选填）")).to_have_value("13912345678")
    page.get_by_role("link", name="不是同一件事？返回继续反映（已填写的内容仍保留）").click()
    expect(page.get_by_label("反映的问题")).to_have_value(typed)

    # this time it is the same matter: they follow it, and their words reach the handlers
    page.get_by_test_id("similar-concerns").get_by_role("button", name="跟进这一条").click()
    page.get_by_role("button", name="跟进这一条").click()
    expect(page.get_by_role("heading", name="关注成功")).to_be_visible()
    added = ConcernEvent.objects.get(concern=result.concern, kind=EventKind.REPORTER_ADDED)
    assert added.internal_note == typed and added.actor_label == "跟进人" and not added.is_public
    assert ConcernFollower.objects.filter(concern=result.concern).count() == 1


def test_a_resident_on_a_slow_network_sees_no_error_from_the_similar_check(phone_page, cast, sanitation):
    """The similar-concern check runs as the resident picks the place, the category and types. On a
    slow network the next one is due while the last is still on its way: it waits its turn
    (hx-sync "queue last"), where cancelling the one on its way ("replace") made htmx report an
    error in the browser's console (htmx:sendAbort) each time. The form sent meanwhile goes
    through, without an error either."""
    page = phone_page
    errors, held = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    # Hold every similar check: none is answered before the form is sent.
    page.route("**/concerns/report/similar/", lambda route: held.append(route))
    page.goto("/concerns/report/")
    with page.expect_request("**/concerns/report/similar/"):
        page.get_by_label("所在村（社区）或网格").select_option(label="九龙村（不清楚网格）")
    page.get_by_label("反映的问题").fill("九龙村村口的垃圾桶满了没人清运，气味很大。")
    page.get_by_label("问题类别").select_option(label="环境卫生")  # the next check is due now
    page.wait_for_timeout(1000)  # and the typing delay has passed
    assert len(held) == 1  # the first is still on its way; the next waits for it
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()
    assert Concern.objects.count() == 1
    assert errors == []
