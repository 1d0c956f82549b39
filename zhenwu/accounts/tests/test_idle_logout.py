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
