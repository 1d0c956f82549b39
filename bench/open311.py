"""Benchmark the Open311 endpoint: POST requests per second against a bare single-INSERT view,
and p50/p95 of GET requests.json with filters, over a table of N concerns.

    .venv/bin/python bench/open311.py                   # 1,000,000 concerns, SQLite
    .venv/bin/python bench/open311.py --quick           # 2,000 concerns (run by bench/test_open311.py)
    .venv/bin/python bench/open311.py --concerns 200000 --posts 3000 --gets 200
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/open311.py --concerns 200000
    .venv/bin/python bench/open311.py --keep var/open311.sqlite3     # build once, keep; later runs reuse it
    DATABASE_URL=postgres://... .venv/bin/python bench/open311.py --keep zw_open311_bench   # the same on PostgreSQL

Each run is a fresh process on a fresh database: a temporary SQLite file, or, when DATABASE_URL
names a PostgreSQL server, a throwaway database created on it and dropped afterwards. With --keep
the database (a SQLite file, or a PostgreSQL database of that name) is kept, and a run that finds
the concerns already generated migrates it and times the requests without generating again (the
figures are then for the kept data, which earlier runs' POSTs have added to). The concerns
(and one public timeline entry each, which status_notes reads) are bulk-inserted with executemany,
spread over three years, ten villages and eight categories, in every state. Requests go through
the whole WSGI stack (middleware included) with django.test.Client, one at a time:
- POST /open311/v2/requests.json: key check, rate limit, validation, the intake service (reference
  number, deadlines, event, audit entry) and the Open311 record; wall time and this process's CPU
  per request, then the worker's batched follow-up of those requests (dispatcher notifications,
  router suggestion) per concern, so the work moved off the request is still counted;
- the floor: POST to a view that parses the same form and runs one INSERT, nothing else;
- GET requests.json with the filters clients use (service_code + status, a date window, a list of
  ids, and the default 90-day window of up to 1,000 requests).
"""

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATEGORIES = [
    ("road", "道路交通"), ("sanitation", "环境卫生"), ("lamp", "路灯照明"), ("water", "供水排水"),
    ("noise", "噪音扰民"), ("market", "市场秩序"), ("school", "教育"), ("other", "其他"),
]
STATUSES = [
    ("received", 0.03), ("accepted", 0.02), ("dispatched", 0.04), ("in_progress", 0.06),
    ("resolved", 0.05), ("closed", 0.75), ("declined", 0.03), ("returned", 0.02),
]


def build_world():
    from zhenwu.concerns.models import Category
    from zhenwu.open311.keys import create_api_key
    from zhenwu.org.models import Area, AreaLevel, Department

    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    town = Area.objects.add_child(county, dict(name="官桥镇", level=AreaLevel.TOWN, code="430181110"))
    grids = []
    for v in range(1, 11):
        village = Area.objects.add_child(town, dict(name=f"第{v}村", level=AreaLevel.VILLAGE, code=f"430181110{200 + v}"))
        for g in range(1, 5):
            grids.append((village.pk, Area.objects.add_child(
                village, dict(name=f"第{v}村第{g}网格", level=AreaLevel.GRID, code=f"430181110{200 + v}-{g:02d}")
            ).pk))
    categories = []
    for i, (code, name) in enumerate(CATEGORIES):
        department = Department.objects.create(name=f"{name}办", town=town)
        categories.append(Category.objects.create(
            code=code, name=name, default_department=department, response_limit_days=1,
            resolution_limit_days=5 + i, sort_order=i,
        ))
    _, key = create_api_key(name="bench", rate_limit_per_minute=100_000)
    return town, grids, categories, key


def kept_world():
    """(town, grids, categories, a new key, count) of an earlier --keep run, or None."""
    from zhenwu.concerns.models import Category, Concern
    from zhenwu.open311.keys import create_api_key
    from zhenwu.org.models import Area, AreaLevel

    town = Area.objects.filter(level=AreaLevel.TOWN, code="430181110").first()
    if town is None or not Concern.objects.exists():
        return None
    step = Area.steplen  # a materialised path: a node's parent has its path minus the last step
    villages = dict(Area.objects.filter(path__startswith=town.path, level=AreaLevel.VILLAGE).values_list("path", "pk"))
    grids = [(villages[path[:-step]], pk) for pk, path in Area.objects.filter(
        path__startswith=town.path, level=AreaLevel.GRID).order_by("pk").values_list("pk", "path")]
    categories = list(Category.objects.filter(code__in=[c for c, _ in CATEGORIES]).order_by("sort_order"))
    _, key = create_api_key(name="bench", rate_limit_per_minute=100_000)
    return town, grids, categories, key, Concern.objects.count()


def generate(n, town, grids, categories, *, now):
    """n concerns and their 'submitted' timeline entries, straight into the tables."""
    from django.db import connection, transaction

    from zhenwu.concerns.models import Concern, ConcernEvent

    rng = random.Random(311)
    weights = [w for _, w in STATUSES]
    names = [s for s, _ in STATUSES]
    span = 3 * 365 * 86400
    c_meta, e_meta = Concern._meta, ConcernEvent._meta
    c_fields = ["reference", "channel", "title", "text", "category", "urgency", "area", "village", "town",
                "latitude", "longitude", "address", "reporter_name", "reporter_phone", "reporter_phone_hash",
                "follow_token_hash", "status", "department", "received_at", "received_month", "response_due",
                "resolution_due", "closed_at", "resolved_at", "reopen_count", "is_supervised", "created_at",
                "updated_at", "outcome", "resolution_text", "callback_result", "intake_pending",
                "suspended_workdays"]
    cols = ", ".join(connection.ops.quote_name(c_meta.get_field(f).column) for f in c_fields)
    c_sql = (f"INSERT INTO {c_meta.db_table} ({cols}) VALUES ({', '.join(['%s'] * len(c_fields))})")
    e_fields = ["concern", "at", "actor_label", "kind", "from_status", "to_status", "public_text",
                "internal_note", "reason", "is_public", "data"]
    e_cols = ", ".join(connection.ops.quote_name(e_meta.get_field(f).column) for f in e_fields)
    e_sql = f"INSERT INTO {e_meta.db_table} ({e_cols}) VALUES ({', '.join(['%s'] * len(e_fields))})"
    dt = lambda value: connection.ops.adapt_datetimefield_value(value)  # noqa: E731
    start_id = 1
    batch = 20_000
    with transaction.atomic():
        for offset in range(0, n, batch):
            rows, events = [], []
            for i in range(offset, min(n, offset + batch)):
                at = now - datetime.timedelta(seconds=int(span * (1 - (i + 1) / n)) + rng.randint(0, 59))
                village, grid = rng.choice(grids)
                category = rng.choice(categories)
                status = rng.choices(names, weights)[0]
                closed = at + datetime.timedelta(days=6) if status in ("closed", "declined") else None
                resolved = at + datetime.timedelta(days=5) if status in ("resolved", "closed") else None
                dept = category.default_department_id if status not in ("received", "accepted", "declined",
                                                                        "returned") else None
                rows.append((
                    f"BN-{at.year}-{i:07d}", "web", "路面坑洼需要修补", "村道路面坑洼，雨天积水，请尽快修补。",
                    category.pk, "normal", grid, village, town.pk, None, None, "", "", "", "",
                    f"{i:064x}", status, dept, dt(at), at.date().replace(day=1),
                    dt(at + datetime.timedelta(days=1)), dt(at + datetime.timedelta(days=7)),
                    dt(closed) if closed else None, dt(resolved) if resolved else None, 0, False, dt(at), dt(at),
                    "fixed" if resolved else "", "已处理。" if resolved else "", "satisfied" if closed else "",
                    False, 0,
                ))
            with connection.cursor() as cursor:
                cursor.executemany(c_sql, rows)
                first = start_id
                for j, row in enumerate(rows):
                    events.append((first + j, row[18], "居民", "submitted", "", "received",
                                   f"诉求已登记（网页），编号{row[0]}", "", "", True, "{}"))
                cursor.executemany(e_sql, events)
            start_id += len(rows)
    with connection.cursor() as cursor:
        # VACUUM too on PostgreSQL: its visibility map, which index-only scans need, is otherwise
        # left to autovacuum (that a long-lived table has had).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def floor_urlconf():
    """The site's URLs plus /bench/floor/: parse the same form, one INSERT, answer 201."""
    import types

    from django.db import connection
    from django.http import HttpResponse
    from django.urls import path
    from django.utils import timezone
    from django.views.decorators.csrf import csrf_exempt

    import zhenwu.urls

    with connection.cursor() as cursor:
        key = "SERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY"
        cursor.execute("DROP TABLE IF EXISTS bench_floor")
        cursor.execute(f"CREATE TABLE bench_floor (id {key}, service_code VARCHAR(20), "
                       "description TEXT, lat VARCHAR(20), created_at VARCHAR(40))")

    @csrf_exempt
    def floor(request):
        data = request.POST
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_floor (service_code, description, lat, created_at) VALUES (%s, %s, %s, %s)",
                [data.get("service_code"), data.get("description"), data.get("lat"),
                 timezone.now().isoformat()],
            )
        return HttpResponse(b"[]", status=201, content_type="application/json")

    module = types.ModuleType("bench_open311_urls")
    module.urlpatterns = [path("bench/floor/", floor), *zhenwu.urls.urlpatterns]
    sys.modules[module.__name__] = module
    return module.__name__


def timed(fn, count):
    times = []
    for i in range(count):
        started = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - started)
    return times


def timed_cpu(fn, count):
    """timed(fn, count) and the CPU seconds this process spent on the calls (the database's own
    work is in this process with SQLite, in the server's with PostgreSQL)."""
    started = time.process_time()
    times = timed(fn, count)
    return times, time.process_time() - started


def drain_intakes():
    """Run the worker's intake follow-up until nothing is pending."""
    from zhenwu.concerns.services import complete_pending_intakes

    while complete_pending_intakes():
        pass


def worker_share():
    """The worker's batched follow-up (dispatcher notifications, router suggestion) of the
    concerns the timed requests left pending, per concern: the work the request no longer does is
    still reported. Also used by bench/concerns.py."""
    from zhenwu.concerns.models import Concern

    pending = Concern.objects.filter(intake_pending=True).count()
    times, cpu = timed_cpu(lambda i: drain_intakes(), 1)
    return {
        "worker_ms": round(sum(times) / max(1, pending) * 1000, 2),
        "worker_cpu_ms": round(cpu / max(1, pending) * 1000, 2),
        "worker_concerns": pending,
    }


def backend_cpu():
    """(pid, CPU seconds) of this connection's PostgreSQL backend when the server runs on this
    machine (/proc readable), else None (SQLite: the database's work is this process's CPU).
    Parallel workers, if a plan uses them, are not counted. Also used by bench/visits.py."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return pid, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_between(before, after):
    """CPU seconds the backend spent between two backend_cpu() readings, or None if either is
    missing or the connection changed backend in between."""
    if before is None or after is None or before[0] != after[0]:
        return None
    return after[1] - before[1]


def timed_reads(fn, count):
    """Wall p50/p95 of `count` calls, this process's CPU p50 and, on PostgreSQL, the backend's
    mean CPU per call (ms): on a shared, loaded machine wall time mostly measures the wait for a core."""
    times, cpu = [], []
    server = backend_cpu()
    for i in range(count):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn(i)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    spent = server_cpu_between(server, backend_cpu())
    server = round(spent / count * 1000, 1) if spent is not None else None
    return {"p50_ms": round(pct(times, 50), 1), "p95_ms": round(pct(times, 95), 1),
            "cpu_p50_ms": round(pct(cpu, 50), 1), "server_cpu_ms": server}


def read_figures(g):
    """The line's tail for a timed_reads result."""
    server = f", PostgreSQL backend {g['server_cpu_ms']} ms" if g.get("server_cpu_ms") is not None else ""
    return f"p50 {g['p50_ms']} ms  p95 {g['p95_ms']} ms  (CPU p50 {g['cpu_p50_ms']} ms{server})"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def child(n, posts, gets):
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from scratch_db import migrate_database

    from zhenwu.accounts.models import Role, User
    from zhenwu.concerns.models import Concern

    migrate_database()
    settings.ZHENWU_OPEN311_RATE_PER_MINUTE = 10_000_000
    settings.ALLOWED_HOSTS = ["*"]
    from django.utils import timezone

    now = timezone.now()
    kept = kept_world()
    if kept is None:
        town, grids, categories, key = build_world()
        started = time.perf_counter()
        generate(n, town, grids, categories, now=now)
        generate_s = round(time.perf_counter() - started, 1)
    else:
        town, grids, categories, key, n = kept
        generate_s = "kept"
        refresh_statistics()
    settings.ROOT_URLCONF = floor_urlconf()

    if not User.objects.filter(username="bench_dispatcher").exists():
        # The town's dispatcher, whom the worker's follow-up of each request notifies.
        dispatcher = User(username="bench_dispatcher", role=Role.DISPATCHER, full_name="受理员", area=town)
        dispatcher.set_unusable_password()
        dispatcher.save()
    client = Client()
    form = {
        "api_key": key, "jurisdiction_id": "430181110", "service_code": "road", "lat": "28.155", "long": "113.64",
        "address_string": "第3村村口", "description": "村口路灯坏了三盏，晚上看不见路。", "phone": "13800138000",
    }
    # Warm both paths (imports, first queries, caches) before timing.
    for _ in range(20):
        assert client.post("/open311/v2/requests.json", form).status_code == 200
        assert client.post("/bench/floor/", form).status_code == 201

    def post(i):
        response = client.post("/open311/v2/requests.json", form)
        assert response.status_code == 200, response.content

    def floor(i):
        assert client.post("/bench/floor/", form).status_code == 201

    drain_intakes()
    post_times, post_cpu = timed_cpu(post, posts)
    floor_times, floor_cpu = timed_cpu(floor, posts)
    worker = worker_share()

    rng = random.Random(5)
    recent = list(Concern.objects.order_by("-received_at").values_list("reference", flat=True)[:5000])
    old_start = now - datetime.timedelta(days=400)
    queries = {
        "service_code+status=open": lambda i: {"service_code": CATEGORIES[i % 8][0], "status": "open"},
        "7-day window+status=closed": lambda i: {
            "start_date": (old_start + datetime.timedelta(days=i % 300)).isoformat(timespec="seconds"),
            "end_date": (old_start + datetime.timedelta(days=i % 300 + 7)).isoformat(timespec="seconds"),
            "status": "closed", "page_size": "100",
        },
        "10 ids": lambda i: {"service_request_id": ",".join(rng.sample(recent, 10))},
        "default (90 days, 1000 max)": lambda i: {"page": str(1 + i % 3)},
    }
    get_results = {}
    for label, params in queries.items():
        client.get("/open311/v2/requests.json", params(0))

        def get(i, params=params):
            response = client.get("/open311/v2/requests.json", params(i))
            assert response.status_code == 200, response.content

        get_results[label] = timed_reads(get, gets)
    print(json.dumps({
        "database": connection.vendor,
        "concerns": n,
        "generate_s": generate_s,
        "post_rps": round(posts / sum(post_times)),
        "floor_rps": round(posts / sum(floor_times)),
        "post_p95_ms": round(pct(post_times, 95), 1),
        "post_cpu_ms": round(post_cpu / posts * 1000, 2),
        "floor_cpu_ms": round(floor_cpu / posts * 1000, 2),
        **worker,
        "load": [round(x, 2) for x in os.getloadavg()],
        "gets": get_results,
    }, ensure_ascii=False))


def _postgres_database(url, prefix="zhenwu_bench"):
    """A throwaway database on the server DATABASE_URL names: (its URL, a function that drops it).
    Also used by bench/concerns.py, bench/coverage.py and, with its own prefix beside ours,
    bench/peer_helpdesk.py."""
    import psycopg

    parsed = urlparse(url)
    name = f"{prefix}_{os.getpid()}"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunparse(parsed._replace(path=f"/{name}")), drop


def _kept_data_dir(keep, postgres):
    """The data directory of a kept database (its encryption keys, cache), kept too: a new one
    would leave the rows earlier runs encrypted unreadable. Beside a SQLite file; in the temporary
    directory for a PostgreSQL database."""
    if postgres:
        path = Path(tempfile.gettempdir()) / f"zhenwu-bench-{keep}.data"
    else:
        path = Path(f"{Path(keep).resolve()}.data")
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def refresh_statistics():
    """Planner statistics of a kept database after migrating it: a SQLite migration that rebuilds
    a table drops its statistics, and without them the board's first page sorted every concern."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _kept_postgres(url, name):
    """The URL of database `name` on the server `url` names, created if it does not exist. Also
    used by bench/concerns.py and bench/visits.py."""
    import psycopg

    parsed = urlparse(url)
    with psycopg.connect(urlunparse(parsed._replace(path="/postgres")), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(parsed._replace(path=f"/{name}"))


def run_child(script, child_args, *, database_url=None, keep=None):
    """Run `script --child <child_args>` in a fresh process on a fresh database and return the JSON
    its last line prints: a temporary SQLite file, or a throwaway PostgreSQL database on the server
    `database_url` names (dropped afterwards); with `keep`, the named SQLite file or PostgreSQL
    database, with its data directory (its encryption keys) kept beside it. Shared by every
    benchmark here that times pages in a child process."""
    with tempfile.TemporaryDirectory(prefix="zhenwu-bench-") as tmp:
        drop = None
        postgres = bool(database_url) and database_url.startswith(("postgres://", "postgresql://"))
        if postgres and keep:
            url = _kept_postgres(database_url, keep)
        elif postgres:
            url, drop = _postgres_database(database_url)
        elif keep:
            url = f"sqlite:///{Path(keep).resolve()}"
        else:
            url = f"sqlite:///{tmp}/bench.sqlite3"
        env = dict(os.environ)
        env.update(
            ZHENWU_DATA_DIR=_kept_data_dir(keep, postgres) if keep else tmp,
            ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"),
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="zhenwu.settings",
            ZHENWU_LOG_LEVEL="WARNING",
            ZHENWU_DEBUG="0",
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.pop("ZHENWU_ENV", None)
        try:
            proc = subprocess.run(
                [sys.executable, str(Path(script).resolve()), "--child", *[str(a) for a in child_args]],
                env=env, cwd=ROOT, capture_output=True, text=True, check=False,
            )
        finally:
            if drop:
                drop()
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("benchmark child failed")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def run(n, posts, gets, database_url=None, keep=None):
    return run_child(__file__, [n, "--posts", posts, "--gets", gets], database_url=database_url, keep=keep)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Open311 benchmark")
    parser.add_argument("--quick", action="store_true", help="2,000 concerns, 100 posts, 30 gets per query")
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--keep", metavar="FILE_OR_NAME",
                        help="keep the database (SQLite file, or PostgreSQL database name) and reuse it")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.posts, args.gets)
        return None
    if args.quick:
        args.concerns, args.posts, args.gets = 2000, 100, 30
    r = run(args.concerns, args.posts, args.gets, os.environ.get("DATABASE_URL"), keep=args.keep)
    built = "kept database reused" if r["generate_s"] == "kept" else f"generated in {r['generate_s']} s"
    print(f"Open311 benchmark: {r['database']}, {r['concerns']:,} concerns ({built}), "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"POST requests.json  {r['post_rps']} req/s (p95 {r['post_p95_ms']} ms); bare single-INSERT view "
          f"{r['floor_rps']} req/s; ratio {r['floor_rps'] / r['post_rps']:.2f}x")
    print(f"POST vs floor (aim: within 2x): wall {r['floor_rps'] / r['post_rps']:.2f}x; CPU per request "
          f"{r['post_cpu_ms']} ms vs {r['floor_cpu_ms']} ms = {r['post_cpu_ms'] / r['floor_cpu_ms']:.2f}x; "
          f"load {' '.join(str(x) for x in r['load'])}")
    print(f"Worker follow-up of {r['worker_concerns']} requests (dispatcher notifications, router suggestion), "
          f"batched: {r['worker_ms']} ms wall, {r['worker_cpu_ms']} ms CPU per concern")
    for label, g in r["gets"].items():
        print(f"GET requests.json [{label}]  {read_figures(g)}")
    return r


if __name__ == "__main__":
    main()
