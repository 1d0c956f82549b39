"""Property-based: schemathesis generates requests from the served Open311 OpenAPI document (valid
and invalid bodies, parameters and ids) and sends them to the WSGI app in-process, on a database
holding concerns in several states. No answer may be a 5xx or an HTML page."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from zhenwu.concerns import services
from zhenwu.concerns.models import ServiceAttribute
from zhenwu.open311.keys import create_api_key
from zhenwu.wsgi import application


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate-limit windows and the cached configuration of earlier tests must not leak in."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The app is called as plain WSGI, so Django's end-of-request hook would close the database
    connection that holds the test's transaction (PostgreSQL); the test client unhooks it too."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def open311_schema(world, submit):
    ServiceAttribute.objects.create(
        category=world.road,
        code="kind",
        datatype="singlevaluelist",
        required=True,
        description="问题类型",
        order=1,
        values=[{"key": "pothole", "name": "坑洼"}],
    )
    services.dispatch_concern(submit().concern, by=world.users.dispatcher)
    submit(category=world.lamp)
    return schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", application)


def test_no_generated_open311_request_gets_a_server_error_or_html(open311_schema, world, settings):
    """The Open311 JSON endpoints under generated input; a generated POST carries a real key half
    of the time so that it gets past the key check into validation and intake."""
    django_settings = settings
    django_settings.ZHENWU_OPEN311_RATE_PER_MINUTE = 1_000_000
    _, key = create_api_key(name="fuzz", rate_limit_per_minute=100_000)
    seen = []
    for result in open311_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
        )
        def check(case):
            if isinstance(case.body, dict) and len(seen) % 2 == 0:
                case.body["api_key"] = key
            response = case.call()
            seen.append(response.status_code)
            assert response.status_code < 500, (
                case.method,
                case.formatted_path,
                case.body,
                response.text[:500],
            )
            content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            assert "application/json" in str(content_type), content_type

        check()
    assert {200, 400, 403, 404}.issubset(seen), sorted(set(seen))
