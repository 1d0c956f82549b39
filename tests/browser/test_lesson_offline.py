"""A secretary registers a home lesson (送学上门) in a farmhouse without signal: the lesson form was
kept by the installable app while online, the record waits on the phone through closing the
browser, and after signing in again exactly one lesson reaches the server."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_offline_app import _installed, _phone
from zhenwu.offline.models import SentRecord
from zhenwu.study.models import HomeLesson
from zhenwu.study.tests.conftest import build_study

pytestmark = pytest.mark.browser


def test_a_home_lesson_recorded_offline_is_stored_once(playwright, live_server, cast, browser_login, tmp_path):
    study = build_study(cast)
    before = HomeLesson.objects.count()
    phone, page = _installed(playwright, live_server, tmp_path / "profile", browser_login, cast.users.secretary, "/study/home-lessons/")

    phone.set_offline(True)
    page.goto("/study/home-lessons/new/")  # from the phone: never opened before
    expect(page.get_by_role("heading", name="登记送学上门")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="当前没有网络")).to_be_visible()
    page.locator("select[name=member]").select_option(str(study.wang.pk))
    page.locator(f'input[name="items"][value="{study.class_item.pk}"]').check()
    page.get_by_label("学习内容").fill("送读本上门，逐段学习党章。")
    page.locator("select[name=mentor]").select_option(str(study.zhao.pk))
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    expect(page.get_by_test_id("queue-count")).to_contain_text("1")
    assert HomeLesson.objects.count() == before
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    phone.close()

    phone = _phone(playwright, live_server, tmp_path / "profile")
    page = phone.pages[0] if phone.pages else phone.new_page()
    browser_login(page, cast.users.secretary)
    page.goto("/offline/")
    expect(page.locator("[data-queue-empty]")).to_be_visible(timeout=30_000)
    assert HomeLesson.objects.count() == before + 1
    lesson = HomeLesson.objects.get(member=study.wang)
    assert lesson.content == "送读本上门，逐段学习党章。" and lesson.mentor == study.zhao
    assert SentRecord.objects.get().object_id == lesson.pk
    phone.close()
