"""Rate limits on what anyone can do without an account (django-ratelimit, counted in the default
cache: Redis when ZHENWU_REDIS_URL is set, so every app server counts the same requests; the file
cache shared by one machine's workers otherwise).

Anonymous writes (the resident's form, what a follow link adds, following a concern on the board)
are limited three ways, checked in this order, and a refused request counts only against the limit
that refused it (so one noisy address does not use up everyone's share):

- per client address (zhenwu.lib.request_context.client_ip),
- per browser (its CSRF cookie, which every accepted form POST carries),
- a ceiling over all anonymous writes of the deployment together.

Staff never pass through these: registering a concern for a resident who phoned is a staff page.
The limits and the counts of failures (wrong follow links) use fixed windows.
"""

from django.conf import settings
from django_ratelimit.core import get_usage, is_ratelimited

from .request_context import client_ip

# Defaults; settings may override each (ZHENWU_ANONYMOUS_WRITE_RATES = {...}).
ANONYMOUS_WRITE_RATES = {
    "address": "20/10m",  # a village office behind one address files for several residents
    "browser": "8/10m",
    "all": "600/10m",  # a flood from many addresses; residents are told to phone instead
}


def _rates():
    return {**ANONYMOUS_WRITE_RATES, **getattr(settings, "ZHENWU_ANONYMOUS_WRITE_RATES", {})}


def address_key(group, request):
    return client_ip(request) or "-"


def browser_key(group, request):
    return request.COOKIES.get(settings.CSRF_COOKIE_NAME) or f"address:{client_ip(request)}"


def everyone_key(group, request):
    return "all"


_CHECKS = (("address", address_key), ("browser", browser_key), ("all", everyone_key))


def anonymous_write_refused(request, *, scope):
    """Count one anonymous write of `scope` ("report", "follow"); True when a limit refuses it."""
    rates = _rates()
    for kind, key in _CHECKS:
        group = "zhenwu.anonymous_write.all" if kind == "all" else f"zhenwu.anonymous_write.{scope}.{kind}"
        if is_ratelimited(request, group=group, key=key, rate=rates[kind], increment=True):
            return True
    return False


def _seconds_rate(limit):
    attempts, seconds = limit
    return f"{attempts}/{seconds}s"


def over_limit(request, *, group, limit):
    """True when the address has used up `limit` = (attempts, seconds) of `group`; counts nothing."""
    usage = get_usage(request, group=group, key=address_key, rate=_seconds_rate(limit), increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def count_attempt(request, *, group, limit):
    """Count one attempt of the address against `limit` (for limits on failures only)."""
    is_ratelimited(request, group=group, key=address_key, rate=_seconds_rate(limit), increment=True)


def keyed_refused(request, *, group, rate, key=None):
    """Count one attempt of `group` against `rate` ("5/h") for the client address, or for `key`
    (a string naming what is limited, e.g. a phone's blind index); True when the limit refuses it."""
    key_fn = address_key if key is None else (lambda group, request: key)
    return is_ratelimited(request, group=group, key=key_fn, rate=rate, increment=True)
