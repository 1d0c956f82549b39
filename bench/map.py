"""Benchmark the public board's map data (/concerns/board/map.json) at county scale: p50/p95 of a
town's view — the town's extent on a phone at zoom 13 — with the town chosen, by panning alone
(the box, no town), narrowed by category and status, and a village close up at zoom 15.

    .venv/bin/python bench/map.py                  # 1,000,000 concerns, 30 towns, SQLite
    .venv/bin/python bench/map.py --pg             # the same on a scratch PostgreSQL database
    .venv/bin/python bench/map.py --quick          # 3,000 concerns, 3 towns (run by bench/test_map.py)
    .venv/bin/python bench/map.py --keep var/map.sqlite3   # build once, keep; later runs reuse it

The county and its concerns are bench/concerns.py's (build_world, generate: ten years, every
state); every concern is then placed: the 30 towns on a 6 × 5 grid 0.1° apart around 浏阳, the
ten villages of a town on a grid inside it, each concern scattered about its village (so a town
spans about 8 km, its view about 10 km). 矛盾纠纷 and 社会保障 are marked coarse_on_map, as a town
would mark them, so the coarse grid's expression is in every timed query. Requests go through the
whole WSGI stack with django.test.Client, one at a time, computed each time (the server keeps an
answer a minute per view, ZHENWU_BOARD_MAP_CACHE_SECONDS; the county seen whole is timed both
ways).
"""

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from concerns import build_world, generate, kept_world  # noqa: E402
from open311 import read_figures, refresh_statistics, run_child, timed_reads  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
ORIGIN = (28.05, 113.45)  # the county's south-west corner (WGS-84)
TOWN_STEP = 0.1  # degrees between towns
VILLAGE_STEP = 0.02  # degrees between a town's villages (a 4 × 3 grid, ten used)
SPREAD = 0.004  # a concern's distance from its village centre, at most, per axis
COARSE = ("dispute", "welfare")


def town_centre(index):
    return ORIGIN[0] + (index // 6) * TOWN_STEP, ORIGIN[1] + (index % 6) * TOWN_STEP


def village_centre(town_index, village_index):
    lat, lng = town_centre(town_index)
    return lat + (village_index // 4 - 1) * VILLAGE_STEP, lng + (village_index % 4 - 1.5) * VILLAGE_STEP


def village_centres():
    """{village pk: (town index, its centre)} by the names build_world gives (第{t}镇{v}村): the
    same on a kept database as on the run that built it (the tree's order is not the build's)."""
    from zhenwu.org.models import Area, AreaLevel

    centres = {}
    for pk, name in Area.objects.filter(level=AreaLevel.VILLAGE, name__regex=r"^第\d+镇\d+村$").values_list("pk", "name"):
        t, v = (int(x) for x in re.findall(r"\d+", name))
        centres[pk] = (t - 1, village_centre(t - 1, v - 1))
    return centres


def place():
    """Give every concern a point about its village (one UPDATE per village)."""
    from django.db import connection, transaction

    from zhenwu.concerns.models import Category, Concern

    table = connection.ops.quote_name(Concern._meta.db_table)
    if connection.vendor == "postgresql":
        jitter = f"(random() * {2 * SPREAD} - {SPREAD})"
        rounded = "ROUND(CAST({} AS numeric), 6)"
    else:
        jitter = f"((abs(random()) % 1000000) / 1000000.0 * {2 * SPREAD} - {SPREAD})"
        rounded = "ROUND({}, 6)"
    with transaction.atomic(), connection.cursor() as cursor:
        for pk, (_t, (lat, lng)) in village_centres().items():
            cursor.execute(
                f"UPDATE {table} SET latitude = {rounded.format(f'%s + {jitter}')}, "
                f"longitude = {rounded.format(f'%s + {jitter}')} WHERE village_id = %s",
                [lat, lng, pk],
            )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    Category.objects.filter(code__in=COARSE).update(coarse_on_map=True)


def town_box(index):
    lat, lng = town_centre(index)
    half = TOWN_STEP / 2
    return f"{lng - half:.5f},{lat - half:.5f},{lng + half:.5f},{lat + half:.5f}"


def child(n, towns, years, gets):
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from scratch_db import migrate_database

    from zhenwu.concerns.models import Category, Concern

    migrate_database()
    settings.ALLOWED_HOSTS = ["*"]
    settings.ZHENWU_BOARD_MAP_CACHE_SECONDS = 0  # every request computes its answer (see county_cached)
    world = kept_world()
    if world is None:
        world = build_world(towns)
        started = time.perf_counter()
        generate(n, world, now=timezone.now(), years=years)
        place()
        generate_s = round(time.perf_counter() - started, 1)
    else:
        n, towns, generate_s = world["concerns"], len(world["towns"]), "kept"
        if not Concern.objects.filter(latitude__isnull=False).exists():
            place()  # a county kept by bench/concerns.py, placed once here
        refresh_statistics()
    located = Concern.objects.filter(latitude__isnull=False).count()
    rng = random.Random(7)
    client = Client()
    count = len(world["towns"])
    categories = list(Category.objects.order_by("sort_order").values_list("pk", flat=True))
    villages = village_centres()
    towns_by_index = {int(re.findall(r"\d+", town.name)[0]) - 1: town.pk for town in world["towns"]}

    def view(params, count=None):
        def get(i):
            response = client.get("/concerns/board/map.json", params(i))
            assert response.status_code == 200, response.content[:2000]
            sizes.append(len(response.content))
            cells.append(len(response.json()["cells"]))

        sizes, cells = [], []
        get(0)
        figures = timed_reads(get, count or gets)
        figures.update(cells=max(cells), kb=round(max(sizes) / 1024, 1))
        return figures

    def town_params(i, **extra):  # a town's extent, no town chosen
        return {"zoom": 13, "bbox": town_box(rng.randrange(count)), **extra}

    def chosen(i):  # the town chosen and its extent shown
        t = rng.randrange(count)
        return {"zoom": 13, "bbox": town_box(t), "town": towns_by_index[t]}

    results = {
        "town": view(chosen),
        "pan": view(lambda i: town_params(i)),
        "filtered": view(lambda i: town_params(i, category=rng.choice(categories), status="closed")),
        "village": view(lambda i: _village_params(villages, rng)),
    }
    # The whole county at zoom 10 (every located concern grouped), computed each time, then as
    # everyone gets it: kept a minute per view.
    lat0, lng0 = town_centre(0)
    lat1, lng1 = town_centre(count - 1)
    county = {"zoom": 10, "bbox": f"{lng0 - 0.1:.3f},{lat0 - 0.1:.3f},{lng1 + 0.1:.3f},{lat1 + 0.1:.3f}"}
    results["county"] = view(lambda i: county, max(5, gets // 10))
    settings.ZHENWU_BOARD_MAP_CACHE_SECONDS = 60
    results["county_cached"] = view(lambda i: county)
    print(json.dumps({
        "database": connection.vendor, "concerns": n, "located": located, "towns": towns, "years": years,
        "generate_s": generate_s, "load": [round(x, 2) for x in os.getloadavg()], **results,
    }, ensure_ascii=False))


def _village_params(villages, rng):
    pk = rng.choice(sorted(villages))
    _t, (lat, lng) = villages[pk]
    return {"zoom": 15, "village": pk,
            "bbox": f"{lng - 0.012:.5f},{lat - 0.012:.5f},{lng + 0.012:.5f},{lat + 0.012:.5f}"}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Board map benchmark")
    parser.add_argument("--quick", action="store_true", help="3,000 concerns, 3 towns, 20 gets per view")
    parser.add_argument("--concerns", type=int, default=1_000_000)
    parser.add_argument("--towns", type=int, default=30)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--gets", type=int, default=100)
    parser.add_argument("--pg", nargs="?", const=os.environ.get("DATABASE_URL") or DEFAULT_PG, default=None,
                        help=f"a scratch PostgreSQL database on this server (default: DATABASE_URL or {DEFAULT_PG})")
    parser.add_argument("--keep", metavar="FILE_OR_NAME",
                        help="keep the database (SQLite file, or PostgreSQL database name) and reuse it")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.towns, args.years, args.gets)
        return None
    if args.quick:
        args.concerns, args.towns, args.gets = 3000, 3, 20
    if args.pg and not args.pg.startswith(("postgres://", "postgresql://")):
        parser.error("--pg takes a postgres:// URL")
    r = run_child(__file__, [args.concerns, "--towns", args.towns, "--years", args.years, "--gets", args.gets],
                  database_url=args.pg, keep=args.keep)
    built = "kept database reused" if r["generate_s"] == "kept" else f"generated and placed in {r['generate_s']} s"
    print(f"Board map benchmark: {r['database']}, {r['concerns']:,} concerns ({r['located']:,} with a point), "
          f"{r['towns']} towns, {r['years']} years ({built}), {os.cpu_count()} CPUs, load {r['load'][0]:.2f}")
    for label, key in (("A town's view, the town chosen (zoom 13)", "town"),
                       ("A town's view by panning, no town chosen (zoom 13)", "pan"),
                       ("A town's view, category + 已关闭 (zoom 13)", "filtered"),
                       ("A village chosen, close up (zoom 15)", "village")):
        g = r[key]
        print(f"{label}  {read_figures(g)}  at most {g['cells']} cells, {g['kb']} KB")
    for label, key in (("The whole county (zoom 10), computed", "county"),
                       ("The whole county, kept a minute (as residents get it)", "county_cached")):
        g = r[key]
        print(f"{label}  {read_figures(g)}  at most {g['cells']} cells, {g['kb']} KB")
    worst = max(r[k]["p95_ms"] for k in ("town", "pan", "filtered", "village"))
    print(f"Worst p95 of a town's view: {worst} ms (aim: under 100 ms)")
    return r


if __name__ == "__main__":
    main()
