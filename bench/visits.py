"""Benchmark 联户走访 at county scale: p50/p95 of the overdue list (走访提醒) and of the coverage page
(走访覆盖率) as a town leader, a village secretary and a grid worker, and as a county account: its
coverage page (the whole county's figures, a row per town), a town it drills into (?town=), and its
overdue lists (the whole county's first page, one town's).

    .venv/bin/python bench/visits.py                 # 400,000 households, 12,000 members, 24 months, SQLite
    .venv/bin/python bench/visits.py --pg            # the same on a scratch PostgreSQL database
    .venv/bin/python bench/visits.py --quick         # 6,000 households (run by bench/test_visits.py)
    .venv/bin/python bench/visits.py --keep var/visits.sqlite3   # build once, keep; later runs reuse it
    .venv/bin/python bench/visits.py --pg --keep zw_visits_bench  # the same with a named PostgreSQL database

--pg uses DATABASE_URL if it names a PostgreSQL server, else postgres://postgres@127.0.0.1:5432/postgres;
a throwaway database is created there and dropped afterwards (bench/open311.py's helper). With
--keep the database (a SQLite file, or a PostgreSQL database of that name) is kept, and a run that
finds the county already built migrates it and times the pages without generating again (the size
options then describe nothing: the figures are for the kept data).

The county: 30 towns of 12 villages with 3 grids each, one branch per village; households spread
evenly over the grids, two residents each (one in ten households has a resident tagged 独居老人).
Each member looks after 10 neighbouring households of their village (so 120,000 households are
linked; the rest show as unlinked). Every household — linked or not — has a visit a month for
two years, each on a day drawn per household, so a share of the linked ones are overdue (and more
of the 独居老人 ones, due fortnightly). Households, residents, links and visits are written with
executemany (COPY on PostgreSQL), the visits' two indexes built after the load; areas, branches
and members through the ORM.

Each page is requested through the whole WSGI stack (django.test.Client, logged in), first page
of the overdue list (paged, most overdue first) and the coverage table; `--runs` times each. Next to
wall time it prints the CPU time of this process and, for a PostgreSQL server on this machine, of
its backend: on a shared, loaded machine wall time mostly measures the wait for a core.
"""

import argparse
import datetime
import json
import os
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from open311 import backend_cpu, pct, run_child, server_cpu_between  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
FULL = {"households": 400_000, "members": 12_000, "towns": 30, "villages": 12, "grids": 3, "months": 24, "runs": 20}
QUICK = {"households": 6_000, "members": 180, "towns": 3, "villages": 4, "grids": 2, "months": 6, "runs": 5}
LINKS_PER_MEMBER = 10


def build_areas(size):
    from zhenwu.org.models import Area, AreaLevel, PartyOrg, PartyOrgKind

    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    root_org = PartyOrg.objects.add_root(dict(name="中共浏阳市委", kind=PartyOrgKind.COMMITTEE, area=county))
    towns, villages, grids, branches = [], [], [], []
    for t in range(size["towns"]):
        town = Area.objects.add_child(county, dict(name=f"第{t + 1}镇", level=AreaLevel.TOWN, code=f"43018{t:04d}"))
        committee = PartyOrg.objects.add_child(root_org, dict(name=f"第{t + 1}镇党委", kind=PartyOrgKind.COMMITTEE,
                                                              area=town))
        towns.append(town)
        for v in range(size["villages"]):
            village = Area.objects.add_child(town, dict(name=f"第{t + 1}镇{v + 1}村", level=AreaLevel.VILLAGE,
                                                        code=f"43018{t:04d}{v:03d}"))
            villages.append(village)
            branches.append(PartyOrg.objects.add_child(committee, dict(
                name=f"第{t + 1}镇{v + 1}村党支部", kind=PartyOrgKind.BRANCH, area=village)))
            for g in range(size["grids"]):
                grids.append((village, Area.objects.add_child(village, dict(
                    name=f"第{t + 1}镇{v + 1}村第{g + 1}网格", level=AreaLevel.GRID, code=f"43018{t:04d}{v:03d}{g:02d}"))))
    return county, towns, villages, grids, branches


def _insert(table, columns, rows):
    """executemany on SQLite; COPY on PostgreSQL (a bench may; the app never writes like this)."""
    from django.db import connection

    rows = list(rows)
    if not rows:
        return 0
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)
    return len(rows)


def generate(size, *, today, rng):
    from django.db import connection, transaction

    from zhenwu.grid import services
    from zhenwu.grid.models import Visit
    from zhenwu.org.models import Household, Member

    county, towns, villages, grids, branches = build_areas(size)
    started = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -524288")  # 512 MB for the load
    # The visits' indexes are built once after the load (a sort) instead of row by row.
    with connection.schema_editor() as editor:
        for index in Visit._meta.indexes:
            editor.remove_index(Visit, index)
    now = datetime.datetime.now(datetime.UTC)
    per_grid = size["households"] // len(grids)
    counts = {}
    with transaction.atomic():
        rows, number = [], 0
        for _village, grid in grids:
            for _ in range(per_grid):
                number += 1
                rows.append((grid.pk, f"H{number:07d}", f"{grid.name}{number % 97 + 1}号", now, now))
        counts["households"] = _insert("org_household", ["grid_id", "number", "address", "created_at", "updated_at"],
                                       rows)
        household_ids = list(Household.objects.order_by("id").values_list("id", "grid_id"))
        by_grid = {}
        for hid, gid in household_ids:
            by_grid.setdefault(gid, []).append(hid)
        elderly = {hid for hid, _ in household_ids if rng.random() < 0.1}
        empty = ""
        resident_rows = []
        for hid, _ in household_ids:
            resident_rows.append((hid, f"户主{hid}", "male", None, "户主",
                                  '["living_alone_elderly"]' if hid in elderly else "[]", empty, empty, empty, empty,
                                  now, now))
            resident_rows.append((hid, f"家人{hid}", "female", None, "配偶", "[]", empty, empty, empty, empty, now, now))
        counts["residents"] = _insert(
            "org_resident",
            ["household_id", "name", "gender", "birth_date", "relation", "tags", "sensitive_tags", "id_number",
             "id_number_hash", "phone", "created_at", "updated_at"],
            resident_rows,
        )
        del resident_rows

        per_branch = size["members"] // len(branches)
        Member.objects.bulk_create(
            [Member(party_org=b, name=f"党员{b.pk}-{n}") for b in branches for n in range(per_branch)],
            batch_size=2000,
        )
        members_by_village = {}
        for mid, area_id in Member.objects.values_list("id", "party_org__area_id").order_by("id"):
            members_by_village.setdefault(area_id, []).append(mid)
        link_rows, linked_to = [], {}
        link_start = today - datetime.timedelta(days=30 * size["months"])
        for village in villages:
            village_households = [(h, g.pk) for v, g in grids if v.pk == village.pk for h in by_grid.get(g.pk, [])]
            for index, mid in enumerate(members_by_village.get(village.pk, [])):
                for hid, gid in village_households[index * LINKS_PER_MEMBER:(index + 1) * LINKS_PER_MEMBER]:
                    # Each link carries its household's grid (as services.link_households writes it).
                    link_rows.append((mid, hid, gid, link_start, None, None, now))
                    linked_to[hid] = mid
        counts["links"] = _insert(
            "grid_householdlink", ["member_id", "household_id", "grid_id", "started_on", "ended_on", "created_by_id",
                                   "created_at"], link_rows,
        )
        counts["linked_households"] = len(linked_to)

        # A visit a month for every household; each household's own day, 0–40 days before today
        # for the latest, so some linked households are overdue.
        ways = ("home", "phone", "wechat")
        visits = 0
        batch = []
        columns = ["household_id", "member_id", "recorded_by_id", "visited_on", "way", "notes", "photo",
                   "photo_content_type", "idempotency_key", "concern_id", "created_at"]
        for hid, _ in household_ids:
            offset = rng.randint(0, 40)
            member = linked_to.get(hid)
            for month in range(size["months"]):
                day = today - datetime.timedelta(days=offset + 30 * month)
                batch.append((hid, member, None, day, ways[(hid + month) % 3], "走访", "", "", None, None, now))
            if len(batch) >= 200_000:
                visits += _insert("grid_visit", columns, batch)
                batch = []
        visits += _insert("grid_visit", columns, batch)
        counts["visits"] = visits
    with connection.schema_editor() as editor:
        for index in Visit._meta.indexes:
            editor.add_index(Visit, index)
    # Visits written in bulk bypass record_visit: the links take their households' last visit here.
    services.refresh_last_visits()
    with connection.cursor() as cursor:
        # On PostgreSQL, VACUUM also sets the visibility map, without which every "index-only"
        # probe of the last visit fetches the heap row (autovacuum does this on a live server).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    counts["generate_s"] = round(time.perf_counter() - started, 1)
    return county, towns, villages, grids, counts


def _user(username, role, area):
    from zhenwu.accounts.models import User

    user, _ = User.objects.get_or_create(username=username, defaults={"role": role, "area": area})
    return user


def _kept_county():
    """(county, towns, villages, first grid, counts) of a county built by an earlier --keep run."""
    from django.utils import timezone

    from zhenwu.grid.models import HouseholdLink, Visit
    from zhenwu.org.models import Area, AreaLevel, Household, Resident

    county = Area.objects.filter(level=AreaLevel.COUNTY, name="浏阳市").first()
    if county is None or not Household.objects.exists():
        return None
    under = Area.objects.filter(path__startswith=county.path).order_by("path")
    links = HouseholdLink.objects.active(timezone.localdate())
    counts = {
        "households": Household.objects.count(), "residents": Resident.objects.count(),
        "links": links.count(), "linked_households": links.values("household").distinct().count(),
        "visits": Visit.objects.count(), "generate_s": "kept",
    }
    return (county, list(under.filter(level=AreaLevel.TOWN)), list(under.filter(level=AreaLevel.VILLAGE)),
            under.filter(level=AreaLevel.GRID).first(), counts)


def child(size):
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from scratch_db import migrate_database

    from zhenwu.accounts.models import Role
    from zhenwu.grid.models import HouseholdLink

    migrate_database()
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(926)
    today = timezone.localdate()
    kept = _kept_county()
    if kept is None:
        county, towns, villages, grids, counts = generate(size, today=today, rng=rng)
        grid = grids[0][1]
    else:
        county, towns, villages, grid, counts = kept
    town, village = towns[0], villages[0]
    users = {
        "town": _user("town_leader", Role.LEADER, town),
        "village": _user("secretary", Role.SECRETARY, village),
        "grid": _user("grid_worker", Role.GRID_WORKER, grid),
        "county": _user("county_leader", Role.LEADER, county),
    }

    def timings(user, url):
        client = Client()
        client.force_login(user)
        first = client.get(url)
        assert first.status_code == 200, first.content[:2000]
        times, cpu, server = [], [], []
        for _ in range(size["runs"]):
            before = backend_cpu()
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            spent = server_cpu_between(before, backend_cpu())
            if spent is not None:
                server.append(spent)
            assert response.status_code == 200
        figures = [round(pct(times, 50), 1), round(pct(times, 95), 1), round(pct(cpu, 50), 1)]
        figures.append(round(pct(server, 50), 1) if server else None)
        return figures, first.content.decode()

    results = {}
    for scope in ("town", "village", "grid"):
        results[f"overdue_{scope}"], body = timings(users[scope], "/grid/overdue/")
        if scope == "town":
            import re

            found = re.search(r"逾期 (\d+) 户", body)
            counts["town_overdue"] = int(found.group(1)) if found else None
            counts["town_linked"] = HouseholdLink.objects.active(today).filter(
                household__grid__path__startswith=town.path).values("household").distinct().count()
        results[f"coverage_{scope}"], body = timings(users[scope], "/grid/coverage/")
    results["overdue_town_page5"], _ = timings(users["town"], "/grid/overdue/?page=5")
    # A county account: its page of towns, a town it drills into, and its overdue lists.
    results["coverage_county"], body = timings(users["county"], "/grid/coverage/")
    counts["county_rows"] = body.count("<tr>") - 1  # less the header
    results["coverage_county_town"], _ = timings(users["county"], f"/grid/coverage/?town={town.pk}")
    results["overdue_county"], _ = timings(users["county"], "/grid/overdue/")
    results["overdue_county_town"], _ = timings(users["county"], f"/grid/overdue/?town={town.pk}")
    print(json.dumps({"database": connection.vendor, "size": size, "counts": counts, "results": results},
                     ensure_ascii=False))


def run(size, database_url=None, keep=None):
    return run_child(__file__, [json.dumps(size)], database_url=database_url, keep=keep)


LABELS = [
    ("overdue_town", "Overdue list, town leader (first page)"),
    ("overdue_town_page5", "Overdue list, town leader (page 5)"),
    ("overdue_village", "Overdue list, village secretary"),
    ("overdue_grid", "Overdue list, grid worker"),
    ("coverage_town", "Coverage page, town leader"),
    ("coverage_village", "Coverage page, village secretary"),
    ("coverage_grid", "Coverage page, grid worker"),
    ("coverage_county", "Coverage page, county account (its towns, whole county)"),
    ("coverage_county_town", "Coverage page, county account drilled into a town"),
    ("overdue_county", "Overdue list, county account (whole county, first page)"),
    ("overdue_county_town", "Overdue list, county account, one town"),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description="联户走访 benchmark")
    parser.add_argument("--quick", action="store_true", help="6,000 households, 3 towns, 6 months, 5 runs")
    parser.add_argument("--pg", action="store_true", help="run on a scratch PostgreSQL database")
    parser.add_argument("--households", type=int)
    parser.add_argument("--members", type=int)
    parser.add_argument("--months", type=int)
    parser.add_argument("--runs", type=int)
    parser.add_argument("--keep", metavar="FILE_OR_NAME",
                        help="keep the database (SQLite file, or PostgreSQL database name with --pg) and reuse it")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return None
    size = dict(QUICK if args.quick else FULL)
    for key in ("households", "members", "months", "runs"):
        if getattr(args, key):
            size[key] = getattr(args, key)
    database_url = None
    if args.pg:
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith(("postgres://", "postgresql://")):
            database_url = DEFAULT_PG
    r = run(size, database_url, keep=args.keep)
    c = r["counts"]
    built = "kept database reused" if c["generate_s"] == "kept" else f"generated in {c['generate_s']} s"
    print(f"Visits benchmark: {r['database']}, {c['households']:,} households, {c['residents']:,} residents, "
          f"{c['links']:,} links ({c['linked_households']:,} households linked), {c['visits']:,} visits over "
          f"{size['months']} months ({built}); {size['runs']} runs each, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; town overdue: {c['town_overdue']:,} of "
          f"{c['town_linked']:,} linked households; county page: {c['county_rows']} rows")
    for key, label in LABELS:
        p50, p95, cpu, server = r["results"][key]
        server = f", PostgreSQL backend's CPU p50 {server} ms" if server is not None else ""
        print(f"{label}  p50 {p50} ms  p95 {p95} ms  (this process's CPU p50 {cpu} ms{server})")
    return r


if __name__ == "__main__":
    main()
