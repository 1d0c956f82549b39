"""A reported point is stored in WGS-84 with the system it came in: the phone form (WeChat gives
GCJ-02), the staff API, and Open311 (always WGS-84)."""

import re

import pytest
from django.core.cache import cache

from zhenwu.concerns.models import Concern
from zhenwu.concerns.services import ConcernError
from zhenwu.lib import coords

# A spot in 官桥镇 as WeChat reports it (GCJ-02) and where it really is (WGS-84).
GCJ = (28.170000, 113.830000)
WGS = coords.gcj02_to_wgs84(*GCJ)


def _stored_off(concern, lat, lng):
    return coords.distance_m(float(concern.latitude), float(concern.longitude), lat, lng)


def test_a_gcj02_point_is_stored_converted_to_wgs84_with_its_system(submit):
    concern = submit(latitude=GCJ[0], longitude=GCJ[1], coord_system="gcj02").concern
    concern.refresh_from_db()
    assert concern.coord_system == "gcj02"
    assert _stored_off(concern, *WGS) < 0.2  # six decimals: within about 0.1 m
    assert coords.distance_m(*GCJ, *WGS) > 300  # unconverted it would be hundreds of metres off


def test_a_bd09_point_is_converted_too(submit):
    bd = coords.wgs84_to_bd09(*WGS)
    concern = submit(latitude=bd[0], longitude=bd[1], coord_system="bd09").concern
    concern.refresh_from_db()
    assert concern.coord_system == "bd09" and _stored_off(concern, *WGS) < 0.2


def test_wgs84_is_the_default_and_is_stored_as_given(submit):
    concern = submit(latitude="28.1234567", longitude="113.6543219").concern
    concern.refresh_from_db()
    assert concern.coord_system == "wgs84"
    assert str(concern.latitude) == "28.123457" and str(concern.longitude) == "113.654322"


@pytest.mark.parametrize(
    "overrides, message, field",
    [
        ({"latitude": 28.1, "longitude": 113.8, "coord_system": "mars"}, "坐标系不正确", "coord_system"),
        ({"latitude": 28.1, "coord_system": "gcj02"}, "纬度和经度须同时填写", "longitude"),
        ({"longitude": 113.8}, "纬度和经度须同时填写", "latitude"),
        ({"latitude": 95, "longitude": 113.8, "coord_system": "gcj02"}, "纬度超出范围", "latitude"),
    ],
)
def test_a_bad_point_is_refused_naming_the_field(submit, overrides, message, field):
    with pytest.raises(ConcernError) as caught:
        submit(**overrides)
    assert message in caught.value.message and caught.value.field == field
    assert not Concern.objects.exists()


def test_the_phone_form_takes_the_system_in_a_hidden_field(client, world):
    cache.clear()
    page = client.get("/concerns/report/").content.decode()
    assert re.search(r'<input type="hidden" name="coord_system" value="wgs84"', page)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    data = {
        "text": "九龙村学校门口污水横流，学生上学要绕道走。", "category": world.sanitation.pk,
        "area": world.cast.jiulong_grid.pk, "key": key,
        "latitude": str(GCJ[0]), "longitude": str(GCJ[1]), "coord_system": "gcj02",
    }
    assert client.post("/concerns/report/", data).status_code == 200
    concern = Concern.objects.get()
    assert concern.coord_system == "gcj02" and _stored_off(concern, *WGS) < 0.2
    cache.clear()


def test_the_phone_form_refuses_an_unknown_system_in_chinese(client, world):
    cache.clear()
    page = client.get("/concerns/report/").content.decode()
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    data = {
        "text": "九龙村学校门口污水横流，学生上学要绕道走。", "category": world.sanitation.pk,
        "area": world.cast.jiulong_grid.pk, "key": key,
        "latitude": "28.17", "longitude": "113.83", "coord_system": "mars",
    }
    response = client.post("/concerns/report/", data)
    assert "坐标系不正确" in response.content.decode()
    assert not Concern.objects.exists()
    cache.clear()


def test_the_staff_api_takes_a_coord_system_and_answers_with_it(as_user, world):
    response = as_user(
        world.users.dispatcher, "post", "/concerns/",
        {"text": "集镇村老街路灯不亮。", "category": "lamp", "area": world.cast.jizhen.pk, "channel": "hotline",
         "latitude": "28.170000", "longitude": "113.830000", "coord_system": "gcj02"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["coord_system"] == "gcj02"
    assert coords.distance_m(float(body["latitude"]), float(body["longitude"]), *WGS) < 0.2


def test_a_project_started_from_a_concern_is_placed_at_its_point(submit, world):
    from zhenwu.concerns.services import accept_concern, dispatch_concern, start_or_join_project

    concern = submit(latitude=WGS[0], longitude=WGS[1]).concern
    accept_concern(concern, by=world.users.dispatcher)
    dispatch_concern(concern, by=world.users.dispatcher, department=world.cast.urban)
    project = start_or_join_project(concern, by=world.users.handler, name="九龙村学校路段排水改造")
    assert (project.latitude, project.longitude) == (concern.latitude, concern.longitude)
