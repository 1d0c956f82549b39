"""Hostile uploads: the time and memory each takes to be refused.

    .venv/bin/python bench/hostile.py           # full-size bombs (a 300 MB shared string, ...)
    .venv/bin/python bench/hostile.py --quick   # smaller bombs (run by bench/test_hostile.py)

Each file goes the way a real upload goes, in its own fresh process (so the peak memory is the
file's own): rosters through `start_roster_import` (the checks before a job is queued) and the
validation job the worker runs (`run_pending_jobs`), photos through `zhenwu.lib.photos.clean_photo`.
Printed per file: its size, the answer (the job's message or the form's error), seconds to that
answer, the growth of the process's peak RSS, and the size of the job's stored result. The aim:
every refusal under 2 s and 100 MB of growth, and no result larger than a few KB.
"""

import argparse
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _cases(quick):
    sys.path.insert(0, str(ROOT / "tests"))
    import hostile_files as h

    scale = 10 if quick else 1
    roster = [
        ("shared-strings bomb", lambda: h.shared_strings_bomb(megabytes=300 // scale)),
        ("whitespace sheet bomb", lambda: h.sheet_bomb(megabytes=400 // scale)),
        ("20,000 zip members", lambda: h.many_members(count=20_000 // scale)),
        ("zip directory lying (1 KB)", lambda: h.lying_sizes(megabytes=300 // scale)),
        ("far cell ZZ60000", lambda: h.far_cell(row=60_000 // scale)),
        ("far row A200000", lambda: h.far_cell(row=200_000, column="A")),
        ("40,000-character cell", lambda: h.long_cell(characters=40_000)),
    ]
    photos = [
        ("PNG 20000x20000 pixels", lambda: h.png_pixel_bomb(width=20_000, height=20_000)),
        ("JPEG claiming 20000x20000", lambda: h.jpeg_claiming()),
    ]
    return [("roster", *c) for c in roster] + [("photo", *c) for c in photos]


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(index, quick):
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from zhenwu.accounts.models import User
    from zhenwu.jobs.models import Job
    from zhenwu.jobs.services import run_pending_jobs
    from zhenwu.lib.photos import clean_photo
    from zhenwu.org.roster.errors import RosterError, RosterFileError
    from zhenwu.org.roster.jobs import start_roster_import
    from zhenwu.org.roster.layouts import RESIDENTS

    kind, name, build = _cases(quick)[index]
    data = build()
    size_kb = len(data) / 1024
    user = User.objects.get(username="bench_admin")
    gc.collect()
    before = _maxrss_mb()
    started = time.perf_counter()
    result_kb = 0.0
    if kind == "roster":
        upload = SimpleUploadedFile("花名册.xlsx", data)
        del data
        try:
            job = start_roster_import(kind=RESIDENTS, upload=upload, by=user)
        except (RosterFileError, RosterError) as exc:
            answer = f"refused at upload: {exc}"
        else:
            run_pending_jobs()
            job = Job.objects.get(pk=job.pk)
            result_kb = len(json.dumps(job.result, ensure_ascii=False).encode()) / 1024
            answer = f"job {job.status}: {job.message}"
    else:
        upload = SimpleUploadedFile("photo", data)
        del data
        try:
            clean_photo(upload, max_bytes=10 * 1024 * 1024)
            answer = "accepted"
        except ValidationError as exc:
            answer = f"refused: {exc.messages[0]}"
    seconds = time.perf_counter() - started
    print(json.dumps({
        "name": name, "size_kb": round(size_kb, 1), "answer": answer[:90], "seconds": round(seconds, 2),
        "rss_growth_mb": round(_maxrss_mb() - before, 1), "result_kb": round(result_kb, 1),
    }, ensure_ascii=False))


def setup_child():
    import django

    django.setup()

    from scratch_db import migrate_database

    migrate_database()
    sys.path.insert(0, str(HERE))
    from import_roster import build_town

    build_town()


def _run(args, env):
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"benchmark child {args} failed")
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""


def main(argv=None):
    parser = argparse.ArgumentParser(description="Time and memory to refuse hostile uploads")
    parser.add_argument("--quick", action="store_true", help="bombs a tenth of the size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup:
        setup_child()
        return []
    if args.child is not None:
        child(args.child, args.quick)
        return []
    sys.path.insert(0, str(ROOT))
    cases = _cases(args.quick)
    results = []
    with tempfile.TemporaryDirectory(prefix="zhenwu-bench-") as tmp:
        env = dict(os.environ)
        env.update(
            ZHENWU_DATA_DIR=tmp, ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"),
            DATABASE_URL=f"sqlite:///{tmp}/template.sqlite3", DJANGO_SETTINGS_MODULE="zhenwu.settings",
            ZHENWU_LOG_LEVEL="ERROR", ZHENWU_DEBUG="0",
            PYTHONPATH=os.environ.get("PYTHONPATH", str(ROOT)),
        )
        env.pop("ZHENWU_ENV", None)
        _run(["--setup"], env)
        print(f"hostile uploads ({'quick, bombs a tenth of the size' if args.quick else 'full size'}; "
              f"SQLite, {os.cpu_count()} CPUs)")
        print(f"{'file':<28} {'KB':>8} {'seconds':>8} {'RSS growth MB':>14} {'result KB':>10}  answer")
        for index in range(len(cases)):
            db = Path(tmp) / f"case{index}.sqlite3"
            shutil.copy(Path(tmp) / "template.sqlite3", db)
            case_env = dict(env, DATABASE_URL=f"sqlite:///{db}")
            line = _run(["--child", str(index), *(["--quick"] if args.quick else [])], case_env)
            r = json.loads(line)
            results.append(r)
            print(f"{r['name']:<28} {r['size_kb']:>8} {r['seconds']:>8} {r['rss_growth_mb']:>14} "
                  f"{r['result_kb']:>10}  {r['answer']}", flush=True)
            db.unlink()
    return results


if __name__ == "__main__":
    main()
