import base64
import datetime

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from zhenwu.audit.models import AuditAction, AuditEntry

from .conftest import LOGIN_URL, MONDAY_9AM, token_for, wrong_token_for


def _password_login(client, user, next_url=""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN_URL, data)


def test_a_town_admin_without_a_device_is_sent_to_enrolment_after_the_password(client, cast):
    response = _password_login(client, cast.users.town_admin)
    assert response.status_code == 302
    assert response.url == "/accounts/otp/setup/?next=%2F"


@pytest.mark.parametrize("path", ["/", "/org/households/", "/accounts/users/", "/accounts/password/", "/admin/"])
def test_a_town_admin_reaches_no_page_before_the_second_factor(client, cast, confirmed_device, path):
    confirmed_device(cast.users.town_admin)
    _password_login(client, cast.users.town_admin)

    response = client.get(path)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/otp/verify/?next=")


def test_an_htmx_request_before_the_second_factor_is_told_to_navigate(client, cast, confirmed_device):
    confirmed_device(cast.users.town_admin)
    _password_login(client, cast.users.town_admin)
    response = client.get("/org/households/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == "/accounts/otp/verify/?next=%2Forg%2Fhouseholds%2F"


def test_a_valid_token_from_the_device_key_opens_the_site(client, cast, confirmed_device):
    device = confirmed_device(cast.users.town_admin)
    response = _password_login(client, cast.users.town_admin, next_url="/org/households/")
    assert response.url == "/accounts/otp/verify/?next=%2Forg%2Fhouseholds%2F"

    response = client.post("/accounts/otp/verify/", {"token": token_for(device), "next": "/org/households/"})

    assert response.status_code == 302
    assert response.url == "/org/households/"
    assert client.get("/org/households/").status_code == 200
    assert client.get("/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=cast.users.town_admin,
                                     note="动态口令验证通过").exists()


def test_a_wrong_token_is_refused_audited_and_throttled(client, cast, confirmed_device):
    device = confirmed_device(cast.users.town_admin)
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        _password_login(client, cast.users.town_admin)

        response = client.post("/accounts/otp/verify/", {"token": wrong_token_for(device)})
        assert response.status_code == 200
        assert "动态口令不正确" in response.content.decode()
        assert client.get("/").status_code == 302

        # Straight after a failure even the right token waits (1 s, then 2 s, 4 s ...).
        response = client.post("/accounts/otp/verify/", {"token": token_for(device)})
        assert "尝试次数过多" in response.content.decode()
        assert client.get("/").status_code == 302

        traveller.shift(datetime.timedelta(seconds=5))
        response = client.post("/accounts/otp/verify/", {"token": token_for(device)})
        assert response.status_code == 302
        assert client.get("/").status_code == 200

    notes = list(AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, actor=cast.users.town_admin)
                 .order_by("id").values_list("note", flat=True))
    assert notes == ["动态口令错误", "动态口令尝试过于频繁，已暂时拒绝"]


def test_a_token_that_is_not_six_digits_gets_a_clear_message(client, cast, confirmed_device):
    confirmed_device(cast.users.town_admin)
    _password_login(client, cast.users.town_admin)
    response = client.post("/accounts/otp/verify/", {"token": "12ab"})
    assert "请输入身份验证器上显示的6位数字" in response.content.decode()


def test_enrolment_shows_a_qr_code_and_the_secret_and_a_valid_token_confirms_the_device(client, cast):
    admin = cast.users.town_admin
    _password_login(client, admin)

    response = client.get("/accounts/otp/setup/?next=/org/households/")

    body = response.content.decode()
    device = TOTPDevice.objects.get(user=admin)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert not device.confirmed
    assert "<svg" in body
    assert f'data-testid="totp-secret">{secret}<' in body
    assert client.get("/accounts/otp/setup/").context["secret"] == secret  # a reload keeps the secret

    response = client.post("/accounts/otp/setup/", {"token": token_for(device), "next": "/org/households/"})

    assert response.status_code == 302
    assert response.url == "/org/households/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/org/households/").status_code == 200
    assert AuditEntry.objects.filter(action=AuditAction.SECURITY, object_id=str(admin.pk),
                                     note="绑定动态口令(TOTP)身份验证器").exists()


def test_a_wrong_token_does_not_confirm_the_enrolment(client, cast):
    _password_login(client, cast.users.town_admin)
    client.get("/accounts/otp/setup/")
    device = TOTPDevice.objects.get(user=cast.users.town_admin)

    response = client.post("/accounts/otp/setup/", {"token": wrong_token_for(device)})

    assert "动态口令不正确" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302


def test_a_password_alone_cannot_enrol_a_second_device(client, cast, confirmed_device):
    confirmed_device(cast.users.town_admin)
    _password_login(client, cast.users.town_admin)

    response = client.get("/accounts/otp/setup/")

    assert response.status_code == 302
    assert response.url.startswith("/accounts/otp/verify/")
    assert TOTPDevice.objects.filter(user=cast.users.town_admin).count() == 1


@pytest.mark.parametrize("role", ["leader", "dispatcher", "handler", "secretary", "grid_worker", "instructor",
                                  "member"])
def test_other_roles_are_not_asked_for_a_second_factor(client, cast, role):
    user = getattr(cast.users, role)
    response = _password_login(client, user)
    assert response.url == "/"
    assert client.get("/").status_code == 200
    assert not TOTPDevice.objects.filter(user=user).exists()


def test_a_superuser_of_any_role_must_pass_the_second_factor(client, cast):
    user = cast.users.member
    user.is_staff = user.is_superuser = True
    user.save()
    response = _password_login(client, user)
    assert response.url == "/accounts/otp/setup/?next=%2F"
    assert client.get("/admin/").status_code == 302


def test_a_code_used_twice_within_its_30_seconds_is_told_apart_from_a_wrong_code(cast, confirmed_device,
                                                                                 client_factory):
    device = confirmed_device(cast.users.town_admin)
    first, second = client_factory(), client_factory()
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        token = token_for(device)
        _password_login(first, cast.users.town_admin)
        assert first.post("/accounts/otp/verify/", {"token": token}).status_code == 302

        # The same code again, in another browser a few seconds later: a replay, not a clock problem.
        traveller.shift(datetime.timedelta(seconds=5))
        _password_login(second, cast.users.town_admin)
        body = second.post("/accounts/otp/verify/", {"token": token}).content.decode()
        assert "这个动态口令刚才已经用过，请等手机上出现新的口令后再输入" in body
        assert "请核对手机时间" not in body
        assert second.get("/").status_code == 302

        # A genuinely wrong code still points to the phone's clock.
        traveller.shift(datetime.timedelta(seconds=5))
        body = second.post("/accounts/otp/verify/", {"token": wrong_token_for(device)}).content.decode()
        assert "动态口令不正确，请核对手机时间后重试" in body and "已经用过" not in body

        # The phone's next code opens the site.
        traveller.shift(datetime.timedelta(seconds=30))
        device.refresh_from_db()
        assert second.post("/accounts/otp/verify/", {"token": token_for(device)}).status_code == 302

    notes = list(AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, actor=cast.users.town_admin)
                 .order_by("id").values_list("note", flat=True))
    assert notes == ["动态口令重复使用", "动态口令错误"]
