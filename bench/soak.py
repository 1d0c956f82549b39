"""Soak benchmark: mixed traffic at half capacity for a set time against the real server; prints
error counts, latency percentiles per time slice, the memory (RSS) of the gunicorn workers at the
start and the end, and at the end each process's RSS, PSS and USS (web workers and background
worker).

    .venv/bin/python bench/soak.py --duration 600            # SQLite, ten minutes
    .venv/bin/python bench/soak.py --pg --duration 600       # a scratch PostgreSQL database
    .venv/bin/python bench/soak.py --quick                   # a few seconds (run by bench/test_soak.py)

A scratch installation (as bench/crash.py builds it, plus --concerns generated concerns) is
served by gunicorn with the flags of `manage.py serve`, with the background worker (`run_worker`)
beside it as in production. The mix, per operation:
  resident  30%  GET the phone form, POST it (its one-time key)         -> 200 with a reference
  board     15%  GET the public board 公示栏                              -> 200
  staff     25%  a leader's session: the concern list, the home page     -> 200 (no redirect)
                 (each client's leader logs in once, before the warm-up; the login is not timed)
  api       20%  GET /api/v1/concerns/ with a personal token             -> 200
  open311   10%  GET /open311/v2/requests.json                           -> 200
After a warm-up, the capacity is measured (operations per second with --clients clients and no
pause for --probe seconds); the soak then paces the same clients to half of it. Anything but the expected
answer (a redirect to the login page, a 5xx, a timeout, a refused connection) is an error.
"""

import argparse
import json
import os
import random
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

MIX = [("resident", 0.30), ("board", 0.15), ("staff", 0.25), ("api", 0.20), ("open311", 0.10)]


def pct(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


class Client:
    def __init__(self, url, world, client_id):
        self.url, self.world = url, world
        self.resident = Resident(url, world, 1000 + client_id)
        self.rng = random.Random(client_id)
        self.n = 0
        import requests

        self.staff = requests.Session()
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {world['token']}"
        self.logged_in = False

    def login(self):
        page = self.staff.get(self.url + "/accounts/login/", timeout=15)
        csrf = CSRF_RE.search(page.text).group(1)
        response = self.staff.post(self.url + "/accounts/login/", allow_redirects=False, timeout=15, data={
            "csrfmiddlewaretoken": csrf, "username": self.world["leader"], "password": self.world["password"]})
        if response.status_code != 302:
            raise AssertionError(f"login answered {response.status_code}")
        self.logged_in = True

    def operation(self, kind):
        """Run one operation; return None when it answered as expected, else a short error."""
        if kind == "resident":
            self.n += 1
            data = self.resident.form_data(f"[soak-{self.resident.id}-{self.n}]")
            response = self.resident.http.post(self.url + "/concerns/report/", data=data, timeout=30,
                                               allow_redirects=False)
            if response.status_code != 200 or not REFERENCE_RE.search(response.text):
                return f"resident {response.status_code}"
            return None
        if kind == "board":
            response = self.resident.http.get(self.url + "/concerns/board/", timeout=30)
        elif kind == "staff":
            if not self.logged_in:
                self.login()
            path = self.rng.choice(["/concerns/list/", "/"])
            response = self.staff.get(self.url + path, timeout=30, allow_redirects=False)
        elif kind == "api":
            response = self.api.get(self.url + "/api/v1/concerns/", timeout=30, allow_redirects=False)
        else:
            response = self.resident.http.get(self.url + "/open311/v2/requests.json", timeout=30,
                                              params={"jurisdiction_id": self.world["jurisdiction"]})
        return None if response.status_code == 200 else f"{kind} {response.status_code}"


def drive(url, world, clients, seconds, rate=None, pool=None):
    """Run `clients` threads for `seconds`; at `rate` operations/s in all (None: flat out).
    `pool`: the Client of each thread, kept from an earlier phase (their sessions, the leader's
    login included); None: new ones. Returns a list of (start offset, seconds, kind, error or None)."""
    import requests

    samples, lock = [], threading.Lock()
    begin = time.monotonic()
    end = begin + seconds

    def loop(i):
        client = pool[i] if pool else Client(url, world, i)
        rng = random.Random(i)
        kinds, weights = zip(*MIX, strict=True)
        next_at = begin + (rng.random() * clients / rate if rate else 0)
        while True:
            if rate:
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                next_at += rng.expovariate(rate / clients)
            now = time.monotonic()
            if now >= end:
                return
            kind = rng.choices(kinds, weights)[0]
            try:
                error = client.operation(kind)
            except (requests.RequestException, AssertionError, AttributeError) as exc:
                error = f"{kind} {exc.__class__.__name__}"
            with lock:
                samples.append((now - begin, time.monotonic() - now, kind, error))

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return samples


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    """CPU seconds (user + system) a process has used, 0.0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def machine_cpu_seconds():
    """(busy, all) CPU seconds of the whole machine since boot, every core counted (/proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values) - idle) / TICK, sum(values) / TICK


class CpuMeter:
    """Where the CPU went over a window: the web workers, the background worker, this process
    (the load generator: the clients' threads) and the rest of the machine (the database server
    on PostgreSQL, gunicorn's master, the system)."""

    def __init__(self, server, worker):
        self.server, self.worker = server, worker

    def _read(self):
        pids = self.server.worker_pids()
        busy, whole = machine_cpu_seconds()
        return {"web": sum(cpu_seconds(p) for p in pids), "worker": cpu_seconds(self.worker.pid),
                "generator": time.process_time(), "busy": busy, "whole": whole}

    def __enter__(self):
        self.start = self._read()
        return self

    def __exit__(self, *exc):
        end = self._read()
        self.spent = {key: end[key] - self.start[key] for key in end}

    def per_operation_ms(self, operations):
        """{web, worker, generator, other}: ms of CPU per operation; `idle_share`: the share of
        the machine's cores left idle over the window."""
        spent = dict(self.spent)
        other = spent["busy"] - spent["web"] - spent["worker"] - spent["generator"]
        figures = {key: round(spent[key] / operations * 1000, 2) if operations else None
                   for key in ("web", "worker", "generator")}
        figures["other"] = round(max(other, 0) / operations * 1000, 2) if operations else None
        figures["idle_share"] = round(1 - spent["busy"] / spent["whole"], 3) if spent["whole"] else None
        return figures


def memory_detail_mb(pid):
    """{rss, pss, uss} in MB of a process, or None. RSS counts every page the process maps, the
    ones it shares with gunicorn's master and the other workers (--preload) included; PSS divides
    each shared page among the processes that map it; USS is the memory only this process holds,
    what one more worker costs."""
    if pid is None:
        return None
    fields = {}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0]) / 1024
    except (OSError, ValueError):
        return None
    return {"rss": round(fields.get("Rss", 0), 1), "pss": round(fields.get("Pss", 0), 1),
            "uss": round(fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0), 1)}


def run(*, pg=False, duration=300, probe=15, clients=8, workers=3, concerns=20000, slices=10):
    with tempfile.TemporaryDirectory(prefix="zhenwu-soak-") as tmp:
        env, drop = scratch_env(tmp, pg=pg)  # with the anonymous-write limits raised
        server = worker = None
        try:
            world = run_child(env, "--child-world", str(concerns))
            server = Server(env, free_port(), workers, Path(tmp) / "server.log")
            server.start()
            # The background worker runs beside the server, as `manage.py serve` runs it: it does
            # the intake's second half (the dispatchers' notices, the router's suggestions).
            with open(Path(tmp) / "worker.log", "ab") as log:
                worker = subprocess.Popen(
                    [sys.executable, "manage.py", "run_worker", "--parent-pid", str(os.getpid())],
                    cwd=ROOT, env=env, stdout=log, stderr=log)
            # The clients keep their sessions through warm-up, probe and soak, as people do: each
            # leader logs in once, before anything is measured. (A login hashes the password on
            # purpose, 0.3-0.5 s of CPU; when each phase logged in anew, eight logins fell into
            # the probe and the soak's first seconds, and the staff p95 measured them.)
            pool = [Client(server.url, world, i) for i in range(clients)]
            for client in pool:
                client.login()
            drive(server.url, world, clients, min(probe, 5), pool=pool)  # warm-up: imports, caches
            with CpuMeter(server, worker) as meter:
                warm = drive(server.url, world, clients, probe, pool=pool)
            probe_cpu = meter.per_operation_ms(len(warm))
            warm_errors = [s for s in warm if s[3]]
            capacity = len(warm) / probe
            rate = capacity / 2
            rss_start = server.rss_mb()
            samples = drive(server.url, world, clients, duration, rate=rate, pool=pool)
            rss_end = server.rss_mb()
            memory_end = {pid: memory_detail_mb(pid) for pid in server.worker_pids()}
            memory_end["worker"] = memory_detail_mb(worker.pid if worker.poll() is None else None)
        finally:
            if worker and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
            if server:
                server.stop()
            if drop:
                drop()
    width = duration / slices
    rows = []
    for k in range(slices):
        part = [s for s in samples if k * width <= s[0] < (k + 1) * width]
        times = [s[1] for s in part]
        rows.append({"from": round(k * width), "to": round((k + 1) * width), "n": len(part),
                     "errors": sum(1 for s in part if s[3]), "p50": round(pct(times, 50), 1),
                     "p95": round(pct(times, 95), 1), "p99": round(pct(times, 99), 1)})
    errors = [s[3] for s in samples if s[3]]
    by_kind = {}
    for kind, _ in MIX:
        times = [s[1] for s in samples if s[2] == kind]
        by_kind[kind] = {"n": len(times), "p95": round(pct(times, 95), 1)}
    return {
        "database": "postgresql" if pg else "sqlite", "duration": duration, "clients": clients, "workers": workers,
        "concerns": concerns, "capacity": round(capacity, 1), "rate": round(rate, 1), "requests": len(samples),
        "achieved": round(len(samples) / duration, 1), "errors": len(errors), "error_examples": sorted(set(errors))[:8],
        "probe_errors": len(warm_errors), "probe_error_examples": sorted({s[3] for s in warm_errors})[:8],
        "probe_cpu_ms": probe_cpu, "slices": rows, "by_kind": by_kind,
        "rss_start": rss_start, "rss_end": rss_end, "memory_end": memory_end,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description="Mixed traffic at half capacity; errors, latency, memory")
    parser.add_argument("--quick", action="store_true", help="8 s soak after a 3 s probe, 1 worker, 500 concerns")
    parser.add_argument("--pg", action="store_true", help="scratch PostgreSQL database (DATABASE_URL's server)")
    parser.add_argument("--duration", type=int, default=300, help="seconds of soak (default 300)")
    parser.add_argument("--probe", type=int, default=15, help="seconds of the capacity probe")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--concerns", type=int, default=20000, help="concerns generated before the run")
    parser.add_argument("--slices", type=int, default=10)
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.probe, args.workers, args.clients, args.concerns, args.slices = 8, 3, 1, 4, 500, 4
    r = run(pg=args.pg, duration=args.duration, probe=args.probe, clients=args.clients, workers=args.workers,
            concerns=args.concerns, slices=args.slices)
    print(f"Soak benchmark: {r['database']}, {r['concerns']:,} concerns, {r['workers']} workers, {r['clients']} clients, "
          f"{os.cpu_count()} CPUs; capacity {r['capacity']} ops/s, soak at {r['rate']} ops/s "
          f"(achieved {r['achieved']}) for {r['duration']} s")
    print(f"errors {r['errors']} of {r['requests']} operations (capacity probe: {r['probe_errors']} errors"
          + (f": {', '.join(r['probe_error_examples'])})" if r["probe_error_examples"] else ")")
          + (f": {', '.join(r['error_examples'])}" if r["error_examples"] else ""))
    c = r["probe_cpu_ms"]
    print(f"capacity probe, CPU per operation: web workers {c['web']} ms, background worker {c['worker']} ms, "
          f"load generator {c['generator']} ms, rest of the machine {c['other']} ms; cores idle {c['idle_share']:.0%}")
    for row in r["slices"]:
        print(f"  {row['from']:>5}-{row['to']:<5}s  n {row['n']:>6}  errors {row['errors']}  "
              f"p50 {row['p50']} ms  p95 {row['p95']} ms  p99 {row['p99']} ms")
    print("  p95 by kind: " + ", ".join(f"{k} {v['p95']} ms ({v['n']})" for k, v in r["by_kind"].items()))
    start, end = sum(r["rss_start"].values()), sum(r["rss_end"].values())
    growth = end - start
    print(f"worker RSS start {start:.1f} MB, end {end:.1f} MB ({len(r['rss_end'])} workers), growth "
          f"{growth:+.1f} MB ({(growth / start * 100) if start else 0:+.1f}%)")
    for pid, m in r["memory_end"].items():
        if m:
            name = "background worker" if pid == "worker" else f"web worker {pid}"
            print(f"  {name} at the end: RSS {m['rss']:.1f} MB, PSS {m['pss']:.1f} MB, USS {m['uss']:.1f} MB")
    print(json.dumps({"rss_start": r["rss_start"], "rss_end": r["rss_end"], "memory_end": r["memory_end"],
                      "probe_cpu_ms": r["probe_cpu_ms"]}))
    if r["errors"]:
        raise SystemExit(1)
    return r


if __name__ == "__main__":
    main()
