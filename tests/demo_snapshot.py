"""The demo town (load_demo) loaded once per test process and kept as a private in-memory SQLite
copy, so that every later user of it in the process gets it back in about a second instead of
loading it again (a minute or more). The role walks (tests/browser) and the demo town's checks
(tests/test_demo_town.py) share it: `make test` gives each worker one walk file, and the demo
town's checks run after a walk in the same process, so the suite loads the town twice, not three
times.

Only the in-memory SQLite test database can be copied this way (SQLite's backup API); on any
other database each user loads the town itself."""

import io
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoSnapshot:
    copy: sqlite3.Connection  # the database as load_demo left it
    media: str  # the folder its files went to
    output: str  # what load_demo printed (the logins, the figures)


_SNAPSHOTS = {}  # test database name -> DemoSnapshot


def can_snapshot(connection):
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def load_demo_output():
    """Run load_demo on the current database; returns what it printed."""
    from django.core.management import call_command

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def copy_of(connection):
    """A private in-memory copy of the connection's (committed) database."""
    connection.ensure_connection()
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(copy)
    return copy


def restore(connection, copy):
    """Put `copy` in place of the connection's database, and forget what was cached of the old one
    (content types are recreated under new ids by every flush; the copy holds its own)."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import caches

    connection.ensure_connection()
    copy.backup(connection.connection)
    ContentType.objects.clear_cache()
    for cache in caches.all():
        cache.clear()


def demo_town(connection, media_folder):
    """The demo town in the connection's database, committed. Loaded by the first caller of the
    process (its files under `media_folder()`, called only then) and restored for the others.
    Returns the DemoSnapshot; its `media` is where the town's files are."""
    name = connection.settings_dict["NAME"]
    snapshot = _SNAPSHOTS.get(name)
    if snapshot is None:
        from django.test import override_settings

        media = str(media_folder())
        with override_settings(MEDIA_ROOT=media):
            output = load_demo_output()
        snapshot = _SNAPSHOTS[name] = DemoSnapshot(copy=copy_of(connection), media=media, output=output)
    else:
        restore(connection, snapshot.copy)
    return snapshot
