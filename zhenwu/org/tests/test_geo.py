"""Where a point falls (org.geo.locate and /org/locate.json) and the outlines the maps draw
(/org/boundaries.geojson), on hand-drawn outlines of the cast's villages and grids."""

import json

import pytest
from django.core.cache import cache

from zhenwu.audit.models import AuditEntry
from zhenwu.lib import coords
from zhenwu.org import geo
from zhenwu.org.boundaries import save_boundaries


def square(west, south, east, north):
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def polygon(*rings):
    return {"type": "Polygon", "coordinates": list(rings)}


@pytest.fixture
def mapped(cast):
    """九龙村 is 113.40–113.44 E × 28.00–28.04 N, its first grid the west half and its second the
    east half; 集镇村 lies east of it (113.44–113.48) with a lake cut out, and its grid is two
    pieces (a MultiPolygon) with the lake between them."""
    cache.clear()
    save_boundaries([
        (cast.town, polygon(square(113.30, 27.90, 113.60, 28.10))),
        (cast.jiulong, polygon(square(113.40, 28.00, 113.44, 28.04))),
        (cast.jiulong_grid, polygon(square(113.40, 28.00, 113.42, 28.04))),
        (cast.jiulong_grid2, polygon(square(113.42, 28.00, 113.44, 28.04))),
        (cast.jizhen, polygon(square(113.44, 28.00, 113.48, 28.04), square(113.455, 28.015, 113.465, 28.025))),
        (cast.jizhen_grid, {"type": "MultiPolygon", "coordinates": [
            [square(113.44, 28.00, 113.455, 28.04)], [square(113.465, 28.00, 113.48, 28.04)]]}),
    ], source="测试", illustrative=True)
    yield cast
    cache.clear()


def test_a_point_is_placed_in_its_village_and_grid(mapped):
    found = geo.locate(28.02, 113.41, mapped.town)
    assert found.as_json() == {
        "area": {"id": mapped.jiulong.pk, "name": "九龙村", "kind": "village"},
        "grid": {"id": mapped.jiulong_grid.pk, "name": "九龙村第一网格"},
    }
    assert geo.locate(28.02, 113.43, mapped.town).grid.area_id == mapped.jiulong_grid2.pk
    assert geo.locate(28.01, 113.47, mapped.town).as_json()["grid"]["name"] == "集镇村第一网格"  # second piece


def test_a_point_in_a_hole_or_outside_every_outline_is_nowhere(mapped):
    assert geo.locate(28.02, 113.46, mapped.town).as_json() == {"area": None, "grid": None}  # the lake
    assert geo.locate(28.08, 113.50, mapped.town).as_json() == {"area": None, "grid": None}  # in town, no village
    assert geo.locate(39.9, 116.4, None).as_json() == {"area": None, "grid": None}


def test_a_grid_without_its_villages_outline_still_names_the_village(mapped):
    mapped.jiulong.boundary.delete()
    assert geo.locate(28.02, 113.41, mapped.town).as_json()["area"] == {
        "id": mapped.jiulong.pk, "name": "九龙村", "kind": "village"}


def test_a_new_outline_shows_at_the_next_look_up_and_a_repeat_costs_one_query(mapped, django_assert_num_queries):
    assert geo.locate(28.05, 113.41, mapped.town).area is None
    with django_assert_num_queries(1):  # the version check; the outlines are parsed already
        geo.locate(28.05, 113.41, mapped.town)
    save_boundaries([(mapped.jiulong, polygon(square(113.40, 28.00, 113.44, 28.06)))], source="重新导入")
    assert geo.locate(28.05, 113.41, mapped.town).area.name == "九龙村"
    entry = AuditEntry.objects.filter(object_type="org.AreaBoundary", object_id=str(mapped.jiulong.pk)).order_by("-id").first()
    assert entry.action == "import" and entry.note == "导入边界：九龙村"
    assert set(entry.changes) == {"geometry_sha256", "source", "illustrative"}


def test_locate_json_answers_with_ids_and_names_only(client, mapped):
    response = client.get("/org/locate.json", {"lat": "28.02", "lng": "113.41"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "area": {"id": mapped.jiulong.pk, "name": "九龙村", "kind": "village"},
        "grid": {"id": mapped.jiulong_grid.pk, "name": "九龙村第一网格"},
    }
    response = client.get("/org/locate.json", {"lat": "28.02", "lng": "113.46", "town": mapped.town.pk})
    assert response.json() == {"area": None, "grid": None}


def test_locate_json_converts_a_wechat_gcj02_point_first(client, mapped):
    # 200 m west of the border between the two grids: in GCJ-02 the same spot reads about
    # 500 m further east, in the second grid.
    wgs = (28.02, 113.418)
    gcj = coords.wgs84_to_gcj02(*wgs)
    assert gcj[1] > 113.42
    as_gcj = client.get("/org/locate.json", {"lat": gcj[0], "lng": gcj[1], "coord_system": "gcj02"}).json()
    assert as_gcj["grid"]["name"] == "九龙村第一网格"
    taken_as_wgs = client.get("/org/locate.json", {"lat": gcj[0], "lng": gcj[1]}).json()
    assert taken_as_wgs["grid"]["name"] == "九龙村第二网格"


@pytest.mark.parametrize(
    "params, detail, field",
    [
        ({}, "请提供纬度和经度", "lat"),
        ({"lng": "113.41"}, "纬度和经度须同时填写", "lat"),
        ({"lat": "north", "lng": "113.41"}, "纬度格式不正确", "lat"),
        ({"lat": "28", "lng": "inf"}, "经度格式不正确", "lng"),
        ({"lat": "28", "lng": "nan"}, "经度超出范围", "lng"),
        ({"lat": "95", "lng": "113.41"}, "纬度超出范围", "lat"),
        ({"lat": "28", "lng": "113.41", "coord_system": "mars"}, "坐标系不正确，应为 wgs84、gcj02 或 bd09", "coord_system"),
        ({"lat": "28", "lng": "113.41", "town": "999999"}, "所选乡镇不存在", "town"),
    ],
)
def test_locate_json_refuses_bad_input_in_chinese_naming_the_parameter(client, mapped, params, detail, field):
    response = client.get("/org/locate.json", params)
    assert response.status_code == 400
    assert response.json() == {"detail": detail, "field": field}


def test_locate_json_is_rate_limited_per_address(client, mapped, settings):
    settings.ZHENWU_LOCATE_RATE = "2/m"
    for _ in range(2):
        assert client.get("/org/locate.json", {"lat": "28.02", "lng": "113.41"}).status_code == 200
    response = client.get("/org/locate.json", {"lat": "28.02", "lng": "113.41"})
    assert response.status_code == 429 and response.json()["detail"] == "查询太频繁，请稍后再试"


def test_the_boundaries_geojson_lists_villages_and_grids_with_their_properties(client, mapped):
    response = client.get("/org/boundaries.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    by_name = {f["properties"]["name"]: f for f in data["features"]}
    assert set(by_name) == {"九龙村", "九龙村第一网格", "九龙村第二网格", "集镇村", "集镇村第一网格"}  # no town
    assert by_name["九龙村"]["properties"] == {
        "id": mapped.jiulong.pk, "name": "九龙村", "kind": "village", "parent_id": mapped.town.pk, "illustrative": True}
    assert by_name["九龙村第二网格"]["properties"]["parent_id"] == mapped.jiulong.pk
    assert by_name["九龙村第二网格"]["properties"]["kind"] == "grid"
    assert by_name["集镇村"]["geometry"]["coordinates"][1][0] == [113.455, 28.015]  # the lake, as stored
    assert by_name["集镇村第一网格"]["geometry"]["type"] == "MultiPolygon"
    for feature in data["features"]:
        assert set(feature) == {"type", "id", "properties", "geometry"}


def test_the_boundaries_geojson_is_revalidated_by_its_etag_which_an_import_changes(client, mapped):
    first = client.get("/org/boundaries.geojson")
    etag = first["ETag"]
    assert first["Cache-Control"] == "public, no-cache"
    assert client.get("/org/boundaries.geojson", HTTP_IF_NONE_MATCH=etag).status_code == 304
    save_boundaries([(mapped.jiulong, polygon(square(113.40, 28.00, 113.44, 28.05)))], source="重新导入")
    again = client.get("/org/boundaries.geojson", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag


def test_the_boundaries_geojson_of_one_town(client, mapped, second_town):
    save_boundaries([(second_town.village, polygon(square(113.60, 28.00, 113.62, 28.02)))], source="测试")
    names = lambda response: {f["properties"]["name"] for f in json.loads(response.content)["features"]}  # noqa: E731
    assert "新安村" in names(client.get("/org/boundaries.geojson"))
    assert names(client.get("/org/boundaries.geojson", {"town": second_town.town.pk})) == {"新安村"}
    assert client.get("/org/boundaries.geojson", {"town": "x"}).status_code == 400
