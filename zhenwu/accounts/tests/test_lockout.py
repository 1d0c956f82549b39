import datetime

import time_machine

from conftest import PASSWORD
from zhenwu.audit.models import AuditAction, AuditEntry

from .conftest import LOGIN_URL, MONDAY_9AM


def _attempt(client, username, password):
    return client.post(LOGIN_URL, {"username": username, "password": password})


def _is_lockout_page(response):
    body = response.content.decode()
    return response.status_code == 429 and "账号已锁定" in body and "锁定30分钟" in body


def test_five_wrong_passwords_lock_the_account_even_against_the_right_password(client, cast):
    username = cast.users.secretary.username
    with time_machine.travel(MONDAY_9AM, tick=False):
        for _ in range(4):
            response = _attempt(client, username, "Wrong#pass1")
            assert response.status_code == 200
            assert "账号或密码不正确" in response.content.decode()
        assert _is_lockout_page(_attempt(client, username, "Wrong#pass1"))

        response = _attempt(client, username, PASSWORD)

        assert _is_lockout_page(response)
        assert "_auth_user_id" not in client.session
        assert client.get("/").status_code == 302


def test_the_lockout_ends_after_thirty_minutes_and_not_before(client, cast):
    username = cast.users.secretary.username
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        for _ in range(5):
            _attempt(client, username, "Wrong#pass1")
        traveller.shift(datetime.timedelta(minutes=29))
        assert _is_lockout_page(_attempt(client, username, PASSWORD))

        # Trying again while locked did not restart the clock.
        traveller.shift(datetime.timedelta(minutes=1, seconds=1))
        response = _attempt(client, username, PASSWORD)

        assert response.status_code == 302
        assert response.url == "/"
        assert client.get("/").status_code == 200


def test_failed_logins_are_audited_as_login_failed_with_the_username(client, cast):
    username = cast.users.secretary.username
    with time_machine.travel(MONDAY_9AM, tick=False):
        for _ in range(5):
            _attempt(client, username, "Wrong#pass1")
        _attempt(client, username, PASSWORD)

    failures = AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED, object_repr=username).order_by("id")
    assert [entry.note for entry in failures] == ["用户名或密码错误"] * 4 + [
        "用户名或密码错误，连续失败5次，账号锁定", "账号已锁定，拒绝登录"]
    assert all(entry.ip == "127.0.0.1" and entry.actor_id is None for entry in failures)
    assert not AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=cast.users.secretary).exists()


def test_the_lockout_is_by_username_so_a_colleague_at_the_same_address_can_still_log_in(client, cast):
    with time_machine.travel(MONDAY_9AM, tick=False):
        for _ in range(5):
            _attempt(client, cast.users.secretary.username, "Wrong#pass1")
        response = _attempt(client, cast.users.grid_worker.username, PASSWORD)
    assert response.status_code == 302


def test_a_successful_login_clears_earlier_failures(client, cast):
    username = cast.users.secretary.username
    with time_machine.travel(MONDAY_9AM, tick=False):
        for _ in range(4):
            _attempt(client, username, "Wrong#pass1")
        assert _attempt(client, username, PASSWORD).status_code == 302
        client.post("/accounts/logout/")
        for _ in range(4):
            _attempt(client, username, "Wrong#pass1")
        assert _attempt(client, username, PASSWORD).status_code == 302
