"""A project's place: those who may manage the project (its department's handlers, the
dispatchers of its town) pin it on the staff project page, or type degrees in the system of the
map app they came from; stored as WGS-84, audited, and shown on the public pages' map."""

import datetime
from decimal import Decimal

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import services
from zhenwu.concerns.models import Project
from zhenwu.lib.coords import distance_m, wgs84_to_gcj02

from .staff_helpers import in_state, text

SPOT = (28.201234, 113.412345)


@pytest.fixture
def project(submit, world):
    concern = in_state("dispatched", submit=submit, world=world, area=world.cast.jizhen_grid,
                       text="岸山路是断头路，村民出行要绕行五公里。")
    project = services.start_or_join_project(
        concern, by=world.users.handler, name="岸山路贯通工程", on_date=datetime.date(2026, 3, 2))
    project.concern = concern
    return project


def _url(project):
    return f"/concerns/projects/{project.pk}/location/"


def test_the_handler_pins_the_project_and_the_public_page_shows_it_there(client, login, world, project):
    assert project.latitude is None
    login(world.users.handler)
    page = client.get(f"/concerns/projects/{project.pk}/").content.decode()
    assert "尚未标注位置" in page and 'data-map="pin"' in page and "/static/js/map.js" in page

    response = client.post(_url(project), {"latitude": "28.201234", "longitude": "113.412345", "coord_system": "wgs84"})
    assert response.status_code == 302
    project.refresh_from_db()
    assert (project.latitude, project.longitude) == (Decimal("28.201234"), Decimal("113.412345"))
    entry = AuditEntry.objects.filter(object_type="concerns.Project", object_id=str(project.pk), note="设置项目位置").get()
    assert entry.changes["latitude"] == [None, "28.201234"]

    page = client.get(f"/concerns/projects/{project.pk}/").content.decode()
    assert 'data-map="spot"' in page and "修改位置" in page and "已保存项目位置" in page
    client.logout()
    public = client.get(f"/concerns/board/{project.concern.reference}/").content.decode()
    assert 'data-map="spot"' in public and 'data-lat="28.201234"' in public and 'data-lng="113.412345"' in public


def test_a_gaode_point_is_converted_and_a_point_cleared(client, login, world, project):
    login(world.users.dispatcher)
    lat, lng = wgs84_to_gcj02(*SPOT)
    client.post(_url(project), {"latitude": f"{lat:.6f}", "longitude": f"{lng:.6f}", "coord_system": "gcj02"})
    project.refresh_from_db()
    assert distance_m(float(project.latitude), float(project.longitude), *SPOT) < 0.5
    client.post(_url(project), {"latitude": "", "longitude": "", "coord_system": "wgs84", "clear": "1"})
    project.refresh_from_db()
    assert project.latitude is None and project.longitude is None
    client.logout()
    assert "data-map" not in client.get(f"/concerns/board/{project.concern.reference}/").content.decode()


@pytest.mark.parametrize("data, message", [
    ({"latitude": "28.2", "longitude": ""}, "请在地图上点选位置"),
    ({"latitude": "北纬28", "longitude": "113.4"}, "纬度格式不正确"),
    ({"latitude": "28.2", "longitude": "190"}, "经度超出范围"),
])
def test_a_bad_point_is_refused_on_the_page_and_nothing_stored(client, login, world, project, data, message):
    login(world.users.handler)
    response = client.post(_url(project), {"coord_system": "wgs84", **data})
    assert response.status_code == 200 and message in text(response)
    assert Project.objects.get(pk=project.pk).latitude is None


def test_staff_who_may_not_manage_the_project_cannot_place_it(client, login, world, project):
    data = {"latitude": "28.201234", "longitude": "113.412345", "coord_system": "wgs84"}
    login(world.users.leader)
    page = client.get(f"/concerns/projects/{project.pk}/")
    assert page.status_code == 200 and 'data-map="pin"' not in page.content.decode()  # sees, may not place
    assert client.post(_url(project), data).status_code == 403
    assert Project.objects.get(pk=project.pk).latitude is None
    with pytest.raises(services.ConcernPermissionDenied):
        services.set_project_location(project, by=world.users.leader, latitude="28.2", longitude="113.4")
