"""Overload answers "busy, try again" (503 + Retry-After) quickly, never a 500, and the
resident's typed text comes back with the same one-time key, so the retry makes one concern."""

import json
import re
import sqlite3
import types
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.db.utils import DatabaseErrorWrapper
from django.test import Client, RequestFactory

from zhenwu.concerns.models import Category, Concern
from zhenwu.ops.middleware import busy_response, is_busy_error

pytestmark = pytest.mark.django_db


def real_sqlite_lock_error(tmp_path):
    """The error Django raises when SQLite's lock wait runs out: one connection holds the write
    lock, a second one gives up after 50 ms."""
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0.05, isolation_level=None)
    try:
        with DatabaseErrorWrapper(types.SimpleNamespace(Database=sqlite3, errors_occurred=False)):
            waiter.execute("BEGIN IMMEDIATE")
    except OperationalError as exc:
        return exc
    finally:
        holder.rollback()
        holder.close()
        waiter.close()
    raise AssertionError("no lock error")


def test_lock_and_connection_errors_count_as_busy_other_errors_do_not(tmp_path):
    assert is_busy_error(real_sqlite_lock_error(tmp_path))
    assert not is_busy_error(ValueError("database is locked"))
    assert not is_busy_error(OperationalError("no such column: foo"))


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_postgresql_lock_timeout_counts_as_busy():
    import psycopg
    from django.db import connections

    params = connections["default"].get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS ops_busy_probe (id int)")
    holder = psycopg.connect(**params)
    holder.execute("LOCK TABLE ops_busy_probe IN ACCESS EXCLUSIVE MODE")
    try:
        with pytest.raises(OperationalError) as caught, connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '100ms'")
            cursor.execute("SELECT * FROM ops_busy_probe")
        assert is_busy_error(caught.value)
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
            cursor.execute("DROP TABLE ops_busy_probe")


@pytest.fixture
def category(cast):
    return Category.objects.create(code="road", name="道路交通", default_department=cast.urban)


def test_busy_public_form_gives_the_text_back_and_the_retry_makes_one_concern(client, cast, category, tmp_path):
    page = client.get("/concerns/report/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    text = "九龙村学校门口污水横流，学生上学要绕道走，\n下雨天更严重，请尽快处理。"
    data = {"text": text, "category": category.pk, "area": cast.jiulong_grid.pk, "reporter_name": "李四",
            "reporter_phone": "13800138000", "key": key}
    with mock.patch("zhenwu.concerns.services.submit_concern", side_effect=real_sqlite_lock_error(tmp_path)):
        busy = client.post("/concerns/report/", data)
    html = busy.content.decode()
    assert busy.status_code == 503 and busy["Retry-After"] == "5"
    assert "系统繁忙，请稍后再试" in html and "您填写的内容没有丢失" in html
    assert f">{text}</textarea>" in html  # the typed text, visible and editable
    assert f'name="key" value="{key}"' in html and 'action="/concerns/report/"' in html
    assert Concern.objects.count() == 0

    # "重新提交" sends back exactly what the busy page holds.
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields["text"] = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, re.S).group(1)
    done = client.post("/concerns/report/", fields)
    assert done.status_code == 200 and "查询链接" in done.content.decode()
    again = client.post("/concerns/report/", fields)
    assert again.status_code == 200
    assert Concern.objects.count() == 1 and Concern.objects.get().text.startswith("九龙村学校门口")


def test_busy_page_never_echoes_a_password(cast, tmp_path):
    client = Client()
    with mock.patch("zhenwu.accounts.views.authenticate", side_effect=real_sqlite_lock_error(tmp_path)):
        response = client.post("/accounts/login/", {"username": "gq_leader", "password": "Secret#2026-very-long"})
    assert response.status_code == 503
    html = response.content.decode()
    assert "gq_leader" in html and "Secret#2026" not in html


def test_busy_outside_the_view_is_503_not_500(client, cast, login, settings, tmp_path):
    """Saving the session (when its idle clock is due; here on every request) happens in
    middleware, after the view."""
    settings.ZHENWU_SESSION_REFRESH_SECONDS = 0
    login(cast.users.leader)
    client.raise_request_exception = False
    error = real_sqlite_lock_error(tmp_path)
    with mock.patch("django.contrib.sessions.backends.db.SessionStore.save", side_effect=error):
        response = client.get("/concerns/board/")
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert "请等5秒左右后刷新本页" in response.content.decode()


def test_api_clients_get_json_busy_answers(tmp_path):
    factory = RequestFactory()
    error = real_sqlite_lock_error(tmp_path)
    open311 = busy_response(factory.post("/open311/v2/requests.json", {"description": "x"}), error)
    assert open311.status_code == 503 and open311["Retry-After"] == "5"
    assert json.loads(open311.content) == [{"code": 503, "description": "系统繁忙，请稍后再试"}]
    api = busy_response(factory.get("/api/v1/concerns/"), error)
    assert api.status_code == 503 and json.loads(api.content)["error"] == "busy"
