"""Property-based: schemathesis generates requests from the served OpenAPI document (valid and
invalid bodies, parameters and ids) and sends them to the WSGI app in-process, as a dispatcher
with a token, on a database holding concerns in several states. No answer may be a 5xx."""

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from zhenwu.accounts.tokens import create_api_token
from zhenwu.concerns import services
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
def api_schema(world, submit):
    u = world.users
    dispatched = submit().concern
    services.dispatch_concern(dispatched, by=u.dispatcher)
    resolved = submit(category=world.sanitation).concern
    services.dispatch_concern(resolved, by=u.dispatcher)
    services.resolve_concern(resolved, by=world.env_handler, outcome="fixed", text="已处理。")
    submit()
    return schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture
def dispatcher_token(world):
    return create_api_token(user=world.users.dispatcher, name="fuzz")[1]


def test_no_generated_request_gets_a_server_error(api_schema, dispatcher_token):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    seen = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case):
            response = case.call(headers={"Authorization": f"Token {dispatcher_token}"})
            seen.append(response.status_code)
            assert response.status_code < 500, (case.method, case.formatted_path, case.body, response.text[:500])
            content_type = {k.lower(): v for k, v in response.headers.items()}["content-type"]
            assert str(content_type).find("application/json") != -1, content_type

        check()
    # The generated requests reached the views, not only the authentication and the router.
    assert {200, 400}.issubset(seen), sorted(set(seen))
