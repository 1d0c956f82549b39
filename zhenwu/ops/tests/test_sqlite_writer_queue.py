"""The SQLite writer queue (zhenwu/core/sqlite_backend): writers to a file database wait on an OS
lock before BEGIN IMMEDIATE, in the kernel's queue rather than SQLite's polling busy handler, and
no longer than the connection's timeout. Each thread opens its own connection to a file
database, as the web workers' threads and the background worker do."""

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections

from zhenwu.core.sqlite_backend.base import DatabaseWrapper
from zhenwu.ops.middleware import is_busy_error


@pytest.fixture
def open_db(tmp_path, django_db_blocker):
    """Opens connections (and their BEGINs in `begins`) to one SQLite file database."""
    path = tmp_path / "queue.sqlite3"
    opened, begins = [], []

    def open_connection(*, timeout=10, mode="IMMEDIATE", name=None):
        settings_dict = {**connection.settings_dict, "ENGINE": "zhenwu.core.sqlite_backend",
                         "NAME": str(name or path), "OPTIONS": {"transaction_mode": mode, "timeout": timeout}}
        db = DatabaseWrapper(settings_dict, alias=f"queue{len(opened)}")
        db.inc_thread_sharing()  # a test thread may write with it

        def log_begin(execute, sql, params, many, context):
            if sql.startswith("BEGIN"):
                begins.append(db.alias)
            return execute(sql, params, many, context)

        db.execute_wrappers.append(log_begin)
        opened.append(db)
        return db

    with django_db_blocker.unblock():
        first = open_connection()
        with first.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("CREATE TABLE item (id INTEGER PRIMARY KEY, writer TEXT)")
        open_connection.path, open_connection.begins = path, begins
        yield open_connection
        for db in opened:
            db.close()


def begin(db):
    db.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)


def end(db, *, commit=True):
    db.commit() if commit else db.rollback()
    db.set_autocommit(True)


def insert(db, writer):
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO item (writer) VALUES (%s)", [writer])


def queued_on(path, seconds=10):
    """Waits until some thread blocks on the lock file's flock (Linux /proc/locks marks a waiter
    with "->"); True if one did."""
    inode = os.stat(f"{path}.writer-lock").st_ino
    end_at = time.monotonic() + seconds
    while time.monotonic() < end_at:
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            if "->" in fields and "FLOCK" in fields and fields[-3].endswith(f":{inode}"):
                return True
        time.sleep(0.01)
    return False


def test_a_second_writer_queues_on_the_lock_and_begins_when_the_first_commits(open_db):
    first, second = open_db(), open_db()
    events = []
    begin(first)
    insert(first, "first")
    events.append("first began")

    def write():
        begin(second)
        events.append("second began")
        insert(second, "second")
        end(second)

    thread = threading.Thread(target=write)
    thread.start()
    assert queued_on(open_db.path)
    # Queued, not polling: its BEGIN IMMEDIATE has not even been sent while the first writes.
    assert open_db.begins == [first.alias]
    events.append("first commits")
    end(first)
    thread.join(timeout=10)

    assert events == ["first began", "first commits", "second began"]
    assert open_db.begins == [first.alias, second.alias]
    with first.cursor() as cursor:
        cursor.execute("SELECT writer FROM item ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == ["first", "second"]


def test_the_wait_is_bounded_by_the_timeout_and_fails_as_a_busy_database(open_db):
    first, second = open_db(), open_db(timeout=0.3)
    begin(first)
    insert(first, "first")

    with pytest.raises(OperationalError) as raised:
        begin(second)

    assert is_busy_error(raised.value)  # the busy page, as after SQLite's busy timeout
    assert "database is locked" in str(raised.value)
    assert open_db.begins == [first.alias]
    assert second.get_autocommit() and not second.in_atomic_block
    end(first)
    # The writer that gave up does not keep the lock: the queue goes on.
    begin(second)
    insert(second, "second")
    end(second)
    assert open_db.begins == [first.alias, second.alias]


@pytest.mark.parametrize("finish", ["commit", "rollback", "close"])
def test_the_lock_is_released_when_the_transaction_ends(open_db, finish):
    db = open_db()
    begin(db)
    insert(db, "one")
    fd = os.open(f"{open_db.path}.writer-lock", os.O_RDWR)
    try:
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if finish == "close":
            db.close()
        else:
            end(db, commit=finish == "commit")
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again
    finally:
        os.close(fd)


def test_in_memory_databases_and_deferred_transactions_do_not_queue(open_db):
    assert open_db(name=":memory:").writer_lock_path() is None
    assert open_db(name="file:memorydb_default?mode=memory&cache=shared").writer_lock_path() is None
    assert open_db(mode="DEFERRED").writer_lock_path() is None
    assert open_db().writer_lock_path() == f"{open_db.path}.writer-lock"


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL keeps Django's backend")
@pytest.mark.django_db
def test_the_sqlite_database_of_the_settings_queues_its_writers(settings):
    assert settings.DATABASES["default"]["ENGINE"] == "zhenwu.core.sqlite_backend"
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connections["default"].writer_lock_path() is None  # the in-memory test database
