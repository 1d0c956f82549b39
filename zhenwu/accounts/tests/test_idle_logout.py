import datetime

import time_machine

from .conftest import MONDAY_9AM


def test_a_session_idle_for_31_minutes_is_logged_out_and_sent_to_login(client, cast, login):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        login(cast.users.secretary)
        assert client.get("/").status_code == 200

        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get("/org/households/")

        assert response.status_code == 302
        assert response.url == "/accounts/login/?next=/org/households/"
        assert "_auth_user_id" not in client.session


def test_activity_every_20_minutes_keeps_the_session_alive_past_30_minutes(client, cast, login):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        login(cast.users.secretary)
        for _ in range(4):  # 80 minutes in all
            traveller.shift(datetime.timedelta(minutes=20))
            response = client.get("/")
            assert response.status_code == 200
            assert "九龙村" in response.content.decode()


def test_the_idle_limit_also_ends_a_verified_administrator_session(client, cast, login):
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        login(cast.users.town_admin)
        assert client.get("/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def _expiry(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.cookies["sessionid"].value).expire_date


def test_the_session_is_written_at_most_once_a_minute_and_the_idle_limit_holds_to_within_it(
    client, cast, login
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        login(cast.users.secretary)
        assert client.get("/").status_code == 200
        first = _expiry(client)
        assert first == MONDAY_9AM + datetime.timedelta(minutes=30)

        # Pages opened within the minute leave the session row alone.
        traveller.shift(datetime.timedelta(seconds=59))
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/org/households/").status_code == 200
        assert not [q for q in queries.captured_queries if "django_session" in q["sql"] and
                    not q["sql"].startswith("SELECT")]
        assert _expiry(client) == first

        # A minute after the last write, the next page moves the expiry on.
        traveller.shift(datetime.timedelta(seconds=1))
        assert client.get("/").status_code == 200
        assert _expiry(client) == MONDAY_9AM + datetime.timedelta(minutes=31)

        # Idle for just under the limit less the minute: still signed in.
        traveller.shift(datetime.timedelta(seconds=59))
        assert client.get("/").status_code == 200  # within the minute: not written
        traveller.shift(datetime.timedelta(minutes=29))
        response = client.get("/org/households/")
        assert response.status_code == 200

        # Idle for the whole limit since then: signed out.
        traveller.shift(datetime.timedelta(minutes=30))
        response = client.get("/org/households/")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_a_request_without_a_session_gets_none(client, cast):
    from django.contrib.sessions.models import Session

    from zhenwu.accounts.tokens import create_api_token

    _, token = create_api_token(user=cast.users.dispatcher, name="test")
    before = Session.objects.count()
    assert client.get("/concerns/board/").status_code == 200
    assert client.get("/api/v1/concerns/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert Session.objects.count() == before
    assert "sessionid" not in client.cookies
