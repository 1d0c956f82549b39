import pytest

from conftest import PASSWORD
from zhenwu.audit.models import AuditAction, AuditEntry

from .conftest import LOGIN_URL


def test_secretary_logs_in_and_reaches_home(client, cast, login):
    login(cast.users.secretary)
    response = client.get("/")
    assert response.status_code == 200
    assert "九龙村" in response.content.decode()
    assert AuditEntry.objects.filter(action="login", actor=cast.users.secretary).exists()


def test_a_page_asked_for_before_login_is_reached_after_it(client, cast):
    response = client.get("/org/households/")
    assert response.url == "/accounts/login/?next=/org/households/"
    page = client.get(response.url).content.decode()
    assert 'name="next" value="/org/households/"' in page

    response = client.post(LOGIN_URL, {"username": "secretary1", "password": PASSWORD,
                                       "next": "/org/households/"})

    assert response.url == "/org/households/"


@pytest.mark.parametrize("target", [
    "https://evil.example/phish",
    "//evil.example/phish",
    "/\\evil.example/phish",
    "javascript:alert(1)",
    "http://testserver.evil.example/",
])
def test_an_offsite_next_is_ignored_after_login(client, cast, target):
    page = client.get(LOGIN_URL, {"next": target}).content.decode()
    assert "evil" not in page and "javascript" not in page

    response = client.post(LOGIN_URL, {"username": "secretary1", "password": PASSWORD, "next": target})

    assert response.status_code == 302
    assert response.url == "/"


def test_an_offsite_next_is_ignored_after_the_second_factor(client, cast, login):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .conftest import token_for

    device = TOTPDevice.objects.create(user=cast.users.town_admin, name="t", confirmed=True)
    response = client.post(LOGIN_URL, {"username": "admin1", "password": PASSWORD, "next": "//evil.example/"})
    assert response.url == "/accounts/otp/verify/?next=%2F"

    response = client.post("/accounts/otp/verify/", {"token": token_for(device), "next": "https://evil.example/"})

    assert response.url == "/"


def test_a_wrong_password_shows_a_chinese_error_without_saying_which_part_was_wrong(client, cast):
    for username in ("secretary1", "nobody"):
        response = client.post(LOGIN_URL, {"username": username, "password": "Wrong#2026"})
        assert response.status_code == 200
        assert "账号或密码不正确" in response.content.decode()


def test_an_empty_form_names_the_missing_fields(client, db):
    response = client.post(LOGIN_URL, {"username": "", "password": ""})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"username", "password"}


def test_a_deactivated_account_cannot_log_in(client, cast):
    user = cast.users.secretary
    user.is_active = False
    user.save()
    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_by_get_is_refused_and_keeps_the_session(client, cast, login):
    login(cast.users.secretary)
    response = client.get("/accounts/logout/")
    assert response.status_code == 405
    assert client.get("/").status_code == 200


def test_logout_by_post_ends_the_session_and_is_audited(client, cast, login):
    login(cast.users.secretary)

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.LOGOUT)
    assert entry.actor == cast.users.secretary
    assert entry.object_id == str(cast.users.secretary.pk)


def test_healthz_answers_without_login(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["database"] is True  # details: zhenwu/ops
