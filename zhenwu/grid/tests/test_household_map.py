"""联户走访 on a map (/grid/map.json and the list's 地图 view): the households of the user's scope
that carry a point, coloured by their visit's due date; nobody else's, and never cached."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from zhenwu.grid import services
from zhenwu.org.models import Household

URL = "/grid/map.json"
TODAY = datetime.date(2027, 4, 2)


@pytest.fixture
def placed(cast):
    """Every cast household placed; 九龙村一组12号 (an elderly person alone: visited monthly) linked
    to 黎干亮 and visited 40 days ago, 九龙村二组3号 linked and visited 3 weeks ago (due within a
    week), 集镇村老街8号 unlinked."""
    points = {"jiulong": ("28.152301", "113.631702"), "jiulong2": ("28.150000", "113.640000"),
              "jizhen": ("28.160000", "113.650000")}
    for name, (lat, lng) in points.items():
        Household.objects.filter(pk=getattr(cast.households, name).pk).update(
            latitude=Decimal(lat), longitude=Decimal(lng))
    h = cast.households
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=datetime.UTC), tick=False):
        services.link_households(member=cast.members.jiulong, households=[h.jiulong, h.jiulong2], by=None,
                                 started_on=datetime.date(2026, 12, 1))
    for household, days in ((h.jiulong, 40), (h.jiulong2, 24)):
        day = TODAY - datetime.timedelta(days=days)
        now = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10)))
        services.record_visit(household=household, visited_on=day, way="home", notes="走访", by=None, now=now)
    return cast


@pytest.fixture
def today():
    with time_machine.travel(datetime.datetime(2027, 4, 2, 2, tzinfo=datetime.UTC), tick=False):
        yield


def states(response):
    return {p["number"]: p["state"] for p in response.json()["points"]}


def test_the_secretary_sees_the_villages_households_coloured_by_their_due_visit(client, login, placed, today):
    login(placed.users.secretary)
    response = client.get(URL)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert states(response) == {"JL-0001": "overdue", "JL-0002": "soon"}
    point = next(p for p in response.json()["points"] if p["number"] == "JL-0001")
    assert (point["lat"], point["lng"]) == (28.152301, 113.631702)
    assert point["url"] == f"/grid/households/{placed.households.jiulong.pk}/"
    assert "黎明" not in response.content.decode() and "九龙村一组" not in response.content.decode()


def test_a_town_admin_filters_by_grid_and_sees_unlinked_households(client, login, placed, today):
    login(placed.users.town_admin)
    assert states(client.get(URL)) == {"JL-0001": "overdue", "JL-0002": "soon", "JZ-0001": "unlinked"}
    assert states(client.get(URL, {"grid": placed.jizhen_grid.pk})) == {"JZ-0001": "unlinked"}


def test_a_grid_worker_and_a_member_see_only_their_own(client, login, placed, today):
    login(placed.users.other_grid_worker)
    assert states(client.get(URL)) == {"JZ-0001": "unlinked"}
    client.logout()
    login(placed.users.member)
    assert states(client.get(URL)) == {"JL-0001": "overdue", "JL-0002": "soon"}


def test_strangers_are_sent_to_sign_in(client, placed):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_list_has_a_map_view_that_loads_the_map_only_there(client, login, placed, today):
    login(placed.users.secretary)
    listed = client.get("/grid/").content.decode()
    assert 'data-testid="view-map"' in listed and "leaflet" not in listed
    page = client.get("/grid/", {"view": "map"}).content.decode()
    assert 'data-map="households"' in page and "/static/vendor/leaflet-1.9.4/leaflet.js" in page
    assert 'id="map-tiles"' in page
