"""Per-request context: a request id for logs, and the acting user and address for the audit log.

Kept in a ContextVar so services called from views, commands and workers can ask "who is acting"
without threading the request through every call.
"""

import contextvars
import functools
import logging
import uuid
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from python_ipware import IpWare


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    label: str
    ip: str = ""
    request_id: str = ""


_current = contextvars.ContextVar("zhenwu_actor", default=None)


def current_actor():
    """The Actor of the running request (resolved lazily, after authentication) or command."""
    value = _current.get()
    if value is None or isinstance(value, Actor):
        return value
    return actor_for_request(value)


@contextmanager
def acting_as(actor):
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


@functools.lru_cache(maxsize=8)
def _resolver(proxies):
    # python-ipware counts the proxies *listed* in X-Forwarded-For; the one that connects to us
    # is REMOTE_ADDR and not listed, so N trusted proxies list N - 1 of themselves after the client.
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=proxies - 1)


def client_ip(request):
    """The one client address of the project: the audit log, axes and every rate limit use it.

    With ZHENWU_PROXY_COUNT = 0 (the app server faces the clients) it is REMOTE_ADDR and
    X-Forwarded-For is ignored. Behind N trusted reverse proxies, each appending the address it
    saw, it is the N-th value from the right of X-Forwarded-For: what the outermost proxy saw,
    whatever a client wrote further left. A header with fewer values than that (a request that
    did not come through every proxy) gives REMOTE_ADDR."""
    meta = request.META
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = settings.ZHENWU_PROXY_COUNT
    if proxies <= 0 or not meta.get("HTTP_X_FORWARDED_FOR"):
        return remote
    address, _trusted = _resolver(proxies).get_client_ip(meta)
    return str(address) if address is not None else remote


class RequestContextMiddleware:
    """Gives each request an id (kept from X-Request-ID if a proxy set one) and exposes it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex[:16]
        request.request_id = request_id
        token = _current.set(request)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


def actor_for_request(request):
    """The audit actor of an authenticated request."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return Actor(
            user_id=user.pk,
            label=user.get_username(),
            ip=client_ip(request),
            request_id=getattr(request, "request_id", ""),
        )
    return Actor(user_id=None, label="", ip=client_ip(request), request_id=getattr(request, "request_id", ""))


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        value = _current.get()
        request_id = getattr(value, "request_id", "") if value is not None else ""
        record.request_id = request_id or "-"
        return True
