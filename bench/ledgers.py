"""Benchmark the 民情办理台账 export: a county's year of concerns written as one .xlsx.

    .venv/bin/python bench/ledgers.py                 # 500,000 concerns, 30 towns, one year, SQLite
    .venv/bin/python bench/ledgers.py --quick         # 3,000 concerns, 3 towns (bench/test_ledgers.py)
    .venv/bin/python bench/ledgers.py --pg            # on a scratch PostgreSQL database
    .venv/bin/python bench/ledgers.py --pg postgres://postgres@127.0.0.1:5432/postgres --concerns 200000

The county (30 towns of ten villages with three grids, a department per category and town) and
its concerns come from bench/concerns.py's generator (executemany in batches, every state, call-
backs, deadlines); every concern then gets an encrypted reporter name and phone, as real intake
stores them, so the export pays for decrypting and masking them. The database is a temporary
SQLite file, or with --pg a throwaway database created on the PostgreSQL server (DATABASE_URL or
the URL given) and dropped afterwards (bench/open311.py's helper).

The export runs in fresh processes through `zhenwu.reports.ledgers.export_ledger`, the function
the background job calls, as a county leader over the whole year:
1. timed (wall clock, and the process's CPU time, which a busy machine does not inflate), with
   the growth of the process's peak RSS (ru_maxrss after minus before the export);
2. again under tracemalloc, for the peak of Python allocations (tracemalloc slows it down, so its
   time is not the one reported);
3. the whole job (queue, run the handler, store the file encrypted, audit entry), timed.
The file is then re-opened with openpyxl (read-only) to count its rows.
"""

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"


def _setup():
    import django

    django.setup()


def generate(n, towns):
    """Build the county and n concerns over the last year; return the ids the export needs."""
    _setup()
    from concerns import build_world
    from concerns import generate as generate_concerns
    from django.db import connection
    from django.utils import timezone
    from scratch_db import migrate_database

    from zhenwu.accounts.models import Role, User
    from zhenwu.concerns.models import Concern
    from zhenwu.lib.crypto import encrypt_text
    from zhenwu.org.models import Area

    migrate_database()
    world = build_world(towns)
    started = time.perf_counter()
    generate_concerns(n, world, now=timezone.now(), years=1)
    # One ciphertext each for all rows: decrypting costs the same as distinct ones.
    table = Concern._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET reporter_name = %s, reporter_phone = %s",
                       [encrypt_text("王建国"), encrypt_text("13907310000")])
    county = Area.objects.get(path=world["towns"][0].path[: Area.steplen])
    leader = User(username="bench_county_leader", role=Role.LEADER, full_name="县领导", area=county)
    leader.set_unusable_password()
    leader.save()
    print(json.dumps({"generate_s": round(time.perf_counter() - started, 1), "leader": leader.pk,
                      "area": county.pk}))


def export(leader_id, area_id, mode):
    _setup()
    import tracemalloc

    from django.utils import timezone

    from zhenwu.accounts.models import User
    from zhenwu.org.models import Area
    from zhenwu.reports.filters import Filter
    from zhenwu.reports.ledgers import export_ledger

    user = User.objects.select_related("area").get(pk=leader_id)
    today = timezone.localdate()
    flt = Filter(start=today - datetime.timedelta(days=366), end=today, area=Area.objects.get(pk=area_id))
    result = {}
    if mode == "job":
        from zhenwu.jobs.services import open_job_output, run_pending_jobs
        from zhenwu.reports.ledgers import start_ledger_export

        job = start_ledger_export(ledger_key="concerns", flt=flt, by=user)
        started = time.perf_counter()
        run_pending_jobs()
        result["job_s"] = round(time.perf_counter() - started, 2)
        job.refresh_from_db()
        assert job.status == "done", job.message
        result["job_rows"] = job.result["rows"]
        with open_job_output(job) as handle:
            handle.seek(0, 2)
            result["job_file_mb"] = round(handle.tell() / 2**20, 1)
        print(json.dumps(result))
        return
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if mode == "trace":
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    out, count = export_ledger(ledger_key="concerns", user=user, flt=flt)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if mode == "trace":
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["tracemalloc_peak_mb"] = round(peak / 2**20, 1)
    else:
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result.update(seconds=round(seconds, 2), cpu_s=round(cpu, 2), rss_delta_mb=round((after - before) / 1024, 1), rows=count)
        out.seek(0, 2)
        result["file_mb"] = round(out.tell() / 2**20, 1)
        out.seek(0)
        result["headers"], result["rows_in_file"] = _reread(out)
    out.close()
    print(json.dumps(result, ensure_ascii=False))


def _reread(fileobj):
    """(header row, number of data rows) of the written file: the header through openpyxl, the rows
    counted by streaming the sheet's XML with lxml (openpyxl would take minutes on 500,000 rows)."""
    import zipfile

    from lxml import etree
    from openpyxl import load_workbook

    wb = load_workbook(fileobj, read_only=True)
    rows = wb.worksheets[0].iter_rows(min_row=2, max_row=2, values_only=True)
    headers = list(next(rows))
    wb.close()
    fileobj.seek(0)
    count = 0
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(fileobj) as archive, archive.open("xl/worksheets/sheet1.xml") as sheet:
        for _, row in etree.iterparse(sheet, events=("end",), tag=f"{main}row"):
            first = row.find(f"{main}c")
            if int(row.get("r")) > 2 and first is not None and first.get("r", "").startswith("A"):
                count += 1
            row.clear()
            while row.getprevious() is not None:
                del row.getparent()[0]
    return headers, count


def _child(env, *args):
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark child {args[0]} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(n, towns, pg_url=None):
    from open311 import _postgres_database

    with tempfile.TemporaryDirectory(prefix="zhenwu-bench-") as tmp:
        drop = None
        if pg_url:
            url, drop = _postgres_database(pg_url)
        else:
            url = f"sqlite:///{tmp}/bench.sqlite3"
        env = dict(os.environ)
        env.update(
            ZHENWU_DATA_DIR=tmp, ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"), DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="zhenwu.settings", ZHENWU_LOG_LEVEL="WARNING", ZHENWU_DEBUG="0",
            PYTHONPATH=str(ROOT) + os.pathsep + str(HERE) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.pop("ZHENWU_ENV", None)
        try:
            built = _child(env, "--generate", str(n), "--towns", str(towns))
            ids = [str(built["leader"]), str(built["area"])]
            timed = _child(env, "--export", *ids, "plain")
            traced = _child(env, "--export", *ids, "trace")
            job = _child(env, "--export", *ids, "job")
        finally:
            if drop:
                drop()
    return {"database": "postgresql" if pg_url else "sqlite", "concerns": n, "towns": towns, **built, **timed,
            **traced, **job}


def main(argv=None):
    parser = argparse.ArgumentParser(description="民情办理台账 export benchmark")
    parser.add_argument("--quick", action="store_true", help="3,000 concerns in 3 towns")
    parser.add_argument("--concerns", type=int, default=500_000)
    parser.add_argument("--towns", type=int, default=30)
    parser.add_argument("--pg", nargs="?", const=os.environ.get("DATABASE_URL") or DEFAULT_PG, default=None,
                        help="use a scratch PostgreSQL database on this server (default: DATABASE_URL or "
                             f"{DEFAULT_PG})")
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--export", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        return generate(args.generate, args.towns)
    if args.export:
        leader, area, mode = args.export
        return export(int(leader), int(area), mode)
    if args.quick:
        args.concerns, args.towns = 3000, 3
    if args.pg and not args.pg.startswith(("postgres://", "postgresql://")):
        parser.error("--pg takes a postgres:// URL")
    r = run(args.concerns, args.towns, args.pg)
    print(f"Ledger benchmark: {r['database']}, {r['concerns']:,} concerns in {r['towns']} towns over one year "
          f"(generated in {r['generate_s']} s), {os.cpu_count()} CPUs")
    print(f"民情办理台账 export: {r['rows']:,} rows in {r['seconds']} s ({r['rows'] / max(r['seconds'], 1e-9):,.0f} rows/s; "
          f"process CPU {r['cpu_s']} s), file {r['file_mb']} MB, {r['rows_in_file']:,} data rows re-read")
    print(f"Peak memory: tracemalloc {r['tracemalloc_peak_mb']} MB, ru_maxrss delta {r['rss_delta_mb']} MB")
    print(f"As a background job (export, encrypted storage, audit): {r['job_s']} s for {r['job_rows']:,} rows "
          f"({r['job_file_mb']} MB)")
    return r


if __name__ == "__main__":
    main()
