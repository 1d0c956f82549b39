"""zhenwu.lib.coords against published reference pairs, each within 1 metre.

Sources (the values are copied from them as published):
- GCJ-02: googollee/eviltransform, go/transform_test.go (also javascript/test.js): WGS-84 and
  GCJ-02 pairs for Shanghai, Shenzhen and Beijing.
  https://github.com/googollee/eviltransform/blob/master/go/transform_test.go
- BD-09 (with WGS-84 and GCJ-02 of the same place): hujiulong/gcoord, test/fixtures/china-cities.json
  (seven decimals, ≈1 cm). https://github.com/hujiulong/gcoord/blob/master/test/fixtures/china-cities.json
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhenwu.lib import coords
from zhenwu.lib.coords import CoordSystem

# (wgs lat, wgs lng, gcj lat, gcj lng): eviltransform's tests.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# name: (WGS84 [lng, lat], GCJ02 [lng, lat], BD09 [lng, lat]): gcoord's china-cities fixture.
GCOORD = {
    "邵阳市": ([111.4622119, 27.242124], [111.4677938, 27.2388981], [111.4742271, 27.2451662]),
    "永州市": ([111.6081991, 26.4239855], [111.6134459, 26.4203993], [111.6199025, 26.4266586]),
    "郴州市": ([113.0092288, 25.7734864], [113.014722, 25.7705143], [113.0211835, 25.7765929]),
    "郑州市": ([113.6192856, 34.7478004], [113.6253334, 34.7466173], [113.6317519, 34.7528605]),
    "沈阳市": ([123.4253306, 41.8032629], [123.4314787, 41.8057023], [123.438095, 41.8114013]),
    "那曲地区": ([92.0499619, 31.4784436], [92.0512438, 31.4762063], [92.0576832, 31.4824421]),
    "酒泉市": ([98.4937175, 39.7319946], [98.4943595, 39.7328234], [98.5008441, 39.7388949]),
}

ONE_METRE = 1.0


def _off(got, lat, lng):
    return coords.distance_m(got[0], got[1], lat, lng)


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_the_published_pair(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert _off(coords.wgs84_to_gcj02(wgs_lat, wgs_lng), gcj_lat, gcj_lng) < ONE_METRE


@pytest.mark.parametrize("wgs_lat, wgs_lng, gcj_lat, gcj_lng", EVILTRANSFORM)
def test_gcj02_to_wgs84_recovers_the_published_point(wgs_lat, wgs_lng, gcj_lat, gcj_lng):
    assert _off(coords.gcj02_to_wgs84(gcj_lat, gcj_lng), wgs_lat, wgs_lng) < ONE_METRE


@pytest.mark.parametrize("name", sorted(GCOORD))
def test_every_direction_matches_gcoords_city_fixture(name):
    (wgs_lng, wgs_lat), (gcj_lng, gcj_lat), (bd_lng, bd_lat) = GCOORD[name]
    assert _off(coords.wgs84_to_gcj02(wgs_lat, wgs_lng), gcj_lat, gcj_lng) < ONE_METRE
    assert _off(coords.gcj02_to_bd09(gcj_lat, gcj_lng), bd_lat, bd_lng) < ONE_METRE
    assert _off(coords.wgs84_to_bd09(wgs_lat, wgs_lng), bd_lat, bd_lng) < ONE_METRE
    assert _off(coords.bd09_to_gcj02(bd_lat, bd_lng), gcj_lat, gcj_lng) < ONE_METRE
    assert _off(coords.bd09_to_wgs84(bd_lat, bd_lng), wgs_lat, wgs_lng) < ONE_METRE
    assert _off(coords.gcj02_to_wgs84(gcj_lat, gcj_lng), wgs_lat, wgs_lng) < ONE_METRE
    assert _off(coords.to_wgs84(bd_lat, bd_lng, CoordSystem.BD09), wgs_lat, wgs_lng) < ONE_METRE
    assert _off(coords.from_wgs84(wgs_lat, wgs_lng, "gcj02"), gcj_lat, gcj_lng) < ONE_METRE


def test_the_offsets_are_hundreds_of_metres_so_the_pairs_test_something():
    (wgs_lng, wgs_lat), (gcj_lng, gcj_lat), (bd_lng, bd_lat) = GCOORD["邵阳市"]
    assert 300 < coords.distance_m(wgs_lat, wgs_lng, gcj_lat, gcj_lng) < 1000
    assert 800 < coords.distance_m(wgs_lat, wgs_lng, bd_lat, bd_lng) < 2000


def test_the_inverses_round_trip_to_a_millimetre_across_the_town():
    for i in range(20):
        lat, lng = 28.05 + i * 0.01, 113.70 + i * 0.013
        back = coords.gcj02_to_wgs84(*coords.wgs84_to_gcj02(lat, lng))
        assert coords.distance_m(*back, lat, lng) < 0.001
        back = coords.bd09_to_wgs84(*coords.wgs84_to_bd09(lat, lng))
        assert coords.distance_m(*back, lat, lng) < 0.001


def test_outside_china_gcj02_is_wgs84():
    paris = (48.8584, 2.2945)
    assert coords.wgs84_to_gcj02(*paris) == paris
    assert coords.gcj02_to_wgs84(*paris) == paris
    assert coords.to_wgs84(*paris, "gcj02") == paris


def test_wgs84_passes_through_and_an_unknown_system_is_refused():
    assert coords.to_wgs84("28.1", "113.8", "wgs84") == (28.1, 113.8)
    with pytest.raises(ValueError):
        coords.to_wgs84(28.1, 113.8, "mars")


# --- parse_point: the one reading of a point typed, pinned or located --------------------------

@given(lat=st.floats(min_value=18.0, max_value=53.0), lng=st.floats(min_value=74.0, max_value=134.0),
       system=st.sampled_from(["wgs84", "gcj02", "bd09"]))
def test_parse_point_stores_what_to_wgs84_gives_to_six_places(lat, lng, system):
    stored = coords.parse_point(str(lat), str(lng), system)
    expected = coords.to_wgs84(round(lat, 6), round(lng, 6), system)
    assert all(isinstance(value, Decimal) and value.as_tuple().exponent == -6 for value in stored)
    assert abs(float(stored[0]) - expected[0]) <= 2e-6 and abs(float(stored[1]) - expected[1]) <= 2e-6


@pytest.mark.parametrize(
    "args, kwargs, message, field",
    [
        (("28.1", None, None), {}, "纬度和经度须同时填写", "longitude"),
        ((None, "113.8", "gcj02"), {}, "纬度和经度须同时填写", "latitude"),
        ((None, None, None), {"required": True, "lat_field": "lat"}, "请提供纬度和经度", "lat"),
        (("north", "113.8", None), {}, "纬度格式不正确", "latitude"),
        (("28.1", "inf", None), {}, "经度格式不正确", "longitude"),
        (("NaN", "113.8", None), {}, "纬度超出范围", "latitude"),
        (("95", "113.8", "bd09"), {}, "纬度超出范围", "latitude"),
        (("28.1", "113.8", "mars"), {}, "坐标系不正确，应为 wgs84、gcj02 或 bd09", "coord_system"),
    ],
)
def test_parse_point_refuses_naming_the_field(args, kwargs, message, field):
    with pytest.raises(coords.PointError) as caught:
        coords.parse_point(*args, **kwargs)
    assert (caught.value.message, caught.value.field) == (message, field)


def test_parse_point_without_a_point_is_none_and_blank_counts_as_none():
    assert coords.parse_point(None, None) == (None, None)
    assert coords.parse_point(" ", "", "gcj02") == (None, None)
