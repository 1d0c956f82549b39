"""我的反映: a resident finds their concerns again by their phone, with a one-time code texted to
it; and every SMS to a resident carries a link on the site (SITE_URL)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import mine, services
from zhenwu.concerns.models import ConcernFollower, Outcome, PhoneCode, RecoveredLink, Status
from zhenwu.lib.sms import MemoryBackend

PHONE = "13800138000"


@pytest.fixture(autouse=True)
def isolated(settings, outbox):
    settings.SITE_URL = "https://zw.example.gov.cn"
    MemoryBackend.messages.clear()
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reported(submit):
    return submit(reporter_phone=PHONE)


def _codes(outbox, phone=PHONE):
    return [re.search(r"验证码为(\d{6})", text).group(1) for p, text in outbox if p == phone and "验证码" in text]


def _verify(client, outbox, phone=PHONE):
    client.post("/concerns/mine/", {"phone": phone})
    code = _codes(outbox, phone)[-1]
    return client.post("/concerns/mine/verify/", {"code": code}, follow=True)


def _resolve(world, concern):
    services.accept_concern(concern, by=world.users.dispatcher)
    services.dispatch_concern(concern, by=world.users.dispatcher)
    return services.resolve_concern(concern, by=world.users.handler, outcome=Outcome.FIXED, text="已修好。")


# --- SITE_URL: links in every text -----------------------------------------------------------


def test_the_submission_text_carries_the_private_follow_link(django_capture_on_commit_callbacks, submit, outbox):
    with django_capture_on_commit_callbacks(execute=True):
        result = submit(reporter_phone=PHONE)
    (phone, text), = outbox
    link = f"https://zw.example.gov.cn/concerns/follow/{result.concern.reference}/{result.follow_token}/"
    assert phone == PHONE and result.concern.reference in text and text.endswith(link)
    (_p, message), = MemoryBackend.messages
    assert message.kind == "notice" and message.params["link"] == link


def test_later_texts_carry_the_my_concerns_link_and_a_follower_gets_their_own_link(
    django_capture_on_commit_callbacks, world, reported, outbox
):
    concern = reported.concern
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        token = services.follow_concern(concern, phone="13900139000")
    assert outbox == [
        ("13900139000", f"您已关注诉求{concern.reference}，请保存查询链接查看办理进度。详情："
         f"https://zw.example.gov.cn/concerns/follow/{concern.reference}/{token}/")
    ]
    outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.accept_concern(concern, by=world.users.dispatcher)
    assert sorted(p for p, _t in outbox) == [PHONE, "13900139000"]
    assert all(t.endswith("详情：https://zw.example.gov.cn/concerns/mine/") for _p, t in outbox)


# --- the code -------------------------------------------------------------------------------


def test_the_answer_is_the_same_whether_or_not_the_phone_has_concerns(client, reported, outbox):
    with_concerns = client.post("/concerns/mine/", {"phone": PHONE})
    without = client.post("/concerns/mine/", {"phone": "13700137000"})
    assert with_concerns.status_code == without.status_code == 302
    assert with_concerns["Location"] == without["Location"] == "/concerns/mine/verify/"
    assert len(_codes(outbox, PHONE)) == len(_codes(outbox, "13700137000")) == 1


def test_codes_are_stored_hashed_and_expire(client, reported, outbox):
    client.post("/concerns/mine/", {"phone": PHONE})
    code = _codes(outbox)[-1]
    row = PhoneCode.objects.get()
    assert code not in row.code_hash and PHONE not in row.phone_hash
    assert row.expires_at - row.created_at == timedelta(minutes=mine.CODE_MINUTES)
    with time_machine.travel(timezone.now() + timedelta(minutes=mine.CODE_MINUTES, seconds=1)):
        page = client.post("/concerns/mine/verify/", {"code": code}).content.decode()
    assert "验证码已失效，请重新获取" in page


def test_a_code_dies_after_five_wrong_tries(client, reported, outbox):
    client.post("/concerns/mine/", {"phone": PHONE})
    code = _codes(outbox)[-1]
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(mine.MAX_FAILED_ATTEMPTS - 1):
        assert "验证码不正确" in client.post("/concerns/mine/verify/", {"code": wrong}).content.decode()
    assert "错误次数过多" in client.post("/concerns/mine/verify/", {"code": wrong}).content.decode()
    assert "验证码已失效" in client.post("/concerns/mine/verify/", {"code": code}).content.decode()


def test_a_code_works_once(reported, outbox):
    mine.send_code(phone=PHONE)
    code = _codes(outbox)[-1]
    assert mine.verify_code(phone=PHONE, code=code) == reported.concern.reporter_phone_hash
    with pytest.raises(services.ConcernError, match="已失效"):
        mine.verify_code(phone=PHONE, code=code)


def test_codes_are_limited_per_phone_and_per_address(client, reported, outbox, settings):
    settings.ZHENWU_MINE_RATES = {"phone_burst": "100/m", "phone": "2/h", "address": "3/h"}
    assert client.post("/concerns/mine/", {"phone": PHONE}).status_code == 302
    assert client.post("/concerns/mine/", {"phone": PHONE}).status_code == 302
    refused = client.post("/concerns/mine/", {"phone": PHONE})
    assert refused.status_code == 429 and "该号码获取验证码太频繁" in refused.content.decode()
    assert len(_codes(outbox)) == 2
    # The address has used its three; another phone from it is refused too.
    refused = client.post("/concerns/mine/", {"phone": "13700137000"})
    assert refused.status_code == 429 and "获取验证码的次数太多" in refused.content.decode()
    assert _codes(outbox, "13700137000") == []


def test_a_second_request_within_a_minute_is_refused(client, reported, outbox):
    client.post("/concerns/mine/", {"phone": PHONE})
    assert client.post("/concerns/mine/", {"phone": PHONE}).status_code == 429


def test_a_landline_or_garbage_is_refused_in_chinese(client, outbox):
    for value in ("0731-83611234", "abc", ""):
        page = client.post("/concerns/mine/", {"phone": value}).content.decode()
        assert "手机号码" in page and outbox == []


def test_a_gateway_failure_is_told_and_the_code_voided(client, reported, settings):
    settings.ZHENWU_SMS_BACKEND = "aliyun"  # not configured: refused before any request
    page = client.post("/concerns/mine/", {"phone": PHONE}).content.decode()
    assert "短信服务配置有误" in page
    assert PhoneCode.objects.get().used_at is not None


# --- the list and its actions ---------------------------------------------------------------


def test_the_verified_phone_sees_what_it_reported_and_follows_and_nothing_else(client, world, submit, outbox):
    own = submit(reporter_phone=PHONE, text="九龙村三组路灯坏了一个月。").concern
    followed = submit(reporter_phone="13900139000", text="石灰嘴村垃圾站满了没人清。").concern
    services.accept_concern(followed, by=world.users.dispatcher)
    services.follow_concern(followed, phone=f"+86 {PHONE}")
    other = submit(reporter_phone="13900139000", text="集镇村菜市场排水沟堵塞。").concern
    page = _verify(client, outbox).content.decode()
    assert own.reference in page and followed.reference in page and other.reference not in page
    assert "我反映的" in page and "我关注的" in page
    assert "李四" not in page and PHONE not in page


def test_the_lookup_is_audited(client, reported, outbox):
    _verify(client, outbox)
    notes = list(AuditEntry.objects.order_by("id").values_list("action", "note"))
    assert ("security", "我的反映：发送短信验证码") in notes
    assert ("login", "我的反映：手机验证通过") in notes
    assert any(a == "reveal" and n.startswith("我的反映：查看本人反映和关注的诉求1条") for a, n in notes)


def test_the_reporter_opens_a_fresh_link_and_rates(client, world, reported, outbox):
    concern = reported.concern
    _resolve(world, concern)
    _verify(client, outbox)
    response = client.post(f"/concerns/mine/{concern.reference}/open/")
    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(f"/concerns/follow/{concern.reference}/") and reported.follow_token not in link
    page = client.get(link).content.decode()
    assert "请您评价办理结果" in page
    client.post(link + "callback/", {"solved": "yes", "result": "satisfied", "note": ""})
    concern.refresh_from_db()
    assert concern.status == Status.CLOSED and concern.callback_result == "satisfied"
    # The original link still works; a second recovery replaces the first recovered link.
    assert client.get(f"/concerns/follow/{concern.reference}/{reported.follow_token}/").status_code == 200
    again = client.post(f"/concerns/mine/{concern.reference}/open/")["Location"]
    assert client.get(link).status_code == 404 and client.get(again).status_code == 200
    assert RecoveredLink.objects.filter(concern=concern).count() == 1
    assert not ConcernFollower.objects.filter(concern=concern).exists()  # nobody texted or counted twice


def test_a_followers_recovered_link_cannot_rate(client, world, reported, outbox):
    concern = reported.concern
    services.accept_concern(concern, by=world.users.dispatcher)
    services.follow_concern(concern, phone="13900139000")
    _resolve_rest(world, concern)
    _verify(client, outbox, phone="13900139000")
    link = client.post(f"/concerns/mine/{concern.reference}/open/")["Location"]
    page = client.get(link).content.decode()
    assert "请您评价办理结果" not in page and "等待反映人评价" in page


def _resolve_rest(world, concern):
    services.dispatch_concern(concern, by=world.users.dispatcher)
    services.resolve_concern(concern, by=world.users.handler, outcome=Outcome.FIXED, text="已修好。")


def test_another_phones_concern_cannot_be_opened(client, world, submit, reported, outbox):
    other = submit(reporter_phone="13900139000").concern
    _verify(client, outbox)
    response = client.post(f"/concerns/mine/{other.reference}/open/", follow=True)
    assert "该诉求不在您的反映记录中" in response.content.decode()
    assert not RecoveredLink.objects.filter(concern=other).exists()


def test_without_a_grant_or_after_it_expires_the_list_is_not_shown(client, reported, outbox):
    concern = reported.concern
    assert client.post(f"/concerns/mine/{concern.reference}/open/").status_code == 302
    assert not RecoveredLink.objects.exists()
    _verify(client, outbox)
    assert concern.reference in client.get("/concerns/mine/").content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=mine.GRANT_MINUTES, seconds=1)):
        page = client.get("/concerns/mine/").content.decode()
    assert concern.reference not in page and "获取验证码" in page


def test_a_recovered_reporter_link_on_a_merged_duplicate_does_not_rate_the_original(
    client, world, submit, reported, outbox
):
    duplicate = reported.concern
    original = submit(reporter_phone="13900139000", text="同一个污水问题。").concern
    services.accept_concern(original, by=world.users.dispatcher)
    _verify(client, outbox)
    link = client.post(f"/concerns/mine/{duplicate.reference}/open/")["Location"]
    services.link_duplicate(duplicate, original, by=world.users.dispatcher)
    _resolve_rest(world, original)
    page = client.get(link, follow=True).content.decode()
    assert original.reference in page and "请您评价办理结果" not in page
    # The merge made the duplicate's reporter a follower of the original: listed, without rating.
    listing = client.get("/concerns/mine/").content.decode()
    assert original.reference in listing and "我关注的" in listing
    page = client.get(client.post(f"/concerns/mine/{original.reference}/open/")["Location"]).content.decode()
    assert "等待反映人评价" in page and "请您评价办理结果" not in page


def test_the_migration_indexes_existing_followers_phones(world, reported):
    import importlib

    from django.apps import apps

    migration = importlib.import_module(
        "zhenwu.concerns.migrations.0013_phone_codes_recovered_links_and_follower_phone_index"
    )
    services.follow_concern(reported.concern, phone="13900139000")
    services.follow_concern(reported.concern, phone="")
    ConcernFollower.objects.update(phone_hash="")
    migration.index_follower_phones(apps, None)
    hashes = sorted(ConcernFollower.objects.values_list("phone_hash", flat=True))
    assert hashes == sorted(["", mine.phone_index("13900139000")])


def test_the_pages_are_csp_clean(client, reported, outbox):
    pages = [client.get("/concerns/mine/").content.decode()]
    client.post("/concerns/mine/", {"phone": PHONE})
    pages.append(client.get("/concerns/mine/verify/").content.decode())
    pages.append(_verify(client, outbox).content.decode())
    for page in pages:
        assert " style=" not in page and not re.search(r"\son[a-z]+=", page) and "<script>" not in page


def test_the_pending_phone_is_kept_encrypted_in_the_session(client, reported, outbox):
    client.post("/concerns/mine/", {"phone": PHONE})
    assert PHONE not in str(dict(client.session))
    assert "138****8000" in client.get("/concerns/mine/verify/").content.decode()
