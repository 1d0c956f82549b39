"""A member records a visit with a concern on a phone, loses the connection before sending, and
gets it back: exactly one visit and one concern are stored (drafts.js puts the record in the
offline queue, queue.js sends it with the visit's key; service workers are blocked here, as in a
browser without them)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from zhenwu.concerns.models import Category, Channel, Concern
from zhenwu.grid.models import HouseholdLink, Visit

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/zhenwu-phone-visit-offline.png"


def _no_horizontal_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def linked(cast):
    HouseholdLink.objects.create(member=cast.members.jiulong, household=cast.households.jiulong,
                                 grid_id=cast.households.jiulong.grid_id,
                                 started_on=timezone.localdate() - datetime.timedelta(days=40))
    Category.objects.create(code="road", name="道路交通", default_department=cast.urban)
    return cast


def test_a_visit_sent_while_offline_is_stored_once_when_the_phone_is_back_online(phone_page, phone_context, linked,
                                                                               browser_login):
    page = phone_page
    browser_login(page, linked.users.member)
    page.goto("/grid/")
    page.get_by_role("link", name="JL-0001").click()
    expect(page.get_by_role("heading", name="JL-0001")).to_be_visible()
    expect(page.get_by_test_id("visit-status")).to_contain_text("尚无走访记录")
    page.get_by_role("link", name="记录走访").click()

    page.get_by_label("电话").check()
    page.get_by_label("走访情况").fill("黎明老人身体还好，反映门前路灯坏了，晚上出门不方便。")
    page.get_by_label("群众反映了诉求，登记为民情诉求").check()
    page.get_by_label("诉求类别").select_option(label="道路交通")
    page.get_by_label("诉求内容").fill("九龙村一组黎明家门前路灯坏了三盏，晚上看不见路。")
    key = page.locator('input[name="idempotency_key"]').input_value()
    assert len(key) == 36  # a UUID made on the phone for this draft

    phone_context.set_offline(True)
    page.get_by_role("button", name="提交走访记录").click()
    expect(page.get_by_role("status").filter(has_text="已保存在本机")).to_be_visible()
    assert not Visit.objects.exists() and not Concern.objects.exists()
    queued = page.evaluate("() => ZhenwuQueue.all().then(rows => rows.map(r => [r.key, r.kind, r.status]))")
    assert queued == [[key, "visit", "waiting"]]
    assert page.locator('input[name="idempotency_key"]').input_value() != key  # a fresh form, a new key
    assert _no_horizontal_overflow(page)
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Back online: the record goes by itself, once, and the page moves on to the household.
    phone_context.set_offline(False)
    expect(page.get_by_test_id("visits")).to_contain_text("黎明老人身体还好", timeout=30_000)
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1
    visit = Visit.objects.get()
    assert visit.idempotency_key == key and visit.way == "phone" and visit.member == linked.members.jiulong
    assert visit.concern.channel == Channel.VISIT and visit.concern.idempotency_key == f"visit:{key}"
    expect(page.get_by_test_id("concerns")).to_contain_text(visit.concern.reference)
    assert page.evaluate("() => ZhenwuQueue.all().then(rows => rows.length)") == 0

    # A replay of the same draft (say a second tab that kept it) changes nothing.
    page.goto(f"/grid/households/{linked.households.jiulong.pk}/visit/")
    page.evaluate(
        """([name, key]) => localStorage.setItem('zhenwu-draft:' + name, JSON.stringify(
               {key: key, pending: true, values: {visited_on: document.querySelector('[name=visited_on]').value,
                way: 'phone', notes: '重放', raise_concern: ['on'], concern_text: '重放',
                concern_category: document.querySelector('[name=concern_category] option:nth-child(2)').value}}))""",
        [f"visit-{linked.households.jiulong.pk}", key],
    )
    page.reload()
    expect(page.get_by_role("status").filter(has_text="此前已经提交")).to_be_visible()
    assert Visit.objects.count() == 1 and Concern.objects.count() == 1
    assert _no_horizontal_overflow(page)
