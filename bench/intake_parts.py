"""Where the CPU time of one intake goes: the resident's form POST taken apart, next to the bare
single-INSERT view that bench/concerns.py uses as its floor.

    .venv/bin/python bench/intake_parts.py                     # 100,000 concerns, 500 POSTs, SQLite
    .venv/bin/python bench/intake_parts.py --quick             # 3,000 concerns, 60 POSTs (bench/test_intake_parts.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/intake_parts.py
    .venv/bin/python bench/intake_parts.py --keep /tmp/concerns.sqlite3   # reuse a county kept by bench/concerns.py

The county is bench/concerns.py's (its build_world and generate, or a database it kept). The parts
are timed by wrapping the functions the request goes through (form validation, the intake service
and, inside it, each write and the commit, the follow-link page, the multipart parser) with this
process's CPU clock; the POSTs go through the whole WSGI stack with django.test.Client, one at a
time, as in bench/concerns.py. On PostgreSQL the server's own work is not in these figures (see
bench/concerns.py for the backend's CPU); on SQLite it is, inside the part that runs the statement.

It also prints the bytes of write-ahead log one intake and one floor request write (the write
cost of the tables' indexes). Nothing is changed in what the request does: the wrappers only read
the clock.
"""

import argparse
import functools
import json
import os
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from open311 import run_child  # noqa: E402

# (label, depth) in the order printed; the keys are the wrapped callables' labels.
PARTS = [
    ("form", "form validation (ReportForm.is_valid: category and place look-ups)", 1),
    ("service", "intake service (submit_concern, one transaction)", 1),
    ("insert", "concern INSERT (its indexes)", 2),
    ("event", "timeline event INSERT", 2),
    ("audit", "audit entry (snapshot, hash chain, INSERT)", 2),
    ("reference", "reference number (counter UPDATE)", 2),
    ("overrides", "workday overrides read", 2),
    ("commit", "commit", 2),
    ("page", "follow-link page rendering", 1),
    ("multipart", "request body parsing (the floor parses it too)", 1),
]


def child(n, towns, years, posts):
    import django

    django.setup()
    import concerns as bench
    from django.conf import settings
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.http import multipartparser
    from django.test import Client
    from django.utils import timezone
    from scratch_db import migrate_database

    from zhenwu.accounts.models import Role, User
    from zhenwu.concerns import forms_public, models, services
    from zhenwu.concerns.services import common as common_services
    from zhenwu.concerns.services import intake as intake_services
    from zhenwu.concerns.views import public

    migrate_database()
    settings.ALLOWED_HOSTS = ["*"]
    # One client posts every intake here: the anonymous-write limits (which a deployment keeps)
    # are raised, not removed, so their checks stay in the measured cost.
    settings.ZHENWU_ANONYMOUS_WRITE_RATES = {"address": "1000000/10m", "browser": "1000000/10m", "all": "1000000/10m"}
    world = bench.kept_world()
    if world is None:
        world = bench.build_world(towns)
        bench.generate(n, world, now=timezone.now(), years=years)
    settings.ROOT_URLCONF = bench.floor_urlconf()
    if not User.objects.filter(username="bench_dispatcher").exists():
        dispatcher = User(username="bench_dispatcher", role=Role.DISPATCHER, full_name="受理员",
                          area_id=world["grids"][0][0])
        dispatcher.set_unusable_password()
        dispatcher.save()

    spent = dict.fromkeys(key for key, _label, _depth in PARTS)

    def wrap(owner, name, key):
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[key] += time.process_time() - started

        setattr(owner, name, timed)

    resident = Client()
    town, village, grid = world["grids"][0]
    form = {"text": "村口路灯坏了三盏，晚上看不见路，老人小孩出门不方便。", "category": str(world["categories"][0].pk),
            "area": str(grid), "reporter_name": "", "reporter_phone": "13800138000", "latitude": "", "longitude": ""}
    key_re = re.compile(r'name="key" value="([^"]+)"')

    def fresh_key():
        return key_re.search(resident.get("/concerns/report/").content.decode()).group(1)

    def intake(key):
        response = resident.post("/concerns/report/", {**form, "key": key})
        assert response.status_code == 200 and "查询链接" in response.content.decode(), response.content[:2000]

    for _ in range(10):  # warm both paths before wrapping
        intake(fresh_key())
        assert resident.post("/bench/floor/", form).status_code == 200
    keys = [fresh_key() for _ in range(posts)]
    wal = wal_bytes_per_request(lambda: intake(fresh_key()), lambda: resident.post("/bench/floor/", form))

    wrap(forms_public.ReportForm, "is_valid", "form")
    wrap(services, "submit_concern", "service")
    wrap(models.Concern, "save", "insert")
    # the steps inside submit_concern, where its module (services.intake) looks them up
    wrap(intake_services, "_event", "event")
    wrap(intake_services, "_audit", "audit")
    wrap(common_services, "allocate_references", "reference")
    wrap(intake_services, "workday_overrides", "overrides")
    wrap(BaseDatabaseWrapper, "commit", "commit")
    wrap(public, "_show_follow_link", "page")
    wrap(multipartparser.MultiPartParser, "parse", "multipart")

    for part in spent:
        spent[part] = 0.0
    started = time.process_time()
    for key in keys:
        intake(key)
    whole = time.process_time() - started
    intake_parts = dict(spent)
    for part in spent:
        spent[part] = 0.0
    started = time.process_time()
    for _ in range(posts):
        resident.post("/bench/floor/", form)
    floor = time.process_time() - started
    print(json.dumps({
        "database": connection.vendor, "concerns": world["concerns"] if "concerns" in world else n,
        "posts": posts, "whole_ms": whole / posts * 1000, "floor_ms": floor / posts * 1000,
        "floor_multipart_ms": spent["multipart"] / posts * 1000,
        "parts_ms": {part: seconds / posts * 1000 for part, seconds in intake_parts.items()},
        "wal": wal,
        "load": [round(x, 2) for x in os.getloadavg()],
    }))


def wal_bytes_per_request(intake, floor, count=20):
    """Bytes of write-ahead log one intake and one floor request write, the mean of `count` each:
    every page an INSERT touches (the table's and each index's) goes to the log, so this is the
    write cost of the indexes. SQLite: the WAL file's growth with automatic checkpoints held off;
    PostgreSQL: the advance of the WAL position (nothing else writes meanwhile on a bench server)."""
    from django.db import connection

    def position():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn")
                return int(cursor.fetchone()[0])
        return os.path.getsize(f"{connection.settings_dict['NAME']}-wal")

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    try:
        figures = {}
        for name, request in (("intake", intake), ("floor", floor)):
            start = position()
            for _ in range(count):
                request()
            figures[name] = round((position() - start) / count)
        return figures
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_autocheckpoint=1000")


def run(n, towns, years, posts, database_url=None, keep=None):
    return run_child(__file__, [n, "--towns", towns, "--years", years, "--posts", posts],
                     database_url=database_url, keep=keep)


def main(argv=None):
    parser = argparse.ArgumentParser(description="The intake's CPU time, part by part")
    parser.add_argument("--quick", action="store_true", help="3,000 concerns, 3 towns, 60 POSTs")
    parser.add_argument("--concerns", type=int, default=100_000)
    parser.add_argument("--towns", type=int, default=30)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--posts", type=int, default=500)
    parser.add_argument("--keep", metavar="FILE_OR_NAME",
                        help="a database kept by bench/concerns.py --keep (SQLite file or PostgreSQL name)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.towns, args.years, args.posts)
        return None
    if args.quick:
        args.concerns, args.towns, args.posts = 3000, 3, 60
    r = run(args.concerns, args.towns, args.years, args.posts, os.environ.get("DATABASE_URL"), keep=args.keep)
    parts = r["parts_ms"]
    print(f"Intake parts: {r['database']}, {r['concerns']:,} concerns, {r['posts']} POSTs, CPU ms per request, "
          f"load {' '.join(str(x) for x in r['load'])}")
    print(f"{'whole POST /concerns/report/':<72}{r['whole_ms']:8.3f}")
    for key, label, depth in PARTS:
        print(f"{'  ' * depth + label:<72}{parts[key]:8.3f}")
    named = parts["form"] + parts["service"] + parts["page"] + parts["multipart"]
    print(f"{'  rest (middleware, view, response, test client)':<72}{r['whole_ms'] - named:8.3f}")
    print(f"{'floor: bare single-INSERT view (same stack and body)':<72}{r['floor_ms']:8.3f}")
    print(f"Write-ahead log per request: intake {r['wal']['intake']:,} bytes, floor {r['wal']['floor']:,} bytes")
    own = parts["form"] + parts["service"] + parts["page"]
    print(f"The intake's own work (validation, service, page): {own:.3f} ms = {own / r['floor_ms']:.1f}x the whole "
          f"floor request; within 2x of the floor leaves {r['floor_ms']:.3f} ms for all of it")
    return r


if __name__ == "__main__":
    main()
