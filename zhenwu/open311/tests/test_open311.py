"""Open311 GeoReport v2: every endpoint in JSON and XML, the filters, POST, tokens and bad input.

Every JSON response is checked against the specification's field lists (open311_spec.py) and
every XML response is parsed (defusedxml) and checked the same way."""

import datetime
import json
import secrets

import pytest
import time_machine
from django.core.cache import cache

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import services
from zhenwu.concerns.models import (
    Channel,
    Concern,
    Outcome,
    ServiceAttribute,
    Status,
)
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.lib.crypto import hash_token
from zhenwu.open311.keys import create_api_key, revoke_api_key
from zhenwu.open311.models import Open311Request
from zhenwu.org.models import Area, AreaLevel

from . import open311_spec as spec
from .conftest import local

BASE = "/open311/v2"
TOWN = "430181110"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def o3(world, settings):
    """The concern world plus extra questions of every datatype on 'road' and an API key."""
    road = world.road
    ServiceAttribute.objects.create(
        category=road, code="width", datatype="number", required=True, description="路面宽度(米)", order=1
    )
    ServiceAttribute.objects.create(
        category=road,
        code="kind",
        datatype="singlevaluelist",
        required=True,
        description="问题类型",
        order=2,
        values=[{"key": "pothole", "name": "坑洼"}, {"key": "deadend", "name": "断头路"}],
    )
    ServiceAttribute.objects.create(
        category=road,
        code="who",
        datatype="multivaluelist",
        required=False,
        description="受影响人群",
        order=3,
        values=[{"key": "pupils", "name": "学生"}, {"key": "elderly", "name": "老人"}],
    )
    ServiceAttribute.objects.create(
        category=road, code="since", datatype="datetime", required=False, description="发现时间", order=4
    )
    ServiceAttribute.objects.create(
        category=road, code="landmark", datatype="string", required=False, description="附近地标", order=5
    )
    ServiceAttribute.objects.create(
        category=road, code="detail", datatype="text", required=False, description="补充说明", order=6
    )
    key, plain = create_api_key(name="市12345热线", rate_limit_per_minute=1000)
    world.key, world.api_key = key, plain
    return world


def road_post(o3, **overrides):
    data = {
        "api_key": o3.api_key,
        "jurisdiction_id": TOWN,
        "service_code": "road",
        "lat": "28.155000",
        "long": "113.640000",
        "address_string": "九龙村学校门口",
        "description": "学校门口的路坑坑洼洼，下雨天全是积水。",
        "attribute[width]": "4.5",
        "attribute[kind]": "pothole",
        "email": "li@example.com",
        "first_name": "四",
        "last_name": "李",
        "phone": "13800138000",
        "device_id": "device-1",
        "account_id": "acct-9",
        "media_url": "https://photos.example.com/a.jpg",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def nothing_written(before):
    return (Concern.objects.count(), Open311Request.objects.count(), AuditEntry.objects.count()) == before


def counts():
    return (Concern.objects.count(), Open311Request.objects.count(), AuditEntry.objects.count())


def public_concern(submit, by, **kwargs):
    concern = submit(**kwargs).concern
    return services.dispatch_concern(concern, by=by)


# --- discovery and services ------------------------------------------------------------------


def test_discovery_is_served_in_json_and_xml(client, o3):
    response = client.get(f"{BASE}/discovery.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = response.json()
    spec.check_discovery_json(data)
    endpoint = data["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}

    root = spec.parse_xml(client.get(f"{BASE}/discovery.xml"))
    assert root.tag == "discovery"
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("specification") == "http://wiki.open311.org/GeoReport_v2"
    assert sorted(f.text for f in endpoint.findall("formats/format")) == ["application/json", "text/xml"]


def test_services_lists_every_active_category_with_its_metadata_flag(client, o3):
    o3.lamp.is_active = False
    o3.lamp.save()
    data = client.get(f"{BASE}/services.json", {"jurisdiction_id": TOWN}).json()
    spec.check_services_json(data)
    by_code = {s["service_code"]: s for s in data}
    assert set(by_code) == {"road", "sanitation"}
    assert by_code["road"]["metadata"] is True
    assert by_code["sanitation"]["metadata"] is False
    assert by_code["road"]["keywords"] == "道路,修路,断头路"
    assert by_code["road"]["type"] == "realtime"

    root = spec.parse_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    records = [spec.xml_record(s, spec.SERVICE) for s in root]
    assert all(s.tag == "service" for s in root)
    assert {r["service_code"]: r["metadata"] for r in records} == {"road": "true", "sanitation": "false"}


def test_service_definition_gives_attributes_of_every_datatype(client, o3):
    data = client.get(f"{BASE}/services/road.json").json()
    spec.check_definition_json(data)
    assert [a["datatype"] for a in data["attributes"]] == [
        "number", "singlevaluelist", "multivaluelist", "datetime", "string", "text",
    ]
    kind = data["attributes"][1]
    assert kind["code"] == "kind" and kind["required"] is True and kind["order"] == 2
    assert kind["values"] == [{"key": "pothole", "name": "坑洼"}, {"key": "deadend", "name": "断头路"}]

    root = spec.parse_xml(client.get(f"{BASE}/services/road.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "road"
    attributes = root.findall("attributes/attribute")
    assert len(attributes) == 6
    values = attributes[1].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [("pothole", "坑洼"), ("deadend", "断头路")]
    assert attributes[0].findtext("variable") == "true"


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_unknown_service_is_404_in_the_spec_error_format(client, o3, fmt):
    response = client.get(f"{BASE}/services/nosuch.{fmt}")
    assert response.status_code == 404
    if fmt == "json":
        errors = response.json()
        spec.check_errors_json(errors)
    else:
        errors = spec.check_errors_xml(spec.parse_xml(response))
    assert errors[0]["code"] == "404"
    assert "nosuch" in errors[0]["description"]


# --- POST ------------------------------------------------------------------------------------


def test_post_registers_a_concern_through_the_intake_service(client, o3):
    response = client.post(
        f"{BASE}/requests.json",
        road_post(o3, **{"attribute[who][]": ["pupils", "elderly"], "attribute[since]": "2026-09-01T08:00:00+08:00"}),
    )
    assert response.status_code == 200, response.content
    data = response.json()
    spec.check_post_json(data)
    reference = data[0]["service_request_id"]
    concern = Concern.objects.get(reference=reference)
    assert concern.channel == Channel.API
    assert concern.status == Status.RECEIVED
    assert concern.category == o3.road
    assert concern.village == o3.cast.jiulong  # "九龙村" in the address
    assert concern.reporter_name == "李四" and concern.reporter_phone == "13800138000"
    assert str(concern.latitude) == "28.155000"
    assert "路面宽度(米)：4.5" in concern.text and "受影响人群：学生、老人" in concern.text
    assert concern.events.get().kind == "submitted"
    record = concern.open311
    assert record.attributes["who"] == ["pupils", "elderly"]
    assert record.contact == {
        "email": "li@example.com", "first_name": "四", "last_name": "李",
        "device_id": "device-1", "account_id": "acct-9",
    }
    entry = AuditEntry.objects.get(object_type="concerns.Concern", object_id=str(concern.pk))
    assert entry.actor_label == "Open311:市12345热线"
    o3.key.refresh_from_db()
    assert o3.key.last_used_at is not None


def test_post_with_key_and_jurisdiction_in_the_query_string_and_xml_answer(client, o3):
    body = road_post(o3, api_key=None, jurisdiction_id=None)
    response = client.post(f"{BASE}/requests.xml?api_key={o3.api_key}&jurisdiction_id={TOWN}", body)
    assert response.status_code == 200, response.content
    root = spec.parse_xml(response)
    assert root.tag == "service_requests"
    request = root.find("request")
    record = spec.xml_record(request, spec.POST_RESPONSE)
    assert Concern.objects.filter(reference=record["service_request_id"]).exists()
    assert "token" not in record


def test_address_id_places_the_concern_in_that_grid(client, o3):
    response = client.post(
        f"{BASE}/requests.json", road_post(o3, lat=None, long=None, address_string=None, address_id="430181110202-01")
    )
    assert response.status_code == 200, response.content
    concern = Concern.objects.get(reference=response.json()[0]["service_request_id"])
    assert concern.area == o3.cast.jizhen_grid and concern.village == o3.cast.jizhen


def test_coordinates_alone_land_in_the_default_intake_area(client, o3, settings):
    settings.ZHENWU_OPEN311_DEFAULT_AREA = "430181110202"
    response = client.post(
        f"{BASE}/requests.json", road_post(o3, address_string=None, description="路面塌陷一米多宽。")
    )
    assert response.status_code == 200, response.content
    assert Concern.objects.get().village == o3.cast.jizhen


def test_contact_fields_are_never_returned(client, o3, submit):
    response = client.post(f"{BASE}/requests.json", road_post(o3))
    reference = response.json()[0]["service_request_id"]
    services.dispatch_concern(Concern.objects.get(reference=reference), by=o3.users.dispatcher)
    bodies = b"".join(
        client.get(url).content
        for url in (
            f"{BASE}/requests/{reference}.json",
            f"{BASE}/requests/{reference}.xml",
            f"{BASE}/requests.json",
            f"{BASE}/requests.xml",
        )
    )
    assert reference.encode() in bodies
    for secret in ("li@example.com", "13800138000", "device-1", "acct-9", "李四"):
        assert secret.encode() not in bodies


# --- GET requests ----------------------------------------------------------------------------


def test_one_request_is_an_array_of_one_with_department_notes_and_due_date(client, o3, submit):
    concern = public_concern(submit, o3.users.dispatcher)
    data = client.get(f"{BASE}/requests/{concern.reference}.json").json()
    spec.check_requests_json(data)
    assert len(data) == 1
    request = data[0]
    assert request["service_request_id"] == concern.reference
    assert request["status"] == "open"
    assert request["service_code"] == "road" and request["service_name"] == "道路交通"
    assert request["agency_responsible"] == "城建办"
    assert request["status_notes"] == "已转交城建办办理。"
    assert request["expected_datetime"] == concern.resolution_due.astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    ).isoformat(timespec="seconds")
    assert request["description"] == concern.text

    records = spec.check_requests_xml(spec.parse_xml(client.get(f"{BASE}/requests/{concern.reference}.xml")))
    assert len(records) == 1
    assert records[0]["agency_responsible"] == "城建办"
    assert records[0]["expected_datetime"].endswith("+08:00")


def test_a_concern_not_yet_accepted_is_listed_without_its_text_or_place(client, o3, submit):
    concern = submit(latitude="28.1", longitude="113.6", address="九龙村一组")
    request = client.get(f"{BASE}/requests/{concern.concern.reference}.json").json()[0]
    assert request["status"] == "open"
    assert request["description"] is None and request["address"] is None and request["lat"] is None
    assert request["status_notes"].startswith("诉求已登记")


def test_public_text_hides_phone_numbers_and_the_reporters_name(client, o3, submit):
    concern = public_concern(submit, o3.users.dispatcher, text="我是李四，电话13912345678，路灯坏了。")
    request = client.get(f"{BASE}/requests/{concern.reference}.json").json()[0]
    assert "13912345678" not in request["description"] and "李四" not in request["description"]
    assert "139****5678" in request["description"]


def test_resolved_declined_and_merged_concerns_are_closed_with_their_notes(client, o3, submit):
    by = o3.users.dispatcher
    resolved = public_concern(submit, by)
    services.resolve_concern(resolved, by=o3.users.handler, outcome=Outcome.FIXED, text="已修复路面。")
    declined = services.decline_concern(submit().concern, by=by, reason="不属于本镇事务")
    original = public_concern(submit, by)
    duplicate = services.link_duplicate(submit().concern, original, by=by)
    data = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    spec.check_requests_json(data)
    by_id = {r["service_request_id"]: r for r in data}
    assert set(by_id) == {resolved.reference, declined.reference, duplicate.reference}
    assert by_id[resolved.reference]["status_notes"] == "【已解决】已修复路面。"
    assert by_id[declined.reference]["status_notes"] == "不予受理：不属于本镇事务"
    assert original.reference in by_id[duplicate.reference]["status_notes"]
    resolved.refresh_from_db()
    assert by_id[resolved.reference]["updated_datetime"] == resolved.resolved_at.astimezone(
        datetime.timezone(datetime.timedelta(hours=8))
    ).isoformat(timespec="seconds")
    open_ids = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json", {"status": "open"}).json()}
    assert original.reference in open_ids and resolved.reference not in open_ids


def test_filters_by_service_code_list_and_request_id_list(client, o3, submit):
    road = submit().concern
    sanitation = submit(category=o3.sanitation).concern
    lamp = submit(category=o3.lamp).concern
    ids = lambda data: {r["service_request_id"] for r in data}  # noqa: E731
    assert ids(client.get(f"{BASE}/requests.json", {"service_code": "road,lamp"}).json()) == {
        road.reference, lamp.reference,
    }
    # service_request_id overrides every other filter.
    data = client.get(
        f"{BASE}/requests.json",
        {"service_request_id": f"{sanitation.reference}, {lamp.reference}", "service_code": "road", "status": "closed"},
    ).json()
    assert ids(data) == {sanitation.reference, lamp.reference}
    records = spec.check_requests_xml(
        spec.parse_xml(client.get(f"{BASE}/requests.xml", {"service_request_id": road.reference}))
    )
    assert [r["service_request_id"] for r in records] == [road.reference]


def test_date_filters_and_the_default_ninety_day_window(client, o3, submit):
    old = submit(received_at=local(2026, 3, 2, 10, 0)).concern
    recent = submit(received_at=local(2026, 9, 20, 10, 0)).concern
    ids = lambda **q: [r["service_request_id"] for r in client.get(f"{BASE}/requests.json", q).json()]  # noqa: E731
    with time_machine.travel(local(2026, 10, 8, 9, 0), tick=False):
        assert ids() == [recent.reference]
        assert ids(start_date="2026-03-01T00:00:00+08:00", end_date="2026-03-31T00:00:00+08:00") == [old.reference]
        # A '+' left unescaped in a query string arrives as a space; it is read back.
        assert ids(start_date="2026-03-01T00:00:00 08:00", end_date="2026-03-03") == [old.reference]
        assert ids(start_date="2026-03-02T02:00:00Z") == [old.reference]  # = 10:00 +08:00
        assert ids(end_date="2026-03-02T01:59:59Z") == []
        assert ids(start_date="2026-09-01") == [recent.reference]


@pytest.mark.parametrize(
    "query",
    [
        {"start_date": "2026/03/01"},
        {"start_date": "yesterday"},
        {"end_date": "2026-13-01T00:00:00+08:00"},
        {"start_date": "2026-01-01", "end_date": "2026-06-01"},
        {"start_date": "2026-06-01", "end_date": "2026-05-01"},
        {"status": "pending"},
        {"page": "0"},
        {"page_size": "1001"},
        {"page": "abc"},
    ],
)
def test_bad_filters_are_answered_with_400_in_both_formats(client, o3, query):
    response = client.get(f"{BASE}/requests.json", query)
    assert response.status_code == 400
    spec.check_errors_json(response.json())
    response = client.get(f"{BASE}/requests.xml", query)
    assert response.status_code == 400
    assert spec.check_errors_xml(spec.parse_xml(response))[0]["code"] == "400"


def bulk_concerns(world, n, *, start):
    """n concerns written straight to the table (the cap and paging need more than a handful)."""
    rows = []
    for i in range(n):
        at = start + datetime.timedelta(minutes=i)
        rows.append(
            Concern(
                reference=f"BK-2026-{i:06d}",
                channel=Channel.WEB,
                title="测试",
                text="测试诉求",
                category=world.road,
                area=world.cast.jiulong_grid,
                village=world.cast.jiulong,
                town=world.cast.town,
                follow_token_hash=hash_token(secrets.token_hex(8)),
                status=Status.ACCEPTED,
                received_at=at,
                received_month=at.date().replace(day=1),
                response_due=at + datetime.timedelta(days=1),
                resolution_due=at + datetime.timedelta(days=5),
            )
        )
    Concern.objects.bulk_create(rows, batch_size=500)


def test_a_list_holds_at_most_1000_requests_and_pages_beyond(client, o3, django_assert_max_num_queries):
    with time_machine.travel(local(2026, 10, 8, 9, 0), tick=False):
        bulk_concerns(o3, 1005, start=local(2026, 10, 1, 0, 0))
        with django_assert_max_num_queries(4):
            response = client.get(f"{BASE}/requests.json")
        data = response.json()
        spec.check_requests_json(data)
        assert len(data) == 1000
        assert data[0]["service_request_id"] == "BK-2026-001004"  # newest first
        assert 'rel="next"' in response["Link"]
        second = client.get(f"{BASE}/requests.json", {"page": "2", "page_size": "1000"}).json()
        assert [r["service_request_id"] for r in second] == [f"BK-2026-{i:06d}" for i in range(4, -1, -1)]
        page = client.get(f"{BASE}/requests.json", {"page": "3", "page_size": "10"}).json()
        assert [r["service_request_id"] for r in page][0] == "BK-2026-000984"


def test_a_list_is_kept_a_minute_per_query_while_ids_and_one_request_stay_live(
    client, o3, submit, settings, django_assert_max_num_queries
):
    """ZHENWU_OPEN311_LIST_CACHE_SECONDS (60 in production; 0 in the other tests): the same list
    query within the minute is answered from the cache, byte for byte and with its Link; another
    query, the other format, a service_request_id query and a request's own URL are read live."""
    settings.ZHENWU_OPEN311_LIST_CACHE_SECONDS = 60
    with time_machine.travel(local(2026, 10, 8, 9, 0), tick=False):
        bulk_concerns(o3, 12, start=local(2026, 10, 1, 0, 0))
        first = client.get(f"{BASE}/requests.json", {"page_size": "10"})
        assert len(first.json()) == 10 and 'rel="next"' in first["Link"]
        new = submit().concern
        with django_assert_max_num_queries(1):  # the jurisdiction's town; no list query
            again = client.get(f"{BASE}/requests.json", {"page_size": "10"})
        assert again.content == first.content and again["Link"] == first["Link"]
        assert again["Content-Type"] == first["Content-Type"]
        assert new.reference not in again.content.decode()
        # Another query, the other format: read now, so they show the new concern.
        assert new.reference in client.get(f"{BASE}/requests.json", {"page_size": "11"}).content.decode()
        assert new.reference in client.get(f"{BASE}/requests.xml", {"page_size": "10"}).content.decode()
        by_id = client.get(f"{BASE}/requests.json", {"service_request_id": new.reference}).json()
        assert [r["service_request_id"] for r in by_id] == [new.reference]
        assert client.get(f"{BASE}/requests/{new.reference}.json").json()[0]["service_request_id"] == new.reference
    with time_machine.travel(local(2026, 10, 8, 9, 2), tick=False):
        cache.clear()  # locmem's expiry reads the real clock: what a minute later looks like
        assert new.reference in client.get(f"{BASE}/requests.json", {"page_size": "10"}).content.decode()


def test_errors_are_never_kept(client, o3, settings):
    settings.ZHENWU_OPEN311_LIST_CACHE_SECONDS = 60
    for _ in range(2):
        response = client.get(f"{BASE}/requests.json", {"status": "lost"})
        assert response.status_code == 400
    assert not [k for k in cache._cache if "open311:requests:" in k]  # locmem's own store
    assert client.get(f"{BASE}/requests.json").status_code == 200
    assert len([k for k in cache._cache if "open311:requests:" in k]) == 1


# --- jurisdiction ----------------------------------------------------------------------------


def test_jurisdiction_is_checked_and_empty_means_the_default_town(client, o3, settings):
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": ""}).status_code == 200
    response = client.get(f"{BASE}/services.json", {"jurisdiction_id": "sfgov.org"})
    assert response.status_code == 404
    spec.check_errors_json(response.json())
    Area.objects.add_child(o3.cast.county, dict(name="镇头镇", level=AreaLevel.TOWN, code="430181111"))
    response = client.get(f"{BASE}/services.xml")
    assert response.status_code == 400
    assert "jurisdiction_id" in spec.check_errors_xml(spec.parse_xml(response))[0]["description"]
    assert client.get(f"{BASE}/services.json", {"jurisdiction_id": "430181111"}).status_code == 200
    settings.ZHENWU_TOWN_CODE = TOWN
    assert client.get(f"{BASE}/services.json").status_code == 200


def test_requests_of_another_town_are_not_found_in_this_one(client, o3, submit):
    other = Area.objects.add_child(o3.cast.county, dict(name="镇头镇", level=AreaLevel.TOWN, code="430181111"))
    concern = submit().concern
    response = client.get(f"{BASE}/requests/{concern.reference}.json", {"jurisdiction_id": other.code})
    assert response.status_code == 404
    assert client.get(f"{BASE}/requests.json", {"jurisdiction_id": other.code}).json() == []


# --- bad input -------------------------------------------------------------------------------

BAD_POSTS = [
    (dict(api_key=None), 403, "api_key"),
    (dict(api_key="not-a-key"), 403, "api_key"),
    (dict(service_code="nosuch"), 404, "service_code"),
    (dict(service_code=None), 400, "service_code"),
    (dict(lat="abc"), 400, "lat"),
    (dict(lat="28,15"), 400, "lat"),
    (dict(lat="NaN"), 400, "lat"),
    (dict(lat="91"), 400, "lat"),
    (dict(long="-180.5"), 400, "long"),
    (dict(long=None), 400, "lat"),
    (dict(lat=None, long=None, address_string=None), 400, "位置"),
    (dict(address_id="999999"), 400, "address_id"),
    (dict(**{"attribute[width]": None}), 400, "attribute[width]"),
    (dict(**{"attribute[width]": "wide"}), 400, "attribute[width]"),
    (dict(**{"attribute[kind]": "flood"}), 400, "attribute[kind]"),
    (dict(**{"attribute[who][]": ["pupils", "cats"]}), 400, "attribute[who]"),
    (dict(**{"attribute[since]": "last week"}), 400, "attribute[since]"),
    (dict(**{"attribute[nosuch]": "x"}), 400, "attribute[nosuch]"),
    (dict(media_url="javascript:alert(1)"), 400, "media_url"),
    (dict(email="not-an-email"), 400, "email"),
    (dict(phone="12345"), 400, "phone"),
    (dict(description="长" * 2001), 400, "description"),
    (dict(jurisdiction_id="nowhere"), 404, "jurisdiction_id"),
]


@pytest.mark.parametrize("overrides,status,word", BAD_POSTS)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_bad_posts_get_the_spec_error_and_nothing_is_written(client, o3, overrides, status, word, fmt):
    before = counts()
    response = client.post(f"{BASE}/requests.{fmt}", road_post(o3, **overrides))
    assert response.status_code == status, response.content
    if fmt == "json":
        errors = response.json()
        spec.check_errors_json(errors)
    else:
        errors = spec.check_errors_xml(spec.parse_xml(response))
    assert errors[0]["code"] == str(status)
    assert word in errors[0]["description"]
    assert nothing_written(before)


def test_a_revoked_key_is_refused(client, o3):
    revoke_api_key(o3.key, by=o3.users.town_admin)
    before = counts()
    response = client.post(f"{BASE}/requests.json", road_post(o3))
    assert response.status_code == 403
    spec.check_errors_json(response.json())
    assert nothing_written(before)


def test_a_ten_megabyte_body_is_refused_without_a_trace(client, o3):
    before = counts()
    body = f"api_key={o3.api_key}&service_code=road&lat=28.1&long=113.6&description=" + "x" * (10 * 1024 * 1024)
    response = client.post(f"{BASE}/requests.xml", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert spec.check_errors_xml(spec.parse_xml(response))[0]["code"] == "413"
    assert nothing_written(before)


@pytest.mark.parametrize(
    "body",
    [
        b"description=%FF%FE%FD&service_code=road&lat=28.1&long=113.6&attribute[width]=1&attribute[kind]=pothole",
        b"description=\xc3\x28&service_code=road&lat=28.1&long=113.6&attribute[width]=1&attribute[kind]=pothole",
        b"description=%ED%A0%80&service_code=road&lat=28.1&long=113.6&attribute[width]=1&attribute[kind]=pothole",
    ],
)
def test_invalid_utf8_is_refused(client, o3, body):
    before = counts()
    response = client.post(
        f"{BASE}/requests.json?api_key={o3.api_key}", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()[0]["description"]
    assert nothing_written(before)
    response = client.get(f"{BASE}/requests.json?service_code=%FF")
    assert response.status_code == 400


def test_a_nul_character_is_refused(client, o3):
    response = client.get(f"{BASE}/requests.json?service_code=road%00")
    assert response.status_code == 400
    spec.check_errors_json(response.json())


def test_xml_entities_and_doctypes_in_a_field_are_stored_and_served_as_inert_text(client, o3):
    evil = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x> 路面塌陷'
    response = client.post(
        f"{BASE}/requests.xml",
        road_post(o3, description=evil, address_string="九龙村<![CDATA[x]]>&amp;", **{"attribute[landmark]": "&xxe;"}),
    )
    assert response.status_code == 200, response.content
    reference = spec.xml_record(spec.parse_xml(response).find("request"), spec.POST_RESPONSE)["service_request_id"]
    concern = Concern.objects.get(reference=reference)
    assert concern.text.startswith(evil)
    services.accept_concern(concern, by=o3.users.dispatcher)
    # defusedxml refuses DTDs and entities: parsing succeeds only because they came back escaped.
    record = spec.check_requests_xml(spec.parse_xml(client.get(f"{BASE}/requests/{reference}.xml")))[0]
    assert record["description"].startswith(evil)
    assert record["address"] == "九龙村<![CDATA[x]]>&amp;"
    assert "root:" not in record["description"]
    assert client.get(f"{BASE}/requests/{reference}.json").json()[0]["description"].startswith(evil)


def test_control_characters_in_stored_text_do_not_break_the_xml(client, o3, submit):
    concern = public_concern(submit, o3.users.dispatcher, text="路灯\x0b坏了\x01。")
    record = spec.check_requests_xml(spec.parse_xml(client.get(f"{BASE}/requests/{concern.reference}.xml")))[0]
    assert record["description"] == "路灯\ufffd坏了\ufffd。"


def test_a_client_over_its_rate_limit_gets_429_in_the_spec_format(client, o3):
    _, plain = create_api_key(name="慢速客户端", rate_limit_per_minute=2)
    with time_machine.travel(local(2026, 10, 8, 9, 0, 10), tick=False):
        for _ in range(2):
            assert client.post(f"{BASE}/requests.json", road_post(o3, api_key=plain)).status_code == 200
        before = counts()
        response = client.post(f"{BASE}/requests.xml", road_post(o3, api_key=plain))
        assert response.status_code == 429
        assert response["Retry-After"] == "50"
        assert spec.check_errors_xml(spec.parse_xml(response))[0]["code"] == "429"
        assert nothing_written(before)
    with time_machine.travel(local(2026, 10, 8, 9, 1, 0), tick=False):
        assert client.post(f"{BASE}/requests.json", road_post(o3, api_key=plain)).status_code == 200


def test_anonymous_readers_are_rate_limited_by_address(client, o3, settings):
    settings.ZHENWU_OPEN311_RATE_PER_MINUTE = 3
    with time_machine.travel(local(2026, 10, 8, 9, 0, 10), tick=False):
        assert [client.get(f"{BASE}/services.json").status_code for _ in range(4)] == [200, 200, 200, 429]


# --- tokens ----------------------------------------------------------------------------------


def test_a_queued_key_gets_a_token_that_later_names_the_request(client, o3):
    _, plain = create_api_key(name="批量推送", queued=True)
    response = client.post(f"{BASE}/requests.json", road_post(o3, api_key=plain))
    data = response.json()
    spec.check_post_json(data)
    token = data[0]["token"]
    assert Concern.objects.count() == 0
    waiting = client.get(f"{BASE}/tokens/{token}.json").json()
    spec.check_token_json(waiting)
    assert waiting == [{"service_request_id": None, "token": token}]

    assert run_pending_jobs() == 1
    concern = Concern.objects.get()
    assert concern.channel == Channel.API and concern.reporter_phone == "13800138000"
    found = client.get(f"{BASE}/tokens/{token}.json").json()
    spec.check_token_json(found)
    assert found == [{"service_request_id": concern.reference, "token": token}]
    record = spec.xml_record(spec.parse_xml(client.get(f"{BASE}/tokens/{token}.xml")).find("request"),
                             spec.TOKEN_RESPONSE)
    assert record == {"service_request_id": concern.reference, "token": token}
    assert Open311Request.objects.get().submission == []  # nothing personal left in the queue row


def test_a_queued_request_that_fails_in_the_worker_says_why(client, o3):
    _, plain = create_api_key(name="批量推送", queued=True)
    token = client.post(f"{BASE}/requests.json", road_post(o3, api_key=plain)).json()[0]["token"]
    o3.road.is_active = False
    o3.road.save()
    run_pending_jobs()
    response = client.get(f"{BASE}/tokens/{token}.json")
    assert response.status_code == 400
    assert "类别" in response.json()[0]["description"]
    assert Concern.objects.count() == 0


def test_an_unknown_token_is_404(client, o3):
    response = client.get(f"{BASE}/tokens/nosuchtoken.xml")
    assert response.status_code == 404
    spec.check_errors_xml(spec.parse_xml(response))


# --- the frame -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,path,status",
    [
        ("get", "/open311/v2/nothing.json", 404),
        ("get", "/open311/v2/services.html", 404),
        ("get", "/open311/v2/", 404),
        ("get", "/open311/v3/services.json", 404),
        ("get", "/open311/v2/requests/GQ-2026-999999.json", 404),
        ("put", "/open311/v2/requests.json", 405),
        ("delete", "/open311/v2/services.xml", 405),
        ("post", "/open311/v2/services.json", 405),
    ],
)
def test_wrong_addresses_and_methods_never_get_an_html_page(client, o3, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert response["Content-Type"] in ("application/json; charset=utf-8", "text/xml; charset=utf-8")
    if response["Content-Type"].startswith("text/xml"):
        spec.check_errors_xml(spec.parse_xml(response))
    else:
        spec.check_errors_json(json.loads(response.content))


def test_json_post_bodies_are_refused_with_a_clear_message(client, o3):
    response = client.post(f"{BASE}/requests.json", json.dumps(road_post(o3)), content_type="application/json")
    assert response.status_code == 400
    assert "x-www-form-urlencoded" in response.json()[0]["description"]


def test_the_open311_openapi_description_is_valid_openapi_3(client, o3):
    from drf_spectacular.validation import validate_schema

    document = client.get(f"{BASE}/openapi.json").json()
    validate_schema(document)
    assert set(document["paths"]) == {
        f"{BASE}/discovery.json", f"{BASE}/services.json", f"{BASE}/services/{{service_code}}.json",
        f"{BASE}/requests.json", f"{BASE}/requests/{{service_request_id}}.json", f"{BASE}/tokens/{{token}}.json",
    }


def test_a_category_deleted_while_cached_is_a_400_not_a_crash(client, o3):
    sanitation = road_post(o3, service_code="sanitation", **{"attribute[width]": None, "attribute[kind]": None})
    assert client.post(f"{BASE}/requests.json", {**sanitation, "lat": "x"}).status_code == 400  # now cached
    o3.sanitation.delete()
    before = counts()
    response = client.post(f"{BASE}/requests.json", sanitation)
    assert response.status_code == 400
    assert "类别" in response.json()[0]["description"]
    assert nothing_written(before)


def test_a_keyed_client_is_limited_by_its_key_not_by_the_anonymous_address_limit(client, o3, settings):
    settings.ZHENWU_OPEN311_RATE_PER_MINUTE = 2
    _, plain = create_api_key(name="12345热线", rate_limit_per_minute=5)
    with time_machine.travel(local(2026, 10, 8, 9, 0, 10), tick=False):
        codes = [client.post(f"{BASE}/requests.json", road_post(o3, api_key=plain)).status_code for _ in range(6)]
    assert codes == [200, 200, 200, 200, 200, 429]


def test_guessing_keys_is_limited_by_address(client, o3, settings):
    settings.ZHENWU_OPEN311_RATE_PER_MINUTE = 3
    with time_machine.travel(local(2026, 10, 8, 9, 0, 10), tick=False):
        codes = [
            client.post(f"{BASE}/requests.json", road_post(o3, api_key=f"wrong-{i}")).status_code for i in range(4)
        ]
        bad_bodies = [client.post(f"{BASE}/requests.json", b"\xff\xfe", content_type="application/x-www-form-urlencoded").status_code]
    assert codes == [403, 403, 403, 429]
    assert bad_bodies == [429]
