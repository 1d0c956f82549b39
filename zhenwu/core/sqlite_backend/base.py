"""Django's SQLite backend, with writers queued on an OS lock instead of polling for SQLite's.

With `transaction_mode` IMMEDIATE every atomic block begins with `BEGIN IMMEDIATE`, which takes
SQLite's write lock. A writer that finds it held waits in SQLite's busy handler, which sleeps and
polls with growing sleeps (up to 100 ms): a writer that just missed the lock sleeps on long after
it was released, and under load that is the tail (p99 1.5-2.5 s for the resident's form and
Open311 at a p50 of ~90-130 ms, bench/http_bench.py). Here a writer first takes an exclusive
`flock` on `<database>.writer-lock` and holds it until its COMMIT or ROLLBACK: every queued writer
(web workers, the background worker, management commands: every process using this backend)
blocks in the kernel, which wakes the waiters the moment the lock is released. (A woken waiter
still needs its process's GIL back, twice, since it waits through a helper thread: under CPU
load that can take a few milliseconds, still far less than the busy handler's sleeps.)

- The wait is bounded by the connection's `timeout` option (ZHENWU_DB_LOCK_TIMEOUT): a writer that
  waited that long gets the same error as a busy timeout ("database is locked"), which
  zhenwu.ops.middleware answers with the busy page. The BEGIN that follows a long wait has only
  the rest of that time for SQLite's own lock.
- The flock is advisory: SQLite's own lock still guarantees correctness. Writers outside the queue
  (autocommit single statements, `sqlite3` in a shell, the backup and restore's raw connections)
  still meet SQLite's busy handler, and a queued writer may meet it behind them.
- The kernel releases the flock when a process dies, so a killed worker never blocks the others.
- No-op for in-memory databases (the test databases) and for DEFERRED transactions (no write lock
  at BEGIN). PostgreSQL does not use this backend.
"""

import fcntl
import logging
import os
import sqlite3
import threading
import time

from django.db.backends.sqlite3 import base as sqlite_base

logger = logging.getLogger("zhenwu.db")

LOCKING_MODES = {"IMMEDIATE", "EXCLUSIVE"}


def _take(path, timeout):
    """An open descriptor of `path` holding an exclusive flock, or None after `timeout` seconds.

    flock(2) has no timeout: when the lock is held, a helper thread blocks in it and this thread
    waits for that thread at most `timeout`. A helper whose waiter gave up closes its descriptor
    (releasing the lock) as soon as it gets the lock."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o660)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd
    except BlockingIOError:
        pass
    except BaseException:
        os.close(fd)
        raise
    got, guard, state = threading.Event(), threading.Lock(), {"abandoned": False, "error": None}

    def block():
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            state["error"] = exc
        with guard:
            if state["abandoned"] or state["error"]:
                os.close(fd)
            got.set()

    threading.Thread(target=block, name="sqlite-writer-queue", daemon=True).start()
    got.wait(timeout)
    with guard:
        if got.is_set() and state["error"] is None:
            return fd
        if state["error"] is not None:
            raise state["error"]
        state["abandoned"] = True
    return None


class DatabaseWrapper(sqlite_base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._writer_lock_fd = None

    def writer_lock_path(self):
        """The queue's lock file, or None when this connection does not queue."""
        mode = self.settings_dict["OPTIONS"].get("transaction_mode") or ""
        if mode.upper() not in LOCKING_MODES or self.is_in_memory_db():
            return None
        name = str(self.settings_dict["NAME"])
        if name.startswith("file:"):  # a URI: its path, without the query
            name = name[len("file:"):].split("?", 1)[0]
        return f"{name}.writer-lock"

    def _start_transaction_under_autocommit(self):
        path = self.writer_lock_path()
        if path is None:
            return super()._start_transaction_under_autocommit()
        self._release_writer_lock()  # never held here; if it were, this connection would wait on itself
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5.0))
        start = time.monotonic()
        try:
            fd = _take(path, timeout)
        except OSError as exc:  # e.g. a read-only directory: SQLite's busy handler still guards
            logger.warning("SQLite writer queue unavailable (%s): %s", path, exc)
            return super()._start_transaction_under_autocommit()
        if fd is None:
            with self.wrap_database_errors:
                raise sqlite3.OperationalError(f"database is locked (waited {timeout:g} s in the writer queue)")
        self._writer_lock_fd = fd
        try:
            waited = time.monotonic() - start
            if waited > 0.001:  # the BEGIN gets only the rest of the time for SQLite's own lock
                self._set_busy_timeout(max(timeout - waited, 0.001))
                try:
                    super()._start_transaction_under_autocommit()
                finally:
                    self._set_busy_timeout(timeout)
            else:
                super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _set_busy_timeout(self, seconds):
        with self.wrap_database_errors:
            self.connection.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def _release_writer_lock(self):
        fd, self._writer_lock_fd = self._writer_lock_fd, None
        if fd is not None:
            os.close(fd)  # the last descriptor of its open file: the flock is released

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            return super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            return super()._close()
        finally:
            self._release_writer_lock()
