from conftest import PASSWORD
from zhenwu.audit.models import AuditAction, AuditEntry

from .conftest import LOGIN_URL, token_for

NEW_PASSWORD = "Jiulong#2027"


def _flag(user):
    user.must_change_password = True
    user.save(update_fields=["must_change_password"])


def test_an_account_that_must_change_its_password_goes_to_the_form_first(client, cast):
    user = cast.users.secretary
    _flag(user)

    response = client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})

    assert response.url == "/accounts/password/"
    assert "请先设置新密码" in client.get(response.url).content.decode()
    for path in ("/", "/org/households/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.url == "/accounts/password/"


def test_changing_the_password_clears_the_flag_keeps_the_session_and_is_audited(client, cast):
    user = cast.users.secretary
    _flag(user)
    client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})

    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
    })

    assert response.status_code == 302
    assert response.url == "/"
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    assert user.password_changed_at is not None
    assert user.check_password(NEW_PASSWORD)
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(user.pk)).latest("id")
    assert entry.note == "修改密码"
    assert entry.changes["must_change_password"] == [True, False]
    assert "password" not in entry.changes


def test_the_new_password_must_differ_from_the_old_one(client, cast):
    user = cast.users.secretary
    _flag(user)
    client.post(LOGIN_URL, {"username": user.username, "password": PASSWORD})
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password": PASSWORD, "new_password2": PASSWORD,
    })
    assert "新密码不能与原密码相同" in response.content.decode()
    user.refresh_from_db()
    assert user.must_change_password


def test_an_administrator_passes_the_second_factor_before_changing_the_password(client, cast, confirmed_device):
    admin = cast.users.town_admin
    _flag(admin)
    device = confirmed_device(admin)
    response = client.post(LOGIN_URL, {"username": admin.username, "password": PASSWORD})
    assert response.url.startswith("/accounts/otp/verify/")
    assert client.get("/accounts/password/").url.startswith("/accounts/otp/verify/")

    response = client.post("/accounts/otp/verify/", {"token": token_for(device)})

    assert client.get(response.url).url == "/accounts/password/"
