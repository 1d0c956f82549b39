"""Open311 in a county deployment: jurisdiction_id (a town's area code) selects the town, discovery
lists the towns, services are the town's categories and a POST files in the selected town."""

import pytest
from django.core.cache import cache

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns.models import Category, Concern, TownCategorySetting
from zhenwu.open311.keys import create_api_key
from zhenwu.open311.models import Open311Request
from zhenwu.org.models import Department

from . import open311_spec as spec

BASE = "/open311/v2"
GQ = "430181110"  # 官桥镇
LF = "430181120"  # 龙伏镇


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def county(world, second_town):
    """官桥镇 (the cast's town) and 龙伏镇, each with an extra category of its own; 龙伏镇 routes
    道路交通 to its own 城建站."""
    gq_extra = Category.objects.create(
        town=world.cast.town, code="GQ-1", name="茶园灌溉", response_limit_days=1, resolution_limit_days=5
    )
    lf_station = Department.objects.create(name="龙伏镇城建站", town=second_town.town)
    lf_extra = Category.objects.create(
        town=second_town.town, code="LF-1", name="烟花爆竹安全", default_department=lf_station,
        response_limit_days=1, resolution_limit_days=3,
    )
    TownCategorySetting.objects.create(town=second_town.town, category=world.road, default_department=lf_station)
    key, plain = create_api_key(name="市12345热线", rate_limit_per_minute=1000)
    world.lf, world.gq_extra, world.lf_extra, world.lf_station, world.api_key = (
        second_town, gq_extra, lf_extra, lf_station, plain
    )
    return world


def post(o3, **overrides):
    data = {
        "api_key": o3.api_key,
        "jurisdiction_id": LF,
        "service_code": "road",
        "address_string": "新安村村口",
        "description": "新安村村口的路塌了一块，车子过不去。",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts():
    return (Concern.objects.count(), Open311Request.objects.count(), AuditEntry.objects.count())


def test_discovery_lists_every_town_as_a_jurisdiction_in_json_and_xml(client, county):
    data = client.get(f"{BASE}/discovery.json").json()
    spec.check_discovery_json(data)
    assert data["jurisdictions"] == [
        {"jurisdiction_id": GQ, "name": "官桥镇"},
        {"jurisdiction_id": LF, "name": "龙伏镇"},
    ]
    root = spec.parse_xml(client.get(f"{BASE}/discovery.xml"))
    found = [
        spec.xml_record(j, spec.JURISDICTION) for j in root.findall("jurisdictions/jurisdiction")
    ]
    assert found == [{"jurisdiction_id": GQ, "name": "官桥镇"}, {"jurisdiction_id": LF, "name": "龙伏镇"}]


def test_services_of_a_jurisdiction_are_the_county_catalogue_and_its_own_extras_only(client, county):
    gq = client.get(f"{BASE}/services.json", {"jurisdiction_id": GQ}).json()
    spec.check_services_json(gq)
    assert {s["service_code"] for s in gq} == {"road", "sanitation", "lamp", "GQ-1"}
    root = spec.parse_xml(client.get(f"{BASE}/services.xml", {"jurisdiction_id": LF}))
    assert {spec.xml_record(s, spec.SERVICE)["service_code"] for s in root} == {"road", "sanitation", "lamp", "LF-1"}


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_without_jurisdiction_a_county_deployment_asks_for_one(client, county, fmt):
    response = client.get(f"{BASE}/services.{fmt}")
    assert response.status_code == 400
    errors = response.json() if fmt == "json" else spec.check_errors_xml(spec.parse_xml(response))
    assert errors[0]["code"] == "400" and "jurisdiction_id" in errors[0]["description"]


def test_another_towns_extra_has_no_definition_in_this_jurisdiction(client, county):
    assert client.get(f"{BASE}/services/LF-1.json", {"jurisdiction_id": LF}).status_code == 200
    response = client.get(f"{BASE}/services/LF-1.json", {"jurisdiction_id": GQ})
    assert response.status_code == 404
    errors = response.json()
    spec.check_errors_json(errors)
    assert "LF-1" in errors[0]["description"] and "官桥镇" in errors[0]["description"]


def test_a_post_files_in_the_selected_town_and_is_followed_there_only(client, county):
    response = client.post(f"{BASE}/requests.json", post(county))
    assert response.status_code == 200, response.content
    reference = response.json()[0]["service_request_id"]
    concern = Concern.objects.get(reference=reference)
    assert concern.town_id == county.lf.town.pk
    assert concern.area_id == county.lf.village.pk
    # Followed up in its own jurisdiction, and not found in the other.
    assert client.get(f"{BASE}/requests/{reference}.json", {"jurisdiction_id": LF}).status_code == 200
    assert client.get(f"{BASE}/requests/{reference}.json", {"jurisdiction_id": GQ}).status_code == 404

    response = client.post(f"{BASE}/requests.json", post(county, service_code="LF-1"))
    assert response.status_code == 200, response.content
    concern = Concern.objects.get(reference=response.json()[0]["service_request_id"])
    assert concern.town_id == county.lf.town.pk and concern.category_id == county.lf_extra.pk


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_post_naming_another_towns_extra_is_refused_and_nothing_is_written(client, county, fmt):
    before = counts()
    response = client.post(
        f"{BASE}/requests.{fmt}",
        post(county, jurisdiction_id=GQ, service_code="LF-1", address_string="九龙村学校门口"),
    )
    assert response.status_code == 404, response.content
    errors = response.json() if fmt == "json" else spec.check_errors_xml(spec.parse_xml(response))
    assert errors[0]["code"] == "404" and "LF-1" in errors[0]["description"]
    assert counts() == before


def test_a_post_without_jurisdiction_in_a_county_deployment_is_refused(client, county):
    before = counts()
    response = client.post(f"{BASE}/requests.json", post(county, jurisdiction_id=None))
    assert response.status_code == 400
    assert "jurisdiction_id" in response.json()[0]["description"]
    assert counts() == before
