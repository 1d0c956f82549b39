"""Where a web worker's memory goes: RSS after each step of a worker's start, as zhenwu/wsgi.py
takes them, then after rounds of the soak's kinds of request, with how much of that growth is
live Python objects.

    .venv/bin/python bench/memory.py                  # SQLite, 20,000 concerns, 200 rounds
    .venv/bin/python bench/memory.py --pg             # a scratch PostgreSQL database
    .venv/bin/python bench/memory.py --quick          # 300 concerns, 5 rounds (bench/test_memory.py)

A scratch installation (bench/crash.py's, plus --concerns generated concerns) is measured in one
child process, one thread: Django set up; the WSGI application (its middleware); the URLconf and
every view module; the apps' warm-up steps (the router's builds the segmenter's dictionary);
a first cut; then gc.freeze(), as the
gunicorn master does before it forks. Then --rounds rounds, each a leader's concern list, home
page and API page, the public board, the Open311 list, and a resident's form GET and POST, through
django.test.Client. The first rounds (ten at most) show what the pages fill on first use
(compiled templates, caches); the growth over the rest is split into live Python objects
(tracemalloc, its own bookkeeping subtracted; an upper bound, since django.test.Client itself keeps
about 1.5 KB of signal bookkeeping per request) and the rest (SQLite's page cache, C libraries, memory the
allocator keeps). A gunicorn worker runs four threads, each with its own database connection, so
its growth under load is larger than one thread's here (bench/soak.py reports what the server's
workers hold).
"""

import argparse
import gc
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crash import KEY_RE, Resident, run_child, scratch_env  # noqa: E402
from soak import memory_detail_mb  # noqa: E402


def rss_mb():
    return memory_detail_mb(os.getpid())["rss"]


def child_measure(world_path, rounds):
    world = json.loads(Path(world_path).read_text())
    steps = [("interpreter", rss_mb())]

    import django

    django.setup()
    steps.append(("Django and the apps set up", rss_mb()))
    from django.core.wsgi import get_wsgi_application

    get_wsgi_application()
    steps.append(("the WSGI application (middleware)", rss_mb()))
    from zhenwu.ops import warmup

    warmup.load_urls()
    steps.append(("the URLconf and every view module", rss_mb()))
    warmup.warm_apps()
    # The router's step teaches the segmenter the towns' place words: its dictionary is built here.
    steps.append(("apps' warm-up (segmenter's dictionary)", rss_mb()))
    warmup.load_dictionary()
    steps.append(("a first similar-concern cut", rss_mb()))
    gc.freeze()

    import tracemalloc

    from django.test import Client

    staff, resident = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    login = staff.post("/accounts/login/", {"username": world["leader"], "password": world["password"]})
    if login.status_code != 302:
        raise SystemExit(f"login answered {login.status_code}")
    def one_round(i):
        for path, client, params in (
            ("/concerns/list/", staff, None), ("/", staff, None), ("/api/v1/concerns/", staff, None),
            ("/concerns/board/", resident, None),
            ("/open311/v2/requests.json", resident, {"jurisdiction_id": world["jurisdiction"]}),
        ):
            response = client.get(path, params)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        page = resident.get("/concerns/report/").content.decode()
        posted = resident.post("/concerns/report/", {
            "text": Resident.form_text(f"[memory-{i}]"), "category": world["categories"][i % len(world["categories"])],
            "area": world["grids"][i % len(world["grids"])], "reporter_phone": "13800138000",
            "key": KEY_RE.search(page).group(1)})
        if posted.status_code != 200 or "data-testid=\"reference\"" not in posted.content.decode():
            raise SystemExit(f"form POST answered {posted.status_code}")

    warm = rss_mb()
    first = max(1, min(10, rounds // 2))  # what each kind of page fills on first use
    for i in range(first):
        one_round(i)
    after_first = rss_mb()
    tracemalloc.start(1)
    traced0 = tracemalloc.get_traced_memory()[0]
    for i in range(first, rounds):
        one_round(i)
    python = (tracemalloc.get_traced_memory()[0] - traced0) / 2**20
    bookkeeping = tracemalloc.get_tracemalloc_memory() / 2**20
    tracemalloc.stop()
    after = rss_mb() - bookkeeping
    print(json.dumps({"steps": steps, "warm": warm, "first_rounds": first, "after_first": after_first,
                      "after": round(after, 1), "python_growth": round(python, 1), "rounds": rounds}))


def run(*, pg=False, concerns=20000, rounds=200):
    with tempfile.TemporaryDirectory(prefix="zhenwu-memory-") as tmp:
        env, drop = scratch_env(tmp, pg=pg)
        try:
            world = run_child(env, "--child-world", str(concerns))
            world_path = Path(tmp) / "world.json"
            world_path.write_text(json.dumps(world))
            return run_child(env, "--child-measure", str(world_path), str(rounds), script=__file__)
        finally:
            if drop:
                drop()


def main(argv=None):
    parser = argparse.ArgumentParser(description="Where a web worker's memory goes")
    parser.add_argument("--quick", action="store_true", help="300 concerns, 5 rounds")
    parser.add_argument("--pg", action="store_true", help="scratch PostgreSQL database (DATABASE_URL's server)")
    parser.add_argument("--concerns", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--child-measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_measure:
        return child_measure(args.child_measure[0], int(args.child_measure[1]))
    if args.quick:
        args.concerns, args.rounds = 300, 5
    r = run(pg=args.pg, concerns=args.concerns, rounds=args.rounds)
    print(f"Web worker memory: {'postgresql' if args.pg else 'sqlite'}, {args.concerns:,} concerns, one thread, "
          f"RSS in MB as zhenwu/wsgi.py starts a worker")
    previous = None
    for name, value in r["steps"]:
        step = f"+{value - previous:.1f}" if previous is not None else f"{value:.1f}"
        print(f"  {name:<40} {step:>7}  ({value:.1f})")
        previous = value
    growth = r["after"] - r["after_first"]
    print(f"warm {r['warm']:.1f}; after the first {r['first_rounds']} rounds {r['after_first']:.1f} "
          f"({r['after_first'] - r['warm']:+.1f}, filled on first use); after {r['rounds'] - r['first_rounds']} more "
          f"{r['after']:.1f} ({growth:+.1f}): live Python objects {r['python_growth']:+.1f}, "
          f"outside them {growth - r['python_growth']:+.1f}")
    print(json.dumps(r))
    return r


if __name__ == "__main__":
    main()
