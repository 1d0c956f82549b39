"""gunicorn config of bench/http_bench.py (passed with -c): each web worker adds up the time its
database connections spend starting a transaction (with SQLite's IMMEDIATE transactions, the wait
for the write lock: the writer queue's wait, zhenwu/core/sqlite_backend, then `BEGIN IMMEDIATE`,
in which SQLite's busy handler sleeps) and, from there to the COMMIT or ROLLBACK's return, the
time it holds the transaction (on SQLite, the write lock), and keeps the sums in a file of
ZHENWU_BENCH_STATS_DIR named after its pid, which the benchmark reads between its windows:
"<wait seconds> <transactions> <held seconds> <ended transactions>"."""

import os
import time


def post_fork(server, worker):
    from django.db.backends.signals import connection_created

    path = os.path.join(os.environ["ZHENWU_BENCH_STATS_DIR"], f"lockwait-{os.getpid()}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    total = [0.0, 0, 0.0, 0]

    def save():
        os.pwrite(fd, f"{total[0]:.6f} {total[1]} {total[2]:.6f} {total[3]}".ljust(80).encode(), 0)

    def timed(begin, connection):
        def start_transaction():
            start = time.perf_counter()
            try:
                return begin()
            finally:
                connection.bench_began = now = time.perf_counter()
                total[0] += now - start
                total[1] += 1
                save()

        start_transaction.timed = True
        return start_transaction

    def timed_end(end, connection):
        def end_transaction():
            try:
                return end()
            finally:
                began = getattr(connection, "bench_began", None)
                if began is not None:
                    connection.bench_began = None
                    total[2] += time.perf_counter() - began
                    total[3] += 1
                    save()

        end_transaction.timed = True
        return end_transaction

    def attach(sender, connection, **kwargs):
        begin = getattr(connection, "_start_transaction_under_autocommit", None)
        if begin is not None and not getattr(begin, "timed", False):
            connection._start_transaction_under_autocommit = timed(begin, connection)
            connection._commit = timed_end(connection._commit, connection)
            connection._rollback = timed_end(connection._rollback, connection)

    connection_created.connect(attach, weak=False)
