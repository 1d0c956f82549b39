"""gunicorn config of bench/http_bench.py (passed with -c): each web worker adds up the time its
database connections spend starting a transaction (with SQLite's IMMEDIATE transactions, the wait
for the write lock: the writer queue's wait, zhenwu/core/sqlite_backend, then `BEGIN IMMEDIATE`,
in which SQLite's busy handler sleeps) and keeps the sum in a file of ZHENWU_BENCH_STATS_DIR named
after its pid, which the benchmark reads between its windows."""

import os
import time


def post_fork(server, worker):
    from django.db.backends.signals import connection_created

    path = os.path.join(os.environ["ZHENWU_BENCH_STATS_DIR"], f"lockwait-{os.getpid()}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    total = [0.0, 0]

    def timed(begin):
        def start_transaction():
            start = time.perf_counter()
            try:
                return begin()
            finally:
                total[0] += time.perf_counter() - start
                total[1] += 1
                os.pwrite(fd, f"{total[0]:.6f} {total[1]}".ljust(40).encode(), 0)

        start_transaction.timed = True
        return start_transaction

    def attach(sender, connection, **kwargs):
        begin = getattr(connection, "_start_transaction_under_autocommit", None)
        if begin is not None and not getattr(begin, "timed", False):
            connection._start_transaction_under_autocommit = timed(begin)

    connection_created.connect(attach, weak=False)
