"""Crash benchmark: is every concern a resident saw confirmed still there after the server is
killed (SIGKILL) at random moments under full intake load?

    .venv/bin/python bench/crash.py                 # SQLite, 20 kills
    .venv/bin/python bench/crash.py --pg            # a scratch PostgreSQL database (DATABASE_URL or local)
    .venv/bin/python bench/crash.py --quick         # 2 kills, a few seconds (run by bench/test_crash.py)
    .venv/bin/python bench/crash.py --kills 50 --clients 12 --workers 3

A scratch installation (temporary data directory, SQLite file or throwaway PostgreSQL database)
is migrated and given a town, categories and an Open311 key (under the test suite, which names its
migrated SQLite database in ZHENWU_BENCH_MIGRATED_SQLITE, a new SQLite file starts as a copy of it:
bench/scratch_db.py; run by hand, it migrates from nothing). The real server (gunicorn with the
flags of `manage.py serve`) is started in its own process group; client threads submit concerns
as fast as they can, through the resident's phone form (GET the form, POST it with its one-time
key) and through Open311 (POST requests.json). A killer sends SIGKILL to the whole process group
(master and workers at once, like a crash) at random moments, and restarts the server.

- A form POST that fails (connection refused or reset, 5xx) is sent again with the SAME key until
  it succeeds, as the resident's retry (or drafts.js) would: it must give the first concern back,
  never a second one.
- An Open311 POST that fails is not retried (Open311 has no idempotency key): its concern may or
  may not exist, and is not counted as confirmed.
Every text carries a unique marker. At the end the database is read: every confirmed reference
must exist and hold its marker (lost must be 0), no marker may appear twice (duplicates), the
audit chain must verify and (SQLite) the integrity check must pass.
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PASSWORD = "Bench#Soak2026"
MARKER_RE = re.compile(r"\[m-(\d+)-(\d+)\]")
REFERENCE_RE = re.compile(r'data-testid="reference">([^<]+)<')
KEY_RE = re.compile(r'name="key" value="([^"]+)"')
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- the scratch installation --------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_env(tmp, pg=False):
    """(env of a fresh installation under tmp, function dropping its PostgreSQL database). The
    installation's own settings replace the caller's ZHENWU_* ones, except the suite's migrated
    SQLite template (bench/scratch_db.py), which a new SQLite file starts as a copy of.

    The load generators that serve it (crash, soak, http_bench) post from one address: the
    anonymous-write limits are raised above their rates (kept, so their checks stay in the path
    and in the measured cost); left at the defaults, every form post after the twentieth of ten
    minutes is refused with 429."""
    sys.path.insert(0, str(HERE))
    from scratch_db import TEMPLATE_VARIABLE

    drop = None
    if pg:
        from open311 import _postgres_database

        url, drop = _postgres_database(os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres")
    else:
        url = f"sqlite:///{tmp}/crash.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_", "PYTEST", "DJANGO_"))}
    if os.environ.get(TEMPLATE_VARIABLE):
        env[TEMPLATE_VARIABLE] = os.environ[TEMPLATE_VARIABLE]
    env.update(
        DATABASE_URL=url, ZHENWU_DATA_DIR=str(tmp), ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"),
        DJANGO_SETTINGS_MODULE="zhenwu.settings", ZHENWU_DEBUG="0", ZHENWU_LOG_LEVEL="WARNING",
        ZHENWU_ALLOWED_HOSTS="127.0.0.1,localhost", ZHENWU_SECRET_KEY="bench-crash-secret-key",
        ZHENWU_ANONYMOUS_WRITE_RATES="address=1000000/10m,browser=1000000/10m,all=1000000/10m",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env, drop


def run_child(env, *args, script=None):
    """Run `script` (this file by default) with `args` in `env`; the JSON of its last printed line."""
    proc = subprocess.run([sys.executable, str(Path(script or __file__).resolve()), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child {args[0]} failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_world(concerns=0):
    """Migrate, then a town with grids and categories, an Open311 key, a leader who can log in
    and a personal API token (and `concerns` generated concerns); prints what clients need."""
    import django

    django.setup()

    from scratch_db import migrate_database

    migrate_database()
    sys.path.insert(0, str(HERE))
    from open311 import build_world

    from zhenwu.accounts.models import Role, User
    from zhenwu.accounts.tokens import create_api_token
    from zhenwu.lib.request_context import Actor, acting_as

    with acting_as(Actor(user_id=None, label="bench")):
        town, grids, categories, key = build_world()
        leader = User(username="bench_leader", role=Role.LEADER, full_name="镇领导", area=town)
        leader.set_password(PASSWORD)
        leader.save()
        _, token = create_api_token(user=leader, name="bench")
        if concerns:
            from django.utils import timezone
            from open311 import generate

            generate(concerns, town, grids, categories, now=timezone.now())
    print(json.dumps({
        "open311_key": key, "jurisdiction": town.code, "grids": [g for _, g in grids],
        "categories": [c.pk for c in categories], "service_codes": [c.code for c in categories],
        "leader": leader.username, "password": PASSWORD, "token": token,
    }))


def child_verify(path):
    """Read the database: confirmed references present with their markers, duplicates, chain."""
    import django

    django.setup()
    from collections import Counter

    from django.db import connection

    from zhenwu.audit.services import verify_chain
    from zhenwu.concerns.models import Concern

    confirmed = json.loads(Path(path).read_text())
    by_reference = dict(Concern.objects.values_list("reference", "text"))
    markers = Counter()
    for text in by_reference.values():
        for match in MARKER_RE.finditer(text):
            markers[match.group(0)] += 1
    lost = [c for c in confirmed if c["marker"] not in by_reference.get(c["reference"], "")]
    duplicates = {m: n for m, n in markers.items() if n > 1}
    chain = verify_chain()
    integrity = "n/a"
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = cursor.fetchone()[0]
    print(json.dumps({
        "database": connection.vendor, "concerns": len(by_reference), "lost": lost[:20], "lost_count": len(lost),
        "duplicates": len(duplicates), "duplicate_examples": list(duplicates)[:5],
        "chain_ok": chain.ok, "chain_checked": chain.checked, "chain_message": chain.message, "integrity": integrity,
    }, ensure_ascii=False))


# --- the server ---------------------------------------------------------------------------------


class Server:
    """gunicorn with the flags of `manage.py serve`, in its own process group (killed as one)."""

    def __init__(self, env, port, workers, log_path, extra_args=()):
        self.env, self.port, self.workers, self.log_path = env, port, workers, log_path
        self.extra_args = extra_args  # e.g. a gunicorn config of measuring hooks (bench/http_bench.py)
        self.proc = None
        self.url = f"http://127.0.0.1:{port}"

    cwd = ROOT

    def command(self):
        """The server's command line: `manage.py serve`'s (a subclass may serve another application
        with the same flags, bench/peer_helpdesk.py)."""
        sys.path.insert(0, str(ROOT))
        from zhenwu.jobs.management.commands.serve import gunicorn_argv

        argv = gunicorn_argv(python=sys.executable, host="127.0.0.1", port=self.port, workers=self.workers)
        return argv + list(self.extra_args)

    def start(self, timeout=60):
        log = open(self.log_path, "ab")  # noqa: SIM115 - the server writes to it until killed
        self.proc = subprocess.Popen(
            self.command(), cwd=self.cwd, env=self.env, stdout=log, stderr=log, start_new_session=True,
        )
        log.close()
        self.wait_up(timeout)

    def wait_up(self, timeout):
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}; see {self.log_path}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise SystemExit(f"server not up after {timeout} s; see {self.log_path}")

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def worker_pids(self):
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:  # ppid
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def rss_mb(self):
        """{pid: resident set size in MB} of the gunicorn workers."""
        sizes = {}
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes[pid] = int(line.split()[1]) / 1024
            except OSError:
                continue
        return sizes


# --- the clients --------------------------------------------------------------------------------


class Resident:
    """One phone: GET the form, POST it; retried with the same key until the server confirms."""

    def __init__(self, url, world, client_id):
        import requests

        self.url, self.world, self.id = url, world, client_id
        self.http = requests.Session()
        self.rng = random.Random(client_id)

    @staticmethod
    def form_text(marker):
        return f"{marker} 村口路灯坏了三盏，晚上看不见路，老人小孩出门不方便。"

    def form_data(self, marker):
        page = self.http.get(self.url + "/concerns/report/", timeout=15)
        page.raise_for_status()
        html = page.text
        return {
            "csrfmiddlewaretoken": CSRF_RE.search(html).group(1), "key": KEY_RE.search(html).group(1),
            "text": self.form_text(marker),
            "category": str(self.rng.choice(self.world["categories"])), "area": str(self.rng.choice(self.world["grids"])),
            "reporter_name": "", "reporter_phone": "13800138000", "latitude": "", "longitude": "",
        }

    def post_form(self, data):
        response = self.http.post(self.url + "/concerns/report/", data=data, timeout=30,
                                  headers={"Referer": self.url + "/concerns/report/"})
        if response.status_code == 200:
            found = REFERENCE_RE.search(response.text)
            if found:
                return found.group(1).strip()
        if response.status_code < 500:
            raise AssertionError(f"form answered {response.status_code}: {response.text[:300]}")
        return None

    def post_open311(self, marker):
        response = self.http.post(self.url + "/open311/v2/requests.json", timeout=30, data={
            "api_key": self.world["open311_key"], "jurisdiction_id": self.world["jurisdiction"],
            "service_code": self.rng.choice(self.world["service_codes"]), "lat": "28.155", "long": "113.64",
            "address_string": "第3村村口", "description": f"{marker} 村口水管破了，水流了一地。", "phone": "13800138000",
        })
        if response.status_code == 200:
            return response.json()[0]["service_request_id"]
        if response.status_code < 500:
            raise AssertionError(f"Open311 answered {response.status_code}: {response.text[:300]}")
        return None


def client_loop(url, world, client_id, stop, results, lock, form_share):
    import requests

    resident = Resident(url, world, client_id)
    n = 0
    while not stop.is_set():
        n += 1
        marker = f"[m-{client_id}-{n}]"
        try:
            if resident.rng.random() < form_share:
                data = None
                while data is None and not stop.is_set():
                    try:
                        data = resident.form_data(marker)
                    except (requests.RequestException, AttributeError):
                        time.sleep(0.1)
                tries, reference = 0, None
                while data is not None and reference is None:
                    tries += 1
                    try:
                        reference = resident.post_form(data)
                    except requests.RequestException:
                        reference = None
                    if reference is None:
                        if stop.is_set() and tries > 300:  # 30 s after the end: give up
                            break
                        time.sleep(0.1)
                with lock:
                    if reference:
                        results["confirmed"].append({"marker": marker, "reference": reference, "via": "form"})
                        results["retried"] += tries > 1
            else:
                try:
                    reference = resident.post_open311(marker)
                except requests.RequestException:
                    reference = None
                with lock:
                    if reference:
                        results["confirmed"].append({"marker": marker, "reference": reference, "via": "open311"})
                    else:
                        results["unconfirmed"] += 1
        except AssertionError as exc:
            with lock:
                results["errors"].append(str(exc))
            time.sleep(0.2)


def run(*, pg=False, kills=20, clients=8, workers=3, min_gap=2.0, max_gap=6.0, form_share=0.7, seed=None):
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="zhenwu-crash-") as tmp:
        env, drop = scratch_env(tmp, pg=pg)
        server = None
        try:
            world = run_child(env, "--child-world")
            server = Server(env, free_port(), workers, Path(tmp) / "server.log")
            started = time.monotonic()
            server.start()
            results = {"confirmed": [], "unconfirmed": 0, "retried": 0, "errors": []}
            lock, stop = threading.Lock(), threading.Event()
            threads = [threading.Thread(target=client_loop, args=(server.url, world, i, stop, results, lock, form_share),
                                        daemon=True) for i in range(clients)]
            for t in threads:
                t.start()
            downtime = 0.0
            for _ in range(kills):
                time.sleep(rng.uniform(min_gap, max_gap))
                server.kill()
                down = time.monotonic()
                server.start()
                downtime += time.monotonic() - down
            time.sleep(min_gap)  # a last stretch after the final restart, then let the retries land
            stop.set()
            for t in threads:
                t.join(timeout=90)
            elapsed = time.monotonic() - started
            server.stop()
            confirmed_path = Path(tmp) / "confirmed.json"
            confirmed_path.write_text(json.dumps(results["confirmed"]))
            check = run_child(env, "--child-verify", str(confirmed_path))
        finally:
            if server:
                server.stop()
            if drop:
                drop()
    via = {"form": 0, "open311": 0}
    for c in results["confirmed"]:
        via[c["via"]] += 1
    return {
        **check, "kills": kills, "confirmed": len(results["confirmed"]), "via": via,
        "unconfirmed_open311": results["unconfirmed"], "form_retried": results["retried"],
        "client_errors": results["errors"][:5], "client_error_count": len(results["errors"]),
        "elapsed_s": round(elapsed, 1), "downtime_s": round(downtime, 1),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="SIGKILL the server under intake load; count lost confirmations")
    parser.add_argument("--quick", action="store_true", help="2 kills, 3 clients, 1 worker (a few seconds)")
    parser.add_argument("--pg", action="store_true", help="scratch PostgreSQL database (DATABASE_URL's server)")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--min-gap", type=float, default=2.0, help="seconds between kills, at least")
    parser.add_argument("--max-gap", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--child-world", type=int, nargs="?", const=0, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-verify", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_world is not None:
        return child_world(args.child_world)
    if args.child_verify:
        return child_verify(args.child_verify)
    if args.quick:
        args.kills, args.clients, args.workers, args.min_gap, args.max_gap = 2, 3, 1, 1.5, 3.0
    r = run(pg=args.pg, kills=args.kills, clients=args.clients, workers=args.workers, min_gap=args.min_gap,
            max_gap=args.max_gap, seed=args.seed)
    print(f"Crash benchmark: {r['database']}, {args.clients} clients, {args.workers} workers, {os.cpu_count()} CPUs, "
          f"{r['elapsed_s']} s ({r['downtime_s']} s restarting)")
    print(f"kills {r['kills']}  confirmed {r['confirmed']} (form {r['via']['form']}, open311 {r['via']['open311']})  "
          f"lost {r['lost_count']}  duplicates {r['duplicates']}")
    print(f"form posts retried after a kill {r['form_retried']}; Open311 posts cut by a kill (not retried) "
          f"{r['unconfirmed_open311']}; concerns in the database {r['concerns']}")
    print(f"audit chain: {r['chain_message']}; integrity {r['integrity']}; client errors {r['client_error_count']}")
    for line in r["lost"]:
        print(f"  LOST {line}")
    for line in r["client_errors"]:
        print(f"  client error: {line}")
    # A refusal (an answer in the 400s: a limit, a rejected form) is no effect of a crash, and a
    # run full of them would not test what it claims: it fails the run too.
    ok = (r["lost_count"] == 0 and r["duplicates"] == 0 and r["chain_ok"] and r["integrity"] in ("ok", "n/a")
          and r["client_error_count"] == 0)
    if not ok:
        raise SystemExit(1)
    return r


if __name__ == "__main__":
    main()
