"""Overload and database trouble answer with a clear "busy, try again" page (HTTP 503 with
Retry-After), never a 500 or a timeout:

- a request that waited ZHENWU_DB_LOCK_TIMEOUT seconds for a database lock (SQLite "database is
  locked", PostgreSQL lock_timeout / statement timeout / deadlock / serialization failure / too
  many connections), or whose database is unreachable, gets the busy answer;
- a form POST gets its typed text back: the busy page carries every posted field (the resident's
  text in a visible box) in a form that sends them again to the same address - with the same
  one-time key, so a retry never makes a second concern;
- JSON clients (the staff API, Open311) get a JSON error with the same status and Retry-After.

BusyMiddleware catches exceptions raised by views; `server_error` (settings handler500, see
zhenwu/urls.py) catches those raised in other middleware (e.g. saving the session).
"""

import logging
import sqlite3
import sys

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

from zhenwu.lib.http_errors import has_files, kept_fields, wants_json

logger = logging.getLogger("zhenwu.busy")

RETRY_AFTER_SECONDS = 5
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
SQLITE_UNAVAILABLE = ("unable to open database file", "disk i/o error")
# lock_not_available, query_canceled (statement timeout), deadlock, serialization failure,
# too many connections, cannot connect now (starting up / shutting down), admin shutdown.
PG_BUSY_STATES = {"55P03", "57014", "40P01", "40001", "53300", "57P03", "57P01"}


def _chain(exc):
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def is_busy_error(exc):
    """True for database errors that mean "overloaded or unreachable, try again shortly"."""
    from django.db import DatabaseError

    if not isinstance(exc, DatabaseError):
        return False
    for item in _chain(exc):
        message = str(item).lower()
        if isinstance(item, sqlite3.OperationalError) and any(m in message for m in SQLITE_BUSY + SQLITE_UNAVAILABLE):
            return True
        sqlstate = getattr(item, "sqlstate", None)
        if sqlstate in PG_BUSY_STATES:
            return True
        if item.__class__.__module__.startswith("psycopg") and item.__class__.__name__ == "OperationalError" \
                and sqlstate is None:
            return True  # connection failed / lost: the server is down or unreachable
    return False


def busy_response(request, exc=None):
    logger.warning("busy answer for %s %s: %s", request.method, request.path, exc)
    if wants_json(request):
        if request.path.startswith("/open311/"):
            response = JsonResponse([{"code": 503, "description": "系统繁忙，请稍后再试"}], safe=False, status=503)
        else:
            response = JsonResponse({"error": "busy", "detail": "系统繁忙，请稍后再试"}, status=503)
    else:
        visible, hidden = kept_fields(request)
        files = bool(request.method == "POST" and has_files(request))
        html = render_to_string("ops/busy.html", {
            "path": request.get_full_path(), "visible": visible, "hidden": hidden, "files": files,
            "retry_after": RETRY_AFTER_SECONDS, "is_post": request.method == "POST",
        })
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class BusyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_busy_error(exception):
            return busy_response(request, exception)
        return None


def server_error(request, *args, **kwargs):
    """handler500: the busy answer when the error is a database overload, else Django's 500."""
    exc = sys.exc_info()[1]
    if exc is not None and is_busy_error(exc):
        return busy_response(request, exc)
    return defaults.server_error(request, *args, **kwargs)
