"""The health report behind /healthz (load balancers, monitoring) and the status page.

Checks: the database answers; no migration is waiting; the media storage takes a write; every
periodic command of settings.ZHENWU_PERIODIC last succeeded within its interval plus a grace
period. Any failure makes the report unhealthy (HTTP 503). Each check catches its own errors: a
broken database makes the answer "unhealthy", never a 500.

Depends on Django and zhenwu.ops only (ops.views.healthz serves it at /healthz).
"""

import importlib.util
import logging
import os
import pkgutil
import tempfile
import threading
import time
import uuid

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from .backup import app_version

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_migrations_applied = False  # once true in a process, stays true until the code (and process) changes
_media_cache = {"at": 0.0, "ok": None}
MEDIA_RECHECK_SECONDS = 60  # object storage is probed at most once a minute per process


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone()[0] == 1


def disk_migration_names():
    """{(app label, migration name)} of the migration files on disk, read from the directories'
    listings without importing them. Django's executor imports every migration module of every
    app to build its graph: about 12 MB and half a second in each web worker on its first
    /healthz, kept for the life of the process, to answer one yes/no question. The names are
    found as Django's MigrationLoader finds them (each app's migrations module; files whose
    names start with _ or ~ are not migrations)."""
    names = set()
    for app_config in apps.get_app_configs():
        module_name, _explicit = MigrationLoader.migrations_module(app_config.label)
        if module_name is None:
            continue
        try:
            spec = importlib.util.find_spec(module_name)
        except ModuleNotFoundError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for info in pkgutil.iter_modules(spec.submodule_search_locations):
            if not info.ispkg and not info.name.startswith(("_", "~")):
                names.add((app_config.label, info.name))
    return names


def check_migrations():
    """(no migration is waiting, how many are): a migration file on disk that the database has
    not recorded as applied is waiting. (A squashed migration counts as applied once Django has
    recorded it, which `migrate` does when the migrations it replaces are all applied.)"""
    global _migrations_applied
    if _migrations_applied:
        return True, 0
    applied = set(MigrationRecorder(connection).applied_migrations())
    pending = len(disk_migration_names() - applied)
    with _lock:
        _migrations_applied = pending == 0
    return pending == 0, pending


def check_media():
    if isinstance(default_storage, FileSystemStorage):
        root = default_storage.location
        os.makedirs(root, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-"):
            return True
    now = time.monotonic()
    if _media_cache["ok"] is not None and now - _media_cache["at"] < MEDIA_RECHECK_SECONDS:
        return _media_cache["ok"]
    name = default_storage.save(f"healthz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    _media_cache.update(at=now, ok=True)
    return True


def _run(checks, errors, name, func):
    try:
        return func()
    except Exception as exc:  # the report is the answer, whatever broke
        errors.append(f"{name}: {exc.__class__.__name__}: {str(exc)[:200]}")
        logger.warning("health check %s failed: %s", name, exc)
        return False


def health_report():
    """(report dict, healthy bool)."""
    from .command_runs import command_states

    errors = []
    report = {"status": "ok", "version": app_version(), "database": False, "migrations": False,
              "media": False, "periodic": False}
    report["database"] = bool(_run(report, errors, "database", check_database))
    if report["database"]:
        result = _run(report, errors, "migrations", check_migrations)
        if result:
            ok, pending = result
            report["migrations"] = ok
            if not ok:
                errors.append(f"migrations: {pending} unapplied")
    report["media"] = bool(_run(report, errors, "media", check_media))
    if not getattr(settings, "ZHENWU_PERIODIC_CHECK", True):
        report["periodic"] = True
        report["periodic_checked"] = False
    elif report["database"]:
        states = _run(report, errors, "periodic", command_states)
        if states is not False:
            overdue = [s["name"] for s in states if s["overdue"]]
            failing = [s["name"] for s in states if s["last_run"] is not None and s["last_run"].ok is False]
            report["periodic"] = not overdue
            report["overdue"] = overdue
            report["failing"] = failing
            if overdue:
                errors.append(f"periodic: overdue {', '.join(overdue)}")
    healthy = all(report[k] for k in ("database", "migrations", "media", "periodic"))
    report["status"] = "ok" if healthy else "error"
    if errors:
        report["errors"] = errors
    return report, healthy


def healthz_response(request):
    from django.http import JsonResponse

    report, healthy = health_report()
    response = JsonResponse(report, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response
