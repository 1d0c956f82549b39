"""Where a dwelling is, on the household page (/grid/households/<id>/): a small map when it has a
point; grid workers, secretaries and town admins of its scope set or correct it (a pin, the phone's
position, or degrees typed from another map app in the system that app uses), stored as WGS-84
and audited like every other household write. Others may not."""

from decimal import Decimal

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.lib.coords import distance_m, wgs84_to_bd09, wgs84_to_gcj02
from zhenwu.org.models import Household

SPOT = (28.152301, 113.631702)  # 九龙村一组 (WGS-84)


def _page(client, household):
    return client.get(f"/grid/households/{household.pk}/").content.decode()


def _post(client, household, **data):
    return client.post(f"/grid/households/{household.pk}/location/", data)


def test_a_household_without_a_point_shows_no_map_and_its_grid_worker_may_pin_it(cast, client, login):
    household = cast.households.jiulong
    login(cast.users.grid_worker)
    html = _page(client, household)
    assert "尚未标注位置" in html and 'data-map="spot"' not in html
    assert 'data-map="pin"' in html and "/static/js/map.js" in html

    response = _post(client, household, latitude=f"{SPOT[0]:.6f}", longitude=f"{SPOT[1]:.6f}", coord_system="wgs84")
    assert response.status_code == 302 and response["Location"].endswith(f"/grid/households/{household.pk}/#location")
    household.refresh_from_db()
    assert (household.latitude, household.longitude) == (Decimal("28.152301"), Decimal("113.631702"))

    html = _page(client, household)
    assert 'data-map="spot"' in html and 'data-lat="28.152301"' in html and 'data-lng="113.631702"' in html
    assert "已保存本户位置" in html

    entry = AuditEntry.objects.filter(action="update", object_type="org.Household", object_id=str(household.pk)).get()
    assert entry.changes["latitude"][1] == "28.152301" and entry.actor_id == cast.users.grid_worker.pk


@pytest.mark.parametrize("system, forward", [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_a_point_from_gaode_or_baidu_is_stored_as_wgs84(cast, client, login, system, forward):
    household = cast.households.jiulong
    login(cast.users.secretary)
    lat, lng = forward(*SPOT)
    assert distance_m(lat, lng, *SPOT) > 300  # the offset that would put the pin in the wrong place
    _post(client, household, latitude=f"{lat:.6f}", longitude=f"{lng:.6f}", coord_system=system)
    household.refresh_from_db()
    assert distance_m(float(household.latitude), float(household.longitude), *SPOT) < 0.5


def test_a_point_is_corrected_and_cleared(cast, client, login):
    household = cast.households.jiulong
    Household.objects.filter(pk=household.pk).update(latitude=Decimal("28.1"), longitude=Decimal("113.6"))
    login(cast.users.grid_worker)
    assert "修改位置" in _page(client, household)
    _post(client, household, latitude="28.152301", longitude="113.631702", coord_system="wgs84")
    household.refresh_from_db()
    assert household.latitude == Decimal("28.152301")
    _post(client, household, latitude="28.152301", longitude="113.631702", coord_system="wgs84", clear="1")
    household.refresh_from_db()
    assert household.latitude is None and household.longitude is None
    assert AuditEntry.objects.filter(object_type="org.Household", object_id=str(household.pk), action="update").count() == 2


@pytest.mark.parametrize("data, message", [
    ({"latitude": "28.15", "longitude": ""}, "请在地图上点选位置"),
    ({"latitude": "north", "longitude": "113.6"}, "纬度格式不正确"),
    ({"latitude": "95", "longitude": "113.6"}, "纬度超出范围"),
    ({"latitude": "28.15", "longitude": "113.6", "coord_system": "utm"}, "位置无效"),
])
def test_a_bad_point_is_refused_with_a_message_and_nothing_stored(cast, client, login, data, message):
    household = cast.households.jiulong
    login(cast.users.grid_worker)
    response = client.post(f"/grid/households/{household.pk}/location/", {"coord_system": "wgs84", **data}, follow=True)
    assert message in response.content.decode()
    household.refresh_from_db()
    assert household.latitude is None
    assert not AuditEntry.objects.filter(object_type="org.Household", action="update").exists()


def test_only_editors_of_its_scope_may_set_a_point(cast, client, login):
    household = cast.households.jiulong
    data = {"latitude": "28.152301", "longitude": "113.631702", "coord_system": "wgs84"}
    login(cast.users.other_grid_worker)  # 集镇村's grid worker
    assert _post(client, household, **data).status_code == 404
    client.logout()
    login(cast.users.leader)  # sees the household, edits no households
    assert 'data-map="pin"' not in _page(client, household)
    assert _post(client, household, **data).status_code == 404
    household.refresh_from_db()
    assert household.latitude is None
    client.logout()
    assert client.get(f"/grid/households/{household.pk}/location/").status_code in (302, 405)


def test_a_point_inside_another_grids_outline_is_flagged_for_checking(cast, client, login):
    from zhenwu.org.boundaries import save_boundaries

    def square(lat, lng, half):
        ring = [[lng - half, lat - half], [lng + half, lat - half], [lng + half, lat + half],
                [lng - half, lat + half], [lng - half, lat - half]]
        return {"type": "Polygon", "coordinates": [ring]}

    save_boundaries([(cast.jiulong_grid, square(SPOT[0], SPOT[1], 0.002)),
                     (cast.jiulong_grid2, square(SPOT[0], SPOT[1] + 0.01, 0.002))], source="测试", illustrative=True)
    household = cast.households.jiulong  # in 九龙村第一网格
    login(cast.users.grid_worker)
    _post(client, household, latitude=f"{SPOT[0]:.6f}", longitude=f"{SPOT[1]:.6f}", coord_system="wgs84")
    assert 'data-testid="household-elsewhere"' not in _page(client, household)
    _post(client, household, latitude=f"{SPOT[0]:.6f}", longitude=f"{SPOT[1] + 0.01:.6f}", coord_system="wgs84")
    html = _page(client, household)
    assert f"此位置在{cast.jiulong_grid2.name}的边界内，不在本户所属的{cast.jiulong_grid.name}" in html
