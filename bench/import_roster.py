"""Benchmark the roster import: validate and commit speed, and memory that does not grow with the file.

    .venv/bin/python bench/import_roster.py            # 5,000 and 20,000 rows
    .venv/bin/python bench/import_roster.py --quick    # 300 rows (run by bench/test_import_roster.py)
    .venv/bin/python bench/import_roster.py --sizes 1000,50000 --kind members

Each size runs in its own process with a fresh temporary SQLite database (temporary
ZHENWU_DATA_DIR, migrated, with a town of 10 villages x 4 grids and their party branches). The
roster is generated (valid ID numbers, Chinese names), then imported through the same functions
the background jobs call: `validate_roster` (which stages the parsed rows, as the validation job
does) and `commit_roster` on the staged rows (database checks again, insert_many, one audit entry
per row). Memory is shown two ways: the process's peak RSS growth during the import, and the
tracemalloc peak of a second validation pass; both should stay roughly level from 5,000 to 20,000
rows.
"""

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def build_town():
    from zhenwu.accounts.models import Role, User
    from zhenwu.org.models import Area, AreaLevel, PartyOrg, PartyOrgKind

    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    town = Area.objects.add_child(county, dict(name="官桥镇", level=AreaLevel.TOWN, code="430181110"))
    committee = PartyOrg.objects.add_root(dict(name="中共官桥镇委员会", kind=PartyOrgKind.COMMITTEE, area=town))
    villages, orgs = [], []
    for v in range(1, 11):
        village = Area.objects.add_child(
            town, dict(name=f"第{v}村", level=AreaLevel.VILLAGE, code=f"430181110{200 + v}")
        )
        grids = []
        for g in range(1, 5):
            name = f"第{v}村第{g}网格"
            Area.objects.add_child(village, dict(name=name, level=AreaLevel.GRID, code=f"430181110{200 + v}-{g:02d}"))
            grids.append(name)
        villages.append((village.name, grids))
        branch = PartyOrg.objects.add_child(committee, dict(name=f"第{v}村党支部", kind=PartyOrgKind.BRANCH, area=village))
        orgs.append(branch.name)
    admin = User(username="bench_admin", role=Role.TOWN_ADMIN, area=town, party_org=committee)
    admin.set_unusable_password()
    admin.save()
    return admin, villages, orgs


def child(size, kind):
    """Runs inside the fresh process: set up, generate, import; print one JSON line."""
    import django

    django.setup()

    from scratch_db import migrate_database

    migrate_database()
    sys.path.insert(0, str(HERE))
    from make_roster import write_roster

    from zhenwu.audit.models import AuditEntry
    from zhenwu.lib.request_context import Actor, acting_as
    from zhenwu.org.models import Member, Resident
    from zhenwu.org.roster.commit import commit_roster
    from zhenwu.org.roster.scan import validate_roster
    from zhenwu.org.roster.stage import Stage

    read_stage = Stage.read

    admin, villages, orgs = build_town()
    path = Path(os.environ["ZHENWU_DATA_DIR"]) / f"roster-{size}.xlsx"
    started = time.perf_counter()
    write_roster(path, kind=kind, rows=size, villages=villages, orgs=orgs)
    generate_s = time.perf_counter() - started
    gc.collect()
    rss_before = _maxrss_mb()

    with open(path, "rb") as f:
        started, cpu = time.perf_counter(), time.process_time()
        scan = validate_roster(kind=kind, fileobj=f, user=admin, stage=True)
        staged = scan.staged()  # the validation job keeps its parsed rows for the commit
        validate_s, validate_cpu = time.perf_counter() - started, time.process_time() - cpu
    summary = scan.summary()
    if summary["error_count"]:
        raise SystemExit(f"generated roster has errors: {summary['errors'][:5]}")
    with open(path, "rb") as f, acting_as(Actor(user_id=admin.pk, label=admin.username)):
        started, cpu = time.perf_counter(), time.process_time()
        result = commit_roster(kind=kind, fileobj=f, user=admin, filename=path.name, staged=read_stage(staged))
        commit_s, commit_cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_after = _maxrss_mb()

    model = Resident if kind == "residents" else Member
    created = model.objects.count()
    audited = AuditEntry.objects.filter(object_type=model._meta.label).count()
    assert created == size == audited, (created, size, audited)

    # Python-level peak of a validation pass (re-run under tracemalloc, which slows it down).
    gc.collect()
    tracemalloc.start()
    with open(path, "rb") as f:
        validate_roster(kind=kind, fileobj=f, user=admin)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(json.dumps({
        "rows": size,
        "kind": kind,
        "file_mb": round(path.stat().st_size / 1e6, 2),
        "generate_s": round(generate_s, 2),
        "validate_s": round(validate_s, 3),
        "commit_s": round(commit_s, 3),
        "validate_rps": round(size / validate_s),
        "commit_rps": round(size / commit_s),
        "overall_rps": round(size / (validate_s + commit_s)),
        "validate_cpu_s": round(validate_cpu, 3),
        "commit_cpu_s": round(commit_cpu, 3),
        "overall_cpu_rps": round(size / (validate_cpu + commit_cpu)),
        "rss_before_mb": round(rss_before, 1),
        "rss_peak_mb": round(rss_after, 1),
        "rss_growth_mb": round(rss_after - rss_before, 1),
        "traced_validate_peak_mb": round(traced_peak / 1e6, 2),
        "created": result.get("residents_created", result.get("members_created")),
    }))


def run_size(size, kind):
    with tempfile.TemporaryDirectory(prefix="zhenwu-bench-") as tmp:
        env = dict(os.environ)
        env.update(
            ZHENWU_DATA_DIR=tmp,
            ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"),
            DATABASE_URL=f"sqlite:///{tmp}/bench.sqlite3",
            DJANGO_SETTINGS_MODULE="zhenwu.settings",
            ZHENWU_LOG_LEVEL="WARNING",
            ZHENWU_DEBUG="0",  # DEBUG keeps every SQL statement in memory
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.pop("ZHENWU_ENV", None)
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", str(size), "--kind", kind],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"benchmark child for {size} rows failed")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Roster import benchmark")
    parser.add_argument("--quick", action="store_true", help="one small run (300 rows)")
    parser.add_argument("--sizes", default="5000,20000", help="comma-separated row counts")
    parser.add_argument("--kind", choices=("residents", "members"), default="residents")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.kind)
        return []
    sizes = [300] if args.quick else [int(s) for s in args.sizes.split(",")]
    print(f"roster import benchmark ({args.kind}, SQLite, {os.cpu_count()} CPUs)")
    header = (f"{'rows':>7} {'file MB':>8} {'validate rows/s':>16} {'commit rows/s':>14} {'overall rows/s':>15} "
              f"{'CPU-time rows/s':>16} "
              f"{'peak RSS MB':>12} {'RSS growth MB':>14} {'traced peak MB':>15}")
    print(header)
    results = []
    for size in sizes:
        r = run_size(size, args.kind)
        results.append(r)
        print(f"{r['rows']:>7} {r['file_mb']:>8} {r['validate_rps']:>16} {r['commit_rps']:>14} "
              f"{r['overall_rps']:>15} {r['overall_cpu_rps']:>16} {r['rss_peak_mb']:>12} {r['rss_growth_mb']:>14} "
              f"{r['traced_validate_peak_mb']:>15}")
    print("(CPU-time rows/s: rows per CPU-second of the importing process, validate + commit; steadier "
          "than wall time on a busy machine)")
    return results


if __name__ == "__main__":
    main()
