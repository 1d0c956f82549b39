"""HTTP benchmark: the product's pages through the real server, against a floor served by the same
server in the same run.

    .venv/bin/python bench/http_bench.py                    # SQLite, every target, 5 x 15 s each
    .venv/bin/python bench/http_bench.py --pg                  # a scratch PostgreSQL database
    .venv/bin/python bench/http_bench.py --targets floor,form --seconds 15 --reps 5 --clients 8 --workers 2
    .venv/bin/python bench/http_bench.py --quick               # a few seconds (run by bench/test_http.py)

A scratch installation (as bench/crash.py builds it, plus --concerns generated concerns, a
dispatcher and the floor's table) is served by gunicorn with the flags of `manage.py serve`
(`gunicorn_argv`), and the background worker (`run_worker`) runs beside it as in production. The
floor is /bench/floor/, a bare view doing one INSERT (zhenwu.ops.bench_floor, routed only with
ZHENWU_BENCH_FLOOR=1). Targets, each run by --clients threads flat out for --seconds, in turn,
the order rotated each of --reps repetitions:

  floor       POST /bench/floor/                                          -> 200 "ok"
  form        GET the phone form, POST it (fresh one-time key and CSRF)   -> 200 with a reference
  form_photo  the same with a 1600x1200 JPEG photo
  form_post   the POST alone: the phone form's page is fetched once per client for its CSRF
              token, and each POST carries a fresh one-time key made as the page makes it
              (a random token the server does not keep before the POST), so the rate is that
              of the POST the aim speaks of, without the GET of each pair
  open311     POST /open311/v2/requests.json                              -> 200 with an id
  board       GET the public board 公示栏                                   -> 200
  inbox       a dispatcher's GET /concerns/inbox/                         -> 200 (no redirect)
  mix         bench/soak.py's mix (resident 30%, board 15%, staff 25%, API 20%, Open311 10%)
  peer_post   the peer's public form, POST alone: django-helpdesk 2.6.1 (bench/peer_helpdesk.py),
              served beside ours by its own gunicorn with our server's flags and as many workers
              -> 302 to the new ticket's page; its page is fetched once per client, as form_post's
  peer_view   the same POST and the ticket's page it redirects to: what its submitter waits for
              before a page shows, which our form's POST answers with directly

Per target: successes per second (only answers checked as above count), latency p50/p95/p99 of
the measured request (the POST for the forms; the whole operation for the mix), CPU per success
of the web workers and of the background worker (utime+stime from /proc/<pid>/stat over the
target's windows), and lock waits per success: SQLite, time the web workers spent starting a
transaction (the writer queue's wait and `BEGIN IMMEDIATE`, bench/http_hooks.py); PostgreSQL, backends seen waiting on a lock
(pg_stat_activity, sampled every 20 ms) times the interval; on SQLite also how long the web
workers' transactions held the write lock, per transaction (BEGIN IMMEDIATE's end to the COMMIT's:
with writers queued, successes per second cannot pass 1 / that hold). At the end: RSS and PSS of each web
worker and of the background worker (and of the peer's web workers). With the peer's targets, a
line per peer target compares form_post with it: the rates, the p99s and the web CPU per success.
"""

import argparse
import io
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from crash import CSRF_RE, REFERENCE_RE, Resident, Server, free_port, run_child, scratch_env  # noqa: E402
from peer_helpdesk import PeerClient, PeerServer  # noqa: E402
from soak import Client as MixClient  # noqa: E402
from soak import cpu_seconds, memory_detail_mb, pct  # noqa: E402

TARGETS = ["floor", "form", "form_post", "form_photo", "open311", "board", "inbox", "mix", "peer_post", "peer_view"]
DISPATCHER = "bench_dispatcher"


# --- the scratch installation (children run with the installation's environment) ----------------


def child_extra():
    """The floor's table and a dispatcher who can log in (after crash.py's world)."""
    import django

    django.setup()
    from django.db import connection

    from zhenwu.accounts.models import Role, User
    from zhenwu.lib.request_context import Actor, acting_as
    from zhenwu.org.models import Area, AreaLevel

    key = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_floor (id {key}, at TIMESTAMP WITH TIME ZONE NOT NULL)"
                       if connection.vendor == "postgresql" else f"CREATE TABLE bench_floor (id {key}, at TEXT NOT NULL)")
    with acting_as(Actor(user_id=None, label="bench")):
        town = Area.objects.get(level=AreaLevel.TOWN, code="430181110")
        user = User(username=DISPATCHER, role=Role.DISPATCHER, full_name="受理员", area=town)
        user.set_password(os.environ["ZHENWU_BENCH_PASSWORD"])
        user.save()
    print(json.dumps({"dispatcher": DISPATCHER}))


# --- processes: CPU, memory, lock waits ---------------------------------------------------------


def memory_mb(pid):
    """(RSS, PSS) in MB: PSS shares pages among the processes mapping them (what --preload saves);
    read as the soak reads them (soak.memory_detail_mb)."""
    memory = memory_detail_mb(pid) or {}
    return memory.get("rss", 0.0), memory.get("pss", 0.0)


class LockWaits:
    """Seconds spent waiting for locks so far, summed over the web workers (SQLite) or sampled
    from pg_stat_activity (PostgreSQL)."""

    def __init__(self, stats_dir, pg_url=None, interval=0.02, also=()):
        self.stats_dir, self.pg_url, self.interval = Path(stats_dir), pg_url, interval
        self.names = [pg_url.rsplit("/", 1)[1], *also] if pg_url else []
        self.sampled, self.stop = 0.0, threading.Event()
        if pg_url:
            self.thread = threading.Thread(target=self._sample, daemon=True)
            self.thread.start()

    def _sample(self):
        import psycopg

        with psycopg.connect(self.pg_url, autocommit=True) as conn:
            while not self.stop.wait(self.interval):
                waiting = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = ANY(%s) AND wait_event_type = 'Lock'",
                    [self.names]).fetchone()[0]
                self.sampled += waiting * self.interval

    def seconds(self):
        if self.pg_url:
            return self.sampled
        return self._summed()[0]

    def held(self):
        """(seconds, transactions): on SQLite, the web workers' transactions from the end of their
        BEGIN IMMEDIATE to their COMMIT or ROLLBACK, the time they held the write lock; (0, 0) on
        PostgreSQL, whose locks are taken inside the transaction."""
        if self.pg_url:
            return 0.0, 0
        summed = self._summed()
        return summed[2], summed[3]

    def _summed(self):
        total = [0.0, 0, 0.0, 0]
        for path in self.stats_dir.glob("lockwait-*"):
            try:
                fields = path.read_text().split()
                values = [float(fields[0]), int(fields[1]), float(fields[2]), int(fields[3])]
            except (OSError, ValueError, IndexError):
                continue
            total = [a + b for a, b in zip(total, values, strict=True)]
        return total

    def close(self):
        self.stop.set()


# --- the clients --------------------------------------------------------------------------------


def photo_bytes():
    from PIL import Image

    image = Image.effect_noise((1600, 1200), 40).convert("RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


class Client:
    """One client thread's sessions; `operation(target)` returns (seconds measured, error or None)."""

    def __init__(self, url, world, client_id, photo, peer_url=None):
        import requests

        self.url, self.world, self.photo = url, world, photo
        self.peer = PeerClient(peer_url, client_id) if peer_url else None
        self.resident = Resident(url, world, 2000 + client_id)
        self.mix = MixClient(url, world, client_id)
        self.floor = requests.Session()
        self.dispatcher = requests.Session()
        self.logged_in = False
        self.n, self.id = 0, client_id
        self.post_base = None

    def login(self):
        page = self.dispatcher.get(self.url + "/accounts/login/", timeout=15)
        csrf = CSRF_RE.search(page.text).group(1)
        response = self.dispatcher.post(self.url + "/accounts/login/", allow_redirects=False, timeout=15, data={
            "csrfmiddlewaretoken": csrf, "username": self.world["dispatcher"], "password": self.world["password"]})
        if response.status_code != 302:
            raise AssertionError(f"login answered {response.status_code}")
        self.logged_in = True

    def operation(self, target):
        self.n += 1
        if target == "floor":
            start = time.perf_counter()
            response = self.floor.post(self.url + "/bench/floor/", timeout=30)
            took = time.perf_counter() - start
            return took, None if response.status_code == 200 and response.text == "ok" else f"floor {response.status_code}"
        if target in ("form", "form_post", "form_photo"):
            if target == "form_post":
                if self.post_base is None:
                    self.post_base = self.resident.form_data(f"[http-{self.id}]")
                # A fresh one-time key as the page makes it (zhenwu.concerns.forms_public.
                # new_submission_key, which this client, outside Django, does not import).
                data = dict(self.post_base, key=secrets.token_urlsafe(24),
                            text=self.resident.form_text(f"[http-{self.id}-{self.n}]"))
            else:
                data = self.resident.form_data(f"[http-{self.id}-{self.n}]")  # a fresh key and CSRF token
            files = {"photos": ("photo.jpg", self.photo, "image/jpeg")} if target == "form_photo" else None
            start = time.perf_counter()
            response = self.resident.http.post(self.url + "/concerns/report/", data=data, files=files, timeout=30,
                                               allow_redirects=False, headers={"Referer": self.url + "/concerns/report/"})
            took = time.perf_counter() - start
            ok = response.status_code == 200 and REFERENCE_RE.search(response.text)
            return took, None if ok else f"{target} {response.status_code}"
        if target in ("peer_post", "peer_view"):
            return self.peer.post(view=target == "peer_view")
        if target == "open311":
            start = time.perf_counter()
            response = self.resident.http.post(self.url + "/open311/v2/requests.json", timeout=30, data={
                "api_key": self.world["open311_key"], "jurisdiction_id": self.world["jurisdiction"],
                "service_code": random.choice(self.world["service_codes"]), "lat": "28.155", "long": "113.64",
                "address_string": "第3村村口", "description": f"[http-{self.id}-{self.n}] 村口水管破了，水流了一地。",
                "phone": "13800138000"})
            took = time.perf_counter() - start
            ok = response.status_code == 200 and response.json()[0].get("service_request_id")
            return took, None if ok else f"open311 {response.status_code}"
        if target == "board":
            start = time.perf_counter()
            response = self.resident.http.get(self.url + "/concerns/board/", timeout=30)
            return time.perf_counter() - start, None if response.status_code == 200 else f"board {response.status_code}"
        if target == "inbox":
            if not self.logged_in:
                self.login()
            start = time.perf_counter()
            response = self.dispatcher.get(self.url + "/concerns/inbox/", timeout=30, allow_redirects=False)
            return time.perf_counter() - start, None if response.status_code == 200 else f"inbox {response.status_code}"
        start = time.perf_counter()
        kind = self.mix.rng.choices(*zip(*[(k, w) for k, w in mix_weights()], strict=True))[0]
        error = self.mix.operation(kind)
        return time.perf_counter() - start, error


def mix_weights():
    from soak import MIX

    return [(kind, weight) for kind, weight in MIX]


def window(clients, target, seconds):
    """Run every client on `target` for `seconds`; returns [(seconds, error)]."""
    import requests

    samples, lock = [], threading.Lock()
    end = time.monotonic() + seconds

    def loop(client):
        while time.monotonic() < end:
            try:
                took, error = client.operation(target)
            except (requests.RequestException, AssertionError, AttributeError, ValueError, KeyError) as exc:
                took, error = 0.0, f"{target} {exc.__class__.__name__}"
            with lock:
                samples.append((took, error))

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


# --- the run ------------------------------------------------------------------------------------


def run(*, pg=False, targets=TARGETS, seconds=15.0, reps=5, clients=8, workers=2, concerns=20000, warmup=3.0):
    with tempfile.TemporaryDirectory(prefix="zhenwu-http-") as tmp:
        env, drop = scratch_env(tmp, pg=pg)
        stats_dir = Path(tmp) / "stats"
        stats_dir.mkdir()
        # (scratch_env raises the anonymous-write limits above the clients' rate.)
        env.update(ZHENWU_BENCH_FLOOR="1", ZHENWU_BENCH_STATS_DIR=str(stats_dir))
        server = worker = waits = peer = None
        try:
            world = run_child(env, "--child-world", str(concerns))
            env["ZHENWU_BENCH_PASSWORD"] = world["password"]
            world.update(run_child(env, "--child-extra", script=__file__))
            server = Server(env, free_port(), workers, Path(tmp) / "server.log",
                            extra_args=["-c", str(HERE / "http_hooks.py")])
            server.start()
            with open(Path(tmp) / "worker.log", "ab") as log:
                worker = subprocess.Popen(
                    [sys.executable, "manage.py", "run_worker", "--parent-pid", str(os.getpid())],
                    cwd=ROOT, env=env, stdout=log, stderr=log)
            if any(t.startswith("peer_") for t in targets):
                peer = PeerServer(tmp, free_port(), workers, pg_url=env["DATABASE_URL"] if pg else None)
                peer.start()
            waits = LockWaits(stats_dir, pg_url=env["DATABASE_URL"] if pg else None,
                              also=[peer.database] if peer and pg else ())
            photo = photo_bytes()
            pool = [Client(server.url, world, i, photo, peer_url=peer and peer.url) for i in range(clients)]
            for target in targets:  # warm-up: imports, caches, first logins
                window(pool, target, warmup)
            totals = {t: {"ok": 0, "errors": [], "times": [], "seconds": 0.0, "web": 0.0, "worker": 0.0, "wait": 0.0,
                          "held": 0.0, "holds": 0}
                      for t in targets}
            for rep in range(reps):
                shift = rep % len(targets)
                for target in targets[shift:] + targets[:shift]:
                    web = peer if target.startswith("peer_") else server  # whose web workers serve it
                    web0 = sum(cpu_seconds(p) for p in web.worker_pids())
                    worker0, wait0, t0 = cpu_seconds(worker.pid), waits.seconds(), time.monotonic()
                    held0, holds0 = waits.held()
                    samples = window(pool, target, seconds)
                    row = totals[target]
                    row["seconds"] += time.monotonic() - t0
                    row["web"] += sum(cpu_seconds(p) for p in web.worker_pids()) - web0
                    row["worker"] += cpu_seconds(worker.pid) - worker0
                    row["wait"] += waits.seconds() - wait0
                    held1, holds1 = waits.held()
                    row["held"] += held1 - held0
                    row["holds"] += holds1 - holds0
                    row["ok"] += sum(1 for _, e in samples if e is None)
                    row["errors"] += [e for _, e in samples if e]
                    row["times"] += [took for took, e in samples if e is None]
            memory = {"web": {pid: memory_mb(pid) for pid in server.worker_pids()}, "worker": memory_mb(worker.pid),
                      "peer": {pid: memory_mb(pid) for pid in peer.worker_pids()} if peer else {}}
        finally:
            if waits:
                waits.close()
            if worker and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
            if server:
                server.stop()
            if peer:
                peer.stop()
            if drop:
                drop()
    rows = {}
    for target, row in totals.items():
        ok = max(row["ok"], 1)
        rows[target] = {
            "ok": row["ok"], "errors": len(row["errors"]), "error_examples": sorted(set(row["errors"]))[:3],
            "per_s": round(row["ok"] / row["seconds"], 1), "p50": round(pct(row["times"], 50), 1),
            "p95": round(pct(row["times"], 95), 1), "p99": round(pct(row["times"], 99), 1),
            "web_cpu_ms": round(row["web"] / ok * 1000, 2), "worker_cpu_ms": round(row["worker"] / ok * 1000, 2),
            "lock_wait_ms": round(row["wait"] / ok * 1000, 2),
            # SQLite: mean write-lock hold of the web workers' transactions in the target's windows
            "lock_held_ms": round(row["held"] / row["holds"] * 1000, 2) if row["holds"] else None,
        }
        if target.startswith("peer_"):
            # The peer has no background worker; on SQLite its lock waits are not measured (the
            # hooks that time them are our server's).
            rows[target]["worker_cpu_ms"] = None
            if not pg:
                rows[target]["lock_wait_ms"] = rows[target]["lock_held_ms"] = None
    return {"database": "postgresql" if pg else "sqlite", "clients": clients, "workers": workers, "reps": reps,
            "seconds": seconds, "concerns": concerns, "targets": rows, "memory": memory}


def _or_dash(value):
    return "-" if value is None else value


def main(argv=None):
    parser = argparse.ArgumentParser(description="The product's pages through the real server, against a floor")
    parser.add_argument("--quick", action="store_true", help="1 x 1.5 s per target, 1 worker, 3 clients, 300 concerns")
    parser.add_argument("--pg", action="store_true", help="scratch PostgreSQL database (DATABASE_URL's server)")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated, from " + ",".join(TARGETS))
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds per target and repetition")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (4 threads each, as serve)")
    parser.add_argument("--concerns", type=int, default=20000, help="concerns generated before the run")
    parser.add_argument("--child-extra", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_extra:
        return child_extra()
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = set(targets) - set(TARGETS)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))}")
    warmup = 3.0
    if args.quick:
        args.seconds, args.reps, args.workers, args.clients, args.concerns, warmup = 1.5, 1, 1, 3, 300, 1.0
    r = run(pg=args.pg, targets=targets, seconds=args.seconds, reps=args.reps, clients=args.clients,
            workers=args.workers, concerns=args.concerns, warmup=warmup)
    print(f"HTTP benchmark: {r['database']}, {r['concerns']:,} concerns, {r['workers']} web workers x 4 threads "
          f"+ background worker, {r['clients']} clients, {r['reps']} x {r['seconds']} s per target, "
          f"{os.cpu_count()} CPUs")
    print(f"{'target':<11} {'ok/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'web CPU':>8} {'worker':>7} "
          f"{'lock wait':>9} {'held':>6}  errors   (CPU and waits in ms per success; held: ms per transaction)")
    floor = r["targets"].get("floor")
    for target, row in r["targets"].items():
        ratio = f"  {row['per_s'] / floor['per_s']:.2f}x floor, p99 {row['p99'] / floor['p99']:.1f}x" if (
            floor and target != "floor" and floor["per_s"] and floor["p99"]) else ""
        print(f"{target:<11} {row['per_s']:>7} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8} {row['web_cpu_ms']:>8} "
              f"{_or_dash(row['worker_cpu_ms']):>7} {_or_dash(row['lock_wait_ms']):>9} {_or_dash(row['lock_held_ms']):>6}  "
              f"{row['errors']:>6}{ratio}")
    ours = r["targets"].get("form_post")
    for name in ("peer_post", "peer_view"):
        peer = r["targets"].get(name)
        if ours and peer and peer["per_s"] and peer["p99"] and ours["web_cpu_ms"]:
            print(f"form_post against {name}: {ours['per_s'] / peer['per_s']:.2f}x its rate, p99 "
                  f"{ours['p99'] / peer['p99']:.2f}x its p99; its web CPU per success {peer['web_cpu_ms'] / ours['web_cpu_ms']:.2f}x ours")
    web = r["memory"]["web"]
    print("memory (RSS/PSS MB): web workers " + ", ".join(f"{rss}/{pss}" for rss, pss in web.values())
          + f"; background worker {r['memory']['worker'][0]}/{r['memory']['worker'][1]}"
          + ("; peer's web workers " + ", ".join(f"{rss}/{pss}" for rss, pss in r["memory"]["peer"].values())
             if r["memory"]["peer"] else ""))
    print(json.dumps({t: row for t, row in r["targets"].items()}, ensure_ascii=False))
    errors = sum(row["errors"] for row in r["targets"].values())
    if errors:
        for row in r["targets"].values():
            for example in row["error_examples"]:
                print(f"  error: {example}")
        raise SystemExit(1)
    return r


if __name__ == "__main__":
    main()
