"""The GeoReport v2 field lists and types, written from the specification (not from our code), and
checkers that tests run on every JSON and XML response."""

import re

from defusedxml import ElementTree

W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
LOCAL_W3C = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")

STR, BOOL, INT, NUM, DATETIME, URI = "string", "boolean", "integer", "number", "datetime", "uri"

# name: (type, required, nullable, enum)
SERVICE = {
    "service_code": (STR, True, False, None),
    "service_name": (STR, True, False, None),
    "description": (STR, False, True, None),
    "metadata": (BOOL, True, False, None),
    "type": (STR, True, False, ("realtime", "batch", "blackbox")),
    "keywords": (STR, False, True, None),
    "group": (STR, False, True, None),
}
ATTRIBUTE = {
    "variable": (BOOL, True, False, None),
    "code": (STR, True, False, None),
    "datatype": (STR, True, False, ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")),
    "required": (BOOL, True, False, None),
    "datatype_description": (STR, False, True, None),
    "order": (INT, False, True, None),
    "description": (STR, False, True, None),
}
VALUE = {"key": (STR, True, False, None), "name": (STR, True, False, None)}
REQUEST = {
    "service_request_id": (STR, True, False, None),
    "status": (STR, True, False, ("open", "closed")),
    "status_notes": (STR, False, True, None),
    "service_name": (STR, False, True, None),
    "service_code": (STR, True, False, None),
    "description": (STR, False, True, None),
    "agency_responsible": (STR, False, True, None),
    "service_notice": (STR, False, True, None),
    "requested_datetime": (DATETIME, True, False, None),
    "updated_datetime": (DATETIME, False, True, None),
    "expected_datetime": (DATETIME, False, True, None),
    "address": (STR, False, True, None),
    "address_id": (STR, False, True, None),
    "zipcode": (STR, False, True, None),
    "lat": (NUM, False, True, None),
    "long": (NUM, False, True, None),
    "media_url": (URI, False, True, None),
}
POST_RESPONSE = {
    "service_request_id": (STR, False, False, None),
    "token": (STR, False, False, None),
    "service_notice": (STR, False, True, None),
    "account_id": (STR, False, True, None),
}
TOKEN_RESPONSE = {"service_request_id": (STR, False, True, None), "token": (STR, True, False, None)}
ERROR = {"code": (STR, True, False, None), "description": (STR, True, False, None)}
DISCOVERY = {
    "changeset": (STR, True, False, None),
    "contact": (STR, True, False, None),
    "key_service": (STR, True, False, None),
}
# Not in GeoReport v2: our documented extension listing the towns a county deployment serves
# (docs/api.md). Clients that do not know it ignore it; it is checked as strictly as the rest.
JURISDICTION = {"jurisdiction_id": (STR, True, False, None), "name": (STR, True, False, None)}
ENDPOINT = {
    "specification": (STR, True, False, None),
    "url": (STR, True, False, None),
    "changeset": (STR, True, False, None),
    "type": (STR, True, False, ("production", "test")),
}


def _check_value(name, value, kind, enum):
    if kind in (STR, URI):
        assert isinstance(value, str), f"{name} must be a string, got {value!r}"
        if kind == URI:
            assert re.match(r"^https?://", value), f"{name} must be a URL, got {value!r}"
    elif kind == DATETIME:
        assert isinstance(value, str) and W3C.match(value), f"{name} must be a W3C date-time, got {value!r}"
    elif kind == BOOL:
        assert isinstance(value, bool), f"{name} must be a boolean, got {value!r}"
    elif kind == INT:
        assert isinstance(value, int) and not isinstance(value, bool), f"{name} must be an integer"
    elif kind == NUM:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{name} must be a number"
    if enum:
        assert value in enum, f"{name}={value!r} not in {enum}"


def check_object(obj, fields, *, extra=()):
    """A JSON object against a field list: required fields present, types and enums right,
    nothing outside the list (plus `extra`)."""
    assert isinstance(obj, dict), obj
    unknown = set(obj) - set(fields) - set(extra)
    assert not unknown, f"fields outside the specification: {unknown}"
    for name, (kind, required, nullable, enum) in fields.items():
        if name not in obj:
            assert not required, f"missing required field {name}"
            continue
        value = obj[name]
        if value is None:
            assert nullable, f"{name} may not be null"
            continue
        _check_value(name, value, kind, enum)


def check_services_json(data):
    assert isinstance(data, list)
    for service in data:
        check_object(service, SERVICE)


def check_definition_json(data):
    assert set(data) == {"service_code", "attributes"}
    assert isinstance(data["service_code"], str)
    orders = []
    for attribute in data["attributes"]:
        check_object(attribute, ATTRIBUTE, extra=("values",))
        for value in attribute.get("values", []):
            check_object(value, VALUE)
        if attribute.get("order") is not None:
            assert attribute["order"] > 0
            orders.append(attribute["order"])
    assert len(orders) == len(set(orders)), "attribute orders must be unique"


def check_requests_json(data):
    assert isinstance(data, list)
    for request in data:
        check_object(request, REQUEST)
        for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
            if request.get(name):
                assert LOCAL_W3C.match(request[name]), request[name]


def check_post_json(data):
    assert isinstance(data, list) and len(data) == 1
    check_object(data[0], POST_RESPONSE)
    assert ("service_request_id" in data[0]) != ("token" in data[0]), "exactly one of id and token"


def check_token_json(data):
    assert isinstance(data, list) and len(data) == 1
    check_object(data[0], TOKEN_RESPONSE)


def check_errors_json(data):
    assert isinstance(data, list) and data
    for error in data:
        check_object(error, ERROR)


def check_discovery_json(data):
    check_object(data, DISCOVERY, extra=("endpoints", "jurisdictions"))
    for item in data.get("jurisdictions", []):
        check_object(item, JURISDICTION)
    assert data["endpoints"]
    for endpoint in data["endpoints"]:
        check_object(endpoint, ENDPOINT, extra=("formats",))
        assert all(isinstance(f, str) for f in endpoint["formats"])


# --- XML -------------------------------------------------------------------------------------


def parse_xml(response):
    """The root element of an XML response (defusedxml: no entities, no DTDs), after checking the
    declaration and the content type."""
    assert response["Content-Type"] == "text/xml; charset=utf-8", response["Content-Type"]
    body = response.content
    assert body.startswith(b'<?xml version="1.0" encoding="utf-8"?>'), body[:60]
    return ElementTree.fromstring(body)


def xml_record(element, fields):
    """An XML element's children as {tag: text} after checking them against `fields`."""
    record = {}
    for child in element:
        assert child.tag in fields, f"<{child.tag}> is not a field of <{element.tag}>"
        assert len(child) == 0, f"<{child.tag}> must hold text"
        record[child.tag] = child.text or ""
    for name, (kind, required, _nullable, enum) in fields.items():
        if required:
            assert record.get(name), f"<{element.tag}> lacks <{name}>"
        value = record.get(name)
        if not value:
            continue
        if kind == BOOL:
            assert value in ("true", "false"), f"{name}={value!r}"
        elif kind == NUM:
            float(value)
        elif kind == INT:
            int(value)
        elif kind == DATETIME:
            assert W3C.match(value), f"{name}={value!r}"
        if enum:
            assert value in enum, f"{name}={value!r}"
    return record


def check_requests_xml(root):
    assert root.tag == "service_requests"
    records = []
    for request in root:
        assert request.tag == "request"
        records.append(xml_record(request, REQUEST))
    return records


def check_errors_xml(root):
    assert root.tag == "errors"
    errors = [xml_record(error, ERROR) for error in root]
    assert errors and all(e.tag == "error" for e in root)
    return errors
