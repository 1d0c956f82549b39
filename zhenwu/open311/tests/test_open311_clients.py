"""Clients written against the GeoReport v2 specification, not against this code: they know only
URLs, parameters and the documented shapes. One speaks only XML and sends everything it can in the
query string (api_key, jurisdiction_id) with a form-encoded body; one speaks only JSON. Each
discovers the services, posts a request, follows a token when it gets one, and reads the request
back singly and in the list."""

from urllib.parse import urlencode

import pytest
from defusedxml import ElementTree
from django.core.cache import cache

from zhenwu.jobs.services import run_pending_jobs
from zhenwu.open311.keys import create_api_key

ROOT = "/open311/v2"
JURISDICTION = "430181110"


class XmlClient:
    def __init__(self, http, api_key):
        self.http, self.api_key = http, api_key

    def _get(self, path, **params):
        response = self.http.get(f"{ROOT}/{path}.xml", {"jurisdiction_id": JURISDICTION, **params})
        assert response.status_code == 200, response.content
        assert response["Content-Type"].startswith("text/xml")
        return ElementTree.fromstring(response.content)

    def services(self):
        return [{child.tag: child.text for child in s} for s in self._get("services").iter("service")]

    def post(self, form):
        query = urlencode({"api_key": self.api_key, "jurisdiction_id": JURISDICTION})
        response = self.http.post(
            f"{ROOT}/requests.xml?{query}", urlencode(form, doseq=True), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200, response.content
        request = ElementTree.fromstring(response.content).find("request")
        return request.findtext("service_request_id"), request.findtext("token")

    def token(self, token):
        request = self._get(f"tokens/{token}").find("request")
        return request.findtext("service_request_id")

    def request(self, request_id):
        requests = self._get(f"requests/{request_id}").findall("request")
        assert len(requests) == 1
        return {child.tag: child.text for child in requests[0]}

    def requests(self, **filters):
        return [{child.tag: child.text for child in r} for r in self._get("requests", **filters).iter("request")]


class JsonClient:
    def __init__(self, http, api_key):
        self.http, self.api_key = http, api_key

    def _get(self, path, **params):
        response = self.http.get(f"{ROOT}/{path}.json", {"jurisdiction_id": JURISDICTION, **params})
        assert response.status_code == 200, response.content
        return response.json()

    def services(self):
        return self._get("services")

    def post(self, form):
        response = self.http.post(
            f"{ROOT}/requests.json",
            urlencode({**form, "api_key": self.api_key, "jurisdiction_id": JURISDICTION}, doseq=True),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )
        assert response.status_code == 200, response.content
        (answer,) = response.json()
        return answer.get("service_request_id"), answer.get("token")

    def token(self, token):
        (answer,) = self._get(f"tokens/{token}")
        return answer["service_request_id"]

    def request(self, request_id):
        (answer,) = self._get(f"requests/{request_id}")
        return answer

    def requests(self, **filters):
        return self._get("requests", **filters)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit windows and the cached configuration of earlier tests must not leak in."""
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("client_class", [XmlClient, JsonClient])
@pytest.mark.parametrize("queued", [False, True])
def test_an_independent_client_reports_and_follows_a_request(client, world, client_class, queued):
    _, api_key = create_api_key(name="第三方客户端", queued=queued)
    app = client_class(client, api_key)
    services = {s["service_code"]: s for s in app.services()}
    assert "sanitation" in services
    request_id, token = app.post(
        {
            "service_code": "sanitation",
            "lat": "28.1562",
            "long": "113.6421",
            "address_string": "集镇村老街口",
            "description": "垃圾桶满了三天没人清运。",
            "first_name": "芳",
            "last_name": "王",
            "email": "wang@example.com",
        }
    )
    if token:
        assert request_id is None and queued
        assert app.token(token) in (None, "")  # not registered yet
        run_pending_jobs()
        request_id = app.token(token)
    assert request_id
    request = app.request(request_id)
    assert request["service_request_id"] == request_id
    assert request["status"] == "open" and request["service_code"] == "sanitation"
    assert request["requested_datetime"].endswith("+08:00")
    listed = app.requests(service_code="sanitation", status="open")
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert app.requests(service_request_id=request_id)[0]["service_request_id"] == request_id
