"""Benchmark 民情办理 at county scale: intake per second through the resident's HTTP form against a
bare single-INSERT view, p50/p95 of the public board's first page and of a department queue, and
the time of the three-rates page.

    .venv/bin/python bench/concerns.py                  # 1,000,000 concerns, 30 towns, 10 years, SQLite
    .venv/bin/python bench/concerns.py --quick          # 3,000 concerns (run by bench/test_concerns.py)
    .venv/bin/python bench/concerns.py --concerns 200000 --posts 500 --gets 100
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/x .venv/bin/python bench/concerns.py
    .venv/bin/python bench/concerns.py --keep var/concerns.sqlite3    # build once, keep; later runs reuse it
    DATABASE_URL=postgres://... .venv/bin/python bench/concerns.py --keep zw_concerns_bench   # the same on PostgreSQL

Each run is a fresh process on a fresh database (a temporary SQLite file, or a throwaway PostgreSQL
database created on the server DATABASE_URL names and dropped afterwards; see bench/open311.py,
whose helpers this reuses). With --keep the database (a SQLite file, or a PostgreSQL database of
that name on the server DATABASE_URL names) is kept, and a run that finds the county already built
migrates it and times the pages without generating again (the size options then describe nothing:
the figures are for the kept data, which earlier runs' intakes have added to).

The county (30 towns of ten villages with three grids each, one department per category and
town) is built through the ORM; the concerns, spread over ten years in every state with call-backs
and deadlines, and one public timeline entry each, are inserted with executemany. Requests go
through the whole WSGI stack with django.test.Client, one at a time:
- intake: GET /concerns/report/ for the form's one-time key, then POST it (validation, the intake
  service: reference number, deadlines, event, audit entry, the follow-link page). Timed both as
  the POST alone and as the resident's GET+POST, wall time and this process's CPU per request;
  then the worker's batched follow-up of those intakes (dispatcher notifications, router
  suggestion), per concern, so the work moved off the request is still counted;
- the floor: POST to a view defined here (temporary urlconf) that parses the same form and runs
  one INSERT;
- GET /concerns/board/ (first page, newest first), /concerns/queue/ as a department's handler,
  /concerns/board/rates/ (the three rates by department and month over twelve months), uncached
  (every request computes it) and as residents get it, kept a minute (the first request computes);
  its settled months are read from their summary, refreshed first as the worker would.
"""

import argparse
import datetime
import json
import os
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from open311 import (  # noqa: E402
    drain_intakes,
    pct,
    read_figures,
    refresh_statistics,
    run_child,
    timed_cpu,
    timed_reads,
    worker_share,
)

CATEGORIES = [
    ("road", "道路交通", 1, 10), ("sewage", "污水排放", 2, 15), ("sanitation", "环境卫生", 1, 5),
    ("water", "供水", 1, 5), ("farming", "农业生产", 2, 10), ("welfare", "社会保障", 2, 15),
    ("dispute", "矛盾纠纷", 1, 10), ("other", "其他", 2, 10),
]
# status, weight (the last ten years: nearly all closed)
STATUSES = [
    ("closed", 0.88), ("declined", 0.03), ("resolved", 0.01), ("in_progress", 0.04), ("dispatched", 0.02),
    ("received", 0.01), ("accepted", 0.005), ("returned", 0.005),
]
CHANNELS = ["web", "hotline", "visit", "tea_room", "walk_in", "api"]


def build_world(towns):
    from zhenwu.accounts.models import Role, User
    from zhenwu.concerns.models import Category
    from zhenwu.org.models import Area, AreaLevel, Department

    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    world = {"towns": [], "grids": [], "departments": {}}
    for t in range(1, towns + 1):
        town = Area.objects.add_child(county, dict(name=f"第{t}镇", level=AreaLevel.TOWN, code=f"430181{100 + t}"))
        world["towns"].append(town)
        for v in range(1, 11):
            village = Area.objects.add_child(
                town, dict(name=f"第{t}镇{v}村", level=AreaLevel.VILLAGE, code=f"430181{100 + t}{200 + v}")
            )
            for g in range(1, 4):
                grid = Area.objects.add_child(
                    village, dict(name=f"{village.name}第{g}网格", level=AreaLevel.GRID,
                                  code=f"430181{100 + t}{200 + v}-{g:02d}")
                )
                world["grids"].append((town.pk, village.pk, grid.pk))
        for code, name, _r, _s in CATEGORIES:
            world["departments"][(town.pk, code)] = Department.objects.create(name=f"{name}办", town=town).pk
    first = world["towns"][0]
    categories = []
    for i, (code, name, response, resolution) in enumerate(CATEGORIES):
        categories.append(Category.objects.create(
            code=code, name=name, default_department_id=world["departments"][(first.pk, code)],
            response_limit_days=response, resolution_limit_days=resolution, sort_order=i,
        ))
    world["categories"] = categories
    handler = User(username="bench_handler", role=Role.HANDLER, full_name="办理人",
                   department_id=world["departments"][(first.pk, "road")])
    handler.set_unusable_password()
    handler.save()
    world["handler"] = handler
    return world


def kept_world():
    """The world of build_world as an earlier --keep run left it, or None if there is none."""
    from zhenwu.accounts.models import User
    from zhenwu.concerns.models import Category, Concern
    from zhenwu.org.models import Area, AreaLevel, Department

    handler = User.objects.filter(username="bench_handler").first()
    if handler is None or not Concern.objects.exists():
        return None
    county = Area.objects.get(level=AreaLevel.COUNTY, name="浏阳市")
    under = Area.objects.filter(path__startswith=county.path)
    towns = list(under.filter(level=AreaLevel.TOWN).order_by("path"))
    step = Area.steplen  # a materialised path: a node's parent has its path minus the last step
    by_path = dict(under.filter(level__in=[AreaLevel.TOWN, AreaLevel.VILLAGE]).values_list("path", "pk"))
    grids = [(by_path[path[: -2 * step]], by_path[path[:-step]], grid) for grid, path in
             under.filter(level=AreaLevel.GRID).order_by("pk").values_list("pk", "path")]
    codes = {name: code for code, name, _r, _s in CATEGORIES}
    departments = {(town, codes[name[:-1]]): pk for pk, town, name in
                   Department.objects.filter(town__in=towns).values_list("pk", "town_id", "name")}
    categories = list(Category.objects.filter(code__in=codes.values()).order_by("sort_order"))
    return {"towns": towns, "grids": grids, "departments": departments, "categories": categories,
            "handler": handler, "concerns": Concern.objects.count()}


def generate(n, world, *, now, years):
    """n concerns over `years` years and their 'submitted' timeline entries, straight into the tables."""
    from django.db import connection, transaction

    from zhenwu.concerns.models import Concern, ConcernEvent, ReferenceCounter
    from zhenwu.workdays import calendar as workdays

    rng = random.Random(12345)
    names = [s for s, _ in STATUSES]
    weights = [w for _, w in STATUSES]
    span = years * 365 * 86400
    zone = workdays.local_zone()
    c_meta, e_meta = Concern._meta, ConcernEvent._meta
    c_fields = ["reference", "channel", "title", "text", "category", "urgency", "area", "village", "town",
                "address", "reporter_name", "reporter_phone", "reporter_phone_hash", "follow_token_hash", "status",
                "department", "received_at", "received_month", "response_due", "resolution_due", "accepted_at",
                "dispatched_at", "responded_at", "resolved_at", "closed_at", "outcome", "resolution_text",
                "resolution_workdays", "callback_result", "callback_solved", "callback_at", "reopen_count",
                "is_supervised", "created_at", "updated_at", "intake_pending", "suspended_workdays"]
    cols = ", ".join(connection.ops.quote_name(c_meta.get_field(f).column) for f in c_fields)
    c_sql = f"INSERT INTO {c_meta.db_table} ({cols}) VALUES ({', '.join(['%s'] * len(c_fields))})"
    e_fields = ["concern", "at", "actor_label", "kind", "from_status", "to_status", "public_text",
                "internal_note", "reason", "is_public", "data"]
    e_cols = ", ".join(connection.ops.quote_name(e_meta.get_field(f).column) for f in e_fields)
    e_sql = f"INSERT INTO {e_meta.db_table} ({e_cols}) VALUES ({', '.join(['%s'] * len(e_fields))})"
    dt = connection.ops.adapt_datetimefield_value
    day = datetime.timedelta(days=1)
    per_year = {}
    next_id = 1
    batch = 20_000
    with transaction.atomic():
        for offset in range(0, n, batch):
            rows = []
            for i in range(offset, min(n, offset + batch)):
                at = now - datetime.timedelta(seconds=int(span * (1 - (i + 1) / n)) + rng.randint(0, 59))
                year = at.astimezone(zone).year
                per_year[year] = per_year.get(year, 0) + 1
                town, village, grid = rng.choice(world["grids"])
                code, _name, response, resolution = CATEGORIES[rng.randrange(len(CATEGORIES))]
                category = world["categories"][[c[0] for c in CATEGORIES].index(code)]
                status = rng.choices(names, weights)[0] if now - at > 30 * day else rng.choice(names[2:])
                held = status not in ("received", "accepted", "declined", "returned")
                accepted = at + datetime.timedelta(hours=2) if status != "received" else None
                dispatched = at + datetime.timedelta(hours=3) if held else None
                response_due = at + response * day + datetime.timedelta(hours=12)
                resolution_due = at + resolution * 1.4 * day
                responded = (at + datetime.timedelta(hours=rng.choice((5, 8, 20, 30, 60)))
                             if held and status != "dispatched" else None)
                done = status in ("resolved", "closed")
                resolved = at + rng.uniform(0.5, resolution * 1.5) * day if done else None
                called = status == "closed"
                result = rng.choices(["satisfied", "basically_satisfied", "unsatisfied"], [80, 12, 8])[0]
                rows.append((
                    f"GQ-{year}-{i + 1:07d}", rng.choice(CHANNELS), "路面坑洼需要修补", "村道路面坑洼，雨天积水，请尽快修补。", category.pk,
                    "normal", grid, village, town, "", "", "", "", f"{i:064x}", status,
                    world["departments"][(town, code)] if held else None, dt(at),
                    at.astimezone(zone).date().replace(day=1), dt(response_due), dt(resolution_due),
                    dt(accepted) if accepted else None, dt(dispatched) if dispatched else None,
                    dt(responded) if responded else None, dt(resolved) if resolved else None,
                    dt(resolved + day) if called else (dt(at + day) if status == "declined" else None),
                    "fixed" if done else "", "已处理。" if done else "",
                    max(0, int((resolved - at).days * 5 / 7)) if done else None,
                    result if called else "", (result != "unsatisfied") if called else None,
                    dt(resolved + day) if called else None, 0,
                    bool(resolved and resolved > resolution_due), dt(at), dt(at), False, 0,
                ))
            with connection.cursor() as cursor:
                cursor.executemany(c_sql, rows)
                events = [(next_id + j, row[16], "居民", "submitted", "", "received",
                           f"诉求已登记，编号{row[0]}", "", "", True, "{}") for j, row in enumerate(rows)]
                cursor.executemany(e_sql, events)
            next_id += len(rows)
    # Intake numbers continue after every generated one (the generated ones are numbered by id).
    for year in per_year:
        ReferenceCounter.objects.update_or_create(prefix="GQ", year=year, defaults={"last": n})
    with connection.cursor() as cursor:
        # VACUUM too on PostgreSQL: its visibility map, which index-only scans need, is otherwise
        # left to autovacuum (that a long-lived table has had).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def floor_urlconf():
    """The site's URLs plus /bench/floor/: parse the same form, one INSERT, answer 200."""
    import types

    from django.db import connection
    from django.http import HttpResponse
    from django.urls import path
    from django.utils import timezone
    from django.views.decorators.csrf import csrf_exempt

    import zhenwu.urls

    with connection.cursor() as cursor:
        key = "SERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY"
        cursor.execute("DROP TABLE IF EXISTS bench_concern_floor")
        cursor.execute(f"CREATE TABLE bench_concern_floor (id {key}, category VARCHAR(20), area VARCHAR(20), "
                       "text TEXT, phone VARCHAR(20), created_at VARCHAR(40))")

    @csrf_exempt
    def floor(request):
        data = request.POST
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_concern_floor (category, area, text, phone, created_at) VALUES (%s, %s, %s, %s, %s)",
                [data.get("category"), data.get("area"), data.get("text"), data.get("reporter_phone"),
                 timezone.now().isoformat()],
            )
        return HttpResponse("已登记")

    module = types.ModuleType("bench_concerns_urls")
    module.urlpatterns = [path("bench/floor/", floor), *zhenwu.urls.urlpatterns]
    sys.modules[module.__name__] = module
    return module.__name__


KEY_RE = re.compile(r'name="key" value="([^"]+)"')


def child(n, towns, years, posts, gets):
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from scratch_db import migrate_database

    from zhenwu.accounts.models import Role, User

    migrate_database()
    settings.ALLOWED_HOSTS = ["*"]
    # One client posts every intake here: the anonymous-write limits (which a deployment keeps)
    # are raised, not removed, so their checks stay in the measured cost.
    settings.ZHENWU_ANONYMOUS_WRITE_RATES = {"address": "1000000/10m", "browser": "1000000/10m", "all": "1000000/10m"}
    now = timezone.now()
    world = kept_world()
    if world is None:
        world = build_world(towns)
        started = time.perf_counter()
        generate(n, world, now=now, years=years)
        generate_s = round(time.perf_counter() - started, 1)
    else:
        n, towns, generate_s = world["concerns"], len(world["towns"]), "kept"
        refresh_statistics()
    settings.ROOT_URLCONF = floor_urlconf()

    resident = Client()
    town, village, grid = world["grids"][0]
    if not User.objects.filter(username="bench_dispatcher").exists():
        # The town's dispatcher, whom the worker's follow-up of each intake notifies.
        dispatcher = User(username="bench_dispatcher", role=Role.DISPATCHER, full_name="受理员", area_id=town)
        dispatcher.set_unusable_password()
        dispatcher.save()
    form = {"text": "村口路灯坏了三盏，晚上看不见路，老人小孩出门不方便。", "category": str(world["categories"][0].pk),
            "area": str(grid), "reporter_name": "", "reporter_phone": "13800138000", "latitude": "", "longitude": ""}

    def fresh_key():
        page = resident.get("/concerns/report/")
        assert page.status_code == 200
        return KEY_RE.search(page.content.decode()).group(1)

    def intake(key):
        response = resident.post("/concerns/report/", {**form, "key": key})
        assert response.status_code == 200 and "查询链接" in response.content.decode(), response.content[:2000]

    for _ in range(10):  # warm both paths
        intake(fresh_key())
        assert resident.post("/bench/floor/", form).status_code == 200

    queries = []  # counted with an execute wrapper: the request's start resets the debug query log

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    key = fresh_key()
    with connection.execute_wrapper(count):
        intake(key)
    keys = [fresh_key() for _ in range(posts)]
    drain_intakes()
    post_times, post_cpu = timed_cpu(lambda i: intake(keys[i]), posts)
    flow_times, flow_cpu = timed_cpu(lambda i: intake(fresh_key()), posts)
    floor_times, floor_cpu = timed_cpu(lambda i: resident.post("/bench/floor/", form), posts)
    worker = worker_share()

    def get_times(client, url, count=gets):
        client.get(url)

        def get(i):
            response = client.get(url)
            assert response.status_code == 200, response.content[:2000]

        return timed_reads(get, count)

    board = get_times(Client(), "/concerns/board/")
    staff = Client()
    staff.force_login(world["handler"])
    queue = get_times(staff, "/concerns/queue/")
    # The rates page uncached (every request computes it), then as residents get it: kept a minute.
    # Its settled months come from their summary, which the worker keeps (refreshed here first).
    from zhenwu.concerns.rates_summary import refresh_rate_summaries

    started = time.perf_counter()
    summarised = refresh_rate_summaries()
    summary_s = round(time.perf_counter() - started, 2)
    settings.ZHENWU_PUBLIC_RATES_CACHE_SECONDS = 0
    rates = get_times(Client(), "/concerns/board/rates/", max(5, gets // 5))
    settings.ZHENWU_PUBLIC_RATES_CACHE_SECONDS = 60
    rates_cached = get_times(Client(), "/concerns/board/rates/", max(5, gets // 5))
    print(json.dumps({
        "database": connection.vendor,
        "concerns": n, "towns": towns, "years": years,
        "generate_s": generate_s,
        "post_rps": round(posts / sum(post_times)),
        "flow_rps": round(posts / sum(flow_times)),
        "floor_rps": round(posts / sum(floor_times)),
        "post_p95_ms": round(pct(post_times, 95), 1),
        "post_queries": len(queries),
        "post_cpu_ms": round(post_cpu / posts * 1000, 2),
        "flow_cpu_ms": round(flow_cpu / posts * 1000, 2),
        "floor_cpu_ms": round(floor_cpu / posts * 1000, 2),
        **worker,
        "load": [round(x, 2) for x in os.getloadavg()],
        "board": board,
        "queue": queue,
        "rates": rates,
        "rates_cached": rates_cached,
        "summary_months": summarised, "summary_s": summary_s,
    }, ensure_ascii=False))


def run(n, towns, years, posts, gets, database_url=None, keep=None):
    return run_child(__file__, [n, "--towns", towns, "--years", years, "--posts", posts, "--gets", gets],
                     database_url=database_url, keep=keep)


def main(argv=None):
    parser = argparse.ArgumentParser(description="民情办理 benchmark")
    parser.add_argument("--quick", action="store_true", help="3,000 concerns, 3 towns, 60 intakes, 20 gets")
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--towns", type=int, default=30)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--gets", type=int, default=100)
    parser.add_argument("--keep", metavar="FILE_OR_NAME",
                        help="keep the database (SQLite file, or PostgreSQL database name) and reuse it")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.towns, args.years, args.posts, args.gets)
        return None
    if args.quick:
        args.concerns, args.towns, args.posts, args.gets = 3000, 3, 60, 20
    r = run(args.concerns, args.towns, args.years, args.posts, args.gets, os.environ.get("DATABASE_URL"),
            keep=args.keep)
    built = "kept database reused" if r["generate_s"] == "kept" else f"generated in {r['generate_s']} s"
    print(f"Concerns benchmark: {r['database']}, {r['concerns']:,} concerns, {r['towns']} towns, {r['years']} years "
          f"({built}), {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"Intake POST /concerns/report/  {r['post_rps']} req/s (p95 {r['post_p95_ms']} ms, "
          f"{r['post_queries']} queries); with the form GET "
          f"{r['flow_rps']}/s; bare single-INSERT view {r['floor_rps']} req/s; ratio "
          f"{r['floor_rps'] / r['post_rps']:.2f}x")
    print(f"Intake vs floor (aim: within 2x): wall {r['floor_rps'] / r['post_rps']:.2f}x; CPU per request "
          f"{r['post_cpu_ms']} ms vs {r['floor_cpu_ms']} ms = {r['post_cpu_ms'] / r['floor_cpu_ms']:.2f}x "
          f"(form GET+POST {r['flow_cpu_ms']} ms); load {' '.join(str(x) for x in r['load'])}")
    print(f"Worker follow-up of {r['worker_concerns']} intakes (dispatcher notifications, router suggestion), "
          f"batched: {r['worker_ms']} ms wall, {r['worker_cpu_ms']} ms CPU per concern")
    for label, key in (("Public board, first page", "board"), ("Department queue", "queue"),
                       ("Three-rates page, uncached", "rates"),
                       ("Three-rates page, cached a minute", "rates_cached")):
        print(f"{label}  {read_figures(r[key])}")
    print(f"Rates summary (the worker's task): {r['summary_months']} settled months counted in {r['summary_s']} s "
          "before the rates page was timed")
    return r


if __name__ == "__main__":
    main()
