"""Gates between a password login and the rest of the site, and the session's idle clock.

A signed-in user may owe two steps: a TOTP second factor (roles in ZHENWU_SECOND_FACTOR_ROLES and
staff) and, after that, a new password (`must_change_password`). Until then only the pages that
complete those steps are reachable; everything else redirects there.
"""

import time
from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

_ALWAYS_OPEN_PREFIXES = ("/static/",)


@cache
def _paths(*names):
    return frozenset(reverse(name) for name in names)


def _second_factor_paths():
    return _paths("accounts:login", "accounts:logout", "accounts:otp_setup", "accounts:otp_verify",
                  "healthz")


def _password_change_paths():
    return _paths("accounts:login", "accounts:logout", "accounts:otp_setup", "accounts:otp_verify",
                  "accounts:password_change", "healthz")


def _redirect(request, name, *, keep_next=True):
    url = reverse(name)
    if keep_next and request.method == "GET":
        url = f"{url}?{urlencode({'next': request.get_full_path()})}"
    if request.headers.get("HX-Request") == "true":
        # htmx would swap the next step's whole page into a fragment; send the browser there.
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _open(request, paths):
    return request.path_info in paths or request.path_info.startswith(_ALWAYS_OPEN_PREFIXES)


class SecondFactorMiddleware:
    """Users who need a second factor reach no page until a TOTP device verified this session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.needs_second_factor
            and not user.is_verified()
            and not _open(request, _second_factor_paths())
        ):
            return _redirect(request, "accounts:otp_verify")
        return self.get_response(request)


class PasswordChangeRequiredMiddleware:
    """Accounts flagged `must_change_password` (new, or reset by an administrator) change it first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.must_change_password
            and not _open(request, _password_change_paths())
        ):
            return _redirect(request, "accounts:password_change", keep_next=False)
        return self.get_response(request)


SESSION_SEEN_KEY = "_zhenwu_seen"


class SessionIdleClockMiddleware:
    """The idle logout (SESSION_COOKIE_AGE past the last request) at one session write a minute.

    Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) wrote a row on every page a
    signed-in user opened: on SQLite a turn of the one write lock, on PostgreSQL a flushed
    commit, for nothing but the expiry date. Here a session is saved, and its expiry moved on, when
    it was last saved ZHENWU_SESSION_REFRESH_SECONDS ago or more (or when the request changed it),
    so the idle limit holds to within that: a user idle for SESSION_COOKIE_AGE is always signed
    out, one idle for SESSION_COOKIE_AGE minus the refresh interval never is. Listed after
    SessionMiddleware, so its mark is made before that middleware saves. A request without a
    session (the API's tokens, a resident's first visit) gets none."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or not session.session_key:
            return response
        now = int(time.time())
        accessed = session.accessed
        seen = session.get(SESSION_SEEN_KEY)  # loads the session if the request did not
        # An unknown or expired key loads as nothing and leaves no key: nothing to keep alive.
        if session.session_key and (
            not isinstance(seen, int) or not 0 <= now - seen < settings.ZHENWU_SESSION_REFRESH_SECONDS
        ):
            session[SESSION_SEEN_KEY] = now
        # Bookkeeping, not the page's use of the session: no "Vary: Cookie" on its account.
        session.accessed = accessed
        return response
