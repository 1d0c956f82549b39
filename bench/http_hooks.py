"""gunicorn config of bench/http_bench.py (passed with -c): each web worker adds up the time its
database connections spend in `BEGIN ...` (with SQLite's IMMEDIATE transactions, the wait for the
write lock; SQLite's busy handler sleeps inside that call) and keeps the sum in a file of
ZHENWU_BENCH_STATS_DIR named after its pid, which the benchmark reads between its windows."""

import os
import time


def post_fork(server, worker):
    from django.db.backends.signals import connection_created

    path = os.path.join(os.environ["ZHENWU_BENCH_STATS_DIR"], f"lockwait-{os.getpid()}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    total = [0.0, 0]

    def timed_begin(execute, sql, params, many, context):
        if not sql.startswith("BEGIN"):
            return execute(sql, params, many, context)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            total[0] += time.perf_counter() - start
            total[1] += 1
            os.pwrite(fd, f"{total[0]:.6f} {total[1]}".ljust(40).encode(), 0)

    def attach(sender, connection, **kwargs):
        if timed_begin not in connection.execute_wrappers:
            connection.execute_wrappers.append(timed_begin)

    connection_created.connect(attach, weak=False)
