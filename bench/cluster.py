"""Cluster benchmark: two app servers and two workers on one PostgreSQL and one Redis, one of
each killed with SIGKILL under a mixed load; is anything acknowledged lost, anything run twice?

    .venv/bin/python bench/cluster.py                  # 90 s of load, 8 clients, 2 gunicorn workers per server
    .venv/bin/python bench/cluster.py --quick          # a few seconds, still with the kills (bench/test_cluster.py)
    .venv/bin/python bench/cluster.py --seconds 120 --clients 12
    .venv/bin/python bench/cluster.py --pg postgres://postgres@127.0.0.1:5432/postgres --redis redis://127.0.0.1:6379/13

The installation is the one docs/deploy.md describes for several machines ("Proven on one
machine"), with the same environment variables: a scratch database on the PostgreSQL server (--pg;
copied from a migrated template database kept there, named after a hash of the migrations; dropped
afterwards), one Redis database (--redis; its number is this bench's own,
flushed before and after) as the cache, the session store (ZHENWU_SESSION_ENGINE=cache) and the
rate limits' counter, and one media directory shared by every process (S3 in production). The
app servers are gunicorn with the flags of `manage.py serve` (gunicorn_argv), each in its own
process group; the workers are `manage.py run_worker`.

Before the load, three proofs that need both servers up:
- sessions: a leader logs in on server A; the same cookie opens a staff page on server B;
- one-time keys: a report form posted to A and the same form (the same key) again to B make one
  concern, both answers giving its reference;
- rate limits: a burst of report-form POSTs from one client address (X-Forwarded-For behind one
  trusted proxy, ZHENWU_PROXY_COUNT=1), alternating A and B, is limited as one: exactly the
  per-address limit is accepted.

The load: client threads send each operation to a live server in turn (as a load balancer
would): residents' reports through the phone form (GET it for a fresh one-time key, POST it; a
POST cut by a kill is sent again with the SAME key to the other server), Open311 POSTs and GETs,
a logged-in dispatcher's inbox and 受理 (accept) of concerns, the public rates page (kept in the
cache for ZHENWU_PUBLIC_RATES_CACHE_SECONDS) read from both servers back to back, and a leader's
ledger exports (background jobs, each with its own X-Request-ID). Mid-load, worker 2 is paused
(SIGSTOP) until a job claimed after the pause is running (worker 1's: an export is queued then),
then worker 1 is killed (SIGKILL) and worker 2 resumed; at once server A's process group is killed
(SIGKILL). Neither comes back: the survivors carry the rest (worker 2 requeues worker 1's job once
its heartbeat is ZHENWU_JOB_STALE_SECONDS old).

Afterwards the database is read: every acknowledged report (form 200 with a reference, Open311
200 with an id) must be there exactly once with its marker; every acknowledged export (302 to
its job) must be done, with exactly one audit entry of its export (a second would be a second
run), and its file must download through server B. Cached rates pages: each pair read from A and
B back to back must be the same body (one cache entry) unless the entry expired between them, and
no page may state a time older than the cache's seconds (plus the minute it is rounded to).
"""

import argparse
import datetime
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse, urlunparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from crash import CSRF_RE, KEY_RE, MARKER_RE, REFERENCE_RE, Server, free_port, run_child  # noqa: E402

DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
PASSWORD = "Bench#Cluster2026"
RATES_URL = "/concerns/board/rates/"
UPDATED_RE = re.compile(r"数据更新于(\d\d):(\d\d)")
DETAIL_RE = re.compile(r'href="/concerns/(\d+)/"')
JOB_RE = re.compile(r"/reports/ledgers/(\d+)/$")
SECOND_BURST_ADDRESS = "10.250.0.2"
BURST_ADDRESS = "10.250.0.1"
# What the cluster runs with, besides the database and Redis URLs: docs/deploy.md shows the same.
CLUSTER_SETTINGS = {
    "ZHENWU_SESSION_ENGINE": "cache",
    "ZHENWU_PROXY_COUNT": "1",
    "ZHENWU_PUBLIC_RATES_CACHE_SECONDS": "60",
}
ADDRESS_LIMIT = 20  # the per-address limit the burst checks ("address=20/10m", zhenwu.lib.ratelimits)


# --- reachability (bench/test_cluster.py skips without them) -------------------------------------


def reachable(pg_url=None, redis_url=DEFAULT_REDIS):
    """None when PostgreSQL (the one --pg defaults to) and Redis answer, else why not."""
    pg_url = pg_url or os.environ.get("ZHENWU_BENCH_PG", DEFAULT_PG)
    try:
        import psycopg

        with psycopg.connect(pg_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {pg_url}: {exc}"
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        return f"Redis not reachable at {redis_url}: {exc}"
    return None


# --- the installation ---------------------------------------------------------------------------


def cluster_env(tmp, database_url, redis_url, stale_seconds):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_", "PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url, ZHENWU_REDIS_URL=redis_url, **CLUSTER_SETTINGS,
        ZHENWU_JOB_STALE_SECONDS=str(stale_seconds),
        # Every report comes from its own address, but all of them count against the ceiling.
        ZHENWU_ANONYMOUS_WRITE_RATES=f"address={ADDRESS_LIMIT}/10m,browser=8/10m,all=100000/10m",
        ZHENWU_DATA_DIR=str(tmp), ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"),
        DJANGO_SETTINGS_MODULE="zhenwu.settings", ZHENWU_DEBUG="0", ZHENWU_LOG_LEVEL="WARNING",
        ZHENWU_ALLOWED_HOSTS="127.0.0.1,localhost", ZHENWU_SECRET_KEY="bench-cluster-secret-key",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _admin_url(pg_url, database="postgres"):
    return urlunparse(urlparse(pg_url)._replace(path=f"/{database}"))


def migrated_template(pg_url, env):
    """The name of a database on the server holding this checkout's migrated schema, to copy the
    scratch database from (CREATE DATABASE ... TEMPLATE): migrating PostgreSQL from nothing takes
    most of a quick run. It is named after a hash of the migration files, built on first use and
    kept; a template of other migrations is dropped when a new one is built."""
    import psycopg

    digest = hashlib.sha256()
    for path in sorted((ROOT / "zhenwu").rglob("migrations/*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    name = f"zhenwu_cluster_tpl_{digest.hexdigest()[:12]}"
    with psycopg.connect(_admin_url(pg_url), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return name
        building = f"zhenwu_cluster_build_{os.getpid()}"
        conn.execute(f'CREATE DATABASE "{building}"')
        try:
            run_child({**env, "DATABASE_URL": _admin_url(pg_url, building)}, "--child-migrate", script=__file__)
            conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
        except (SystemExit, psycopg.errors.DuplicateDatabase):  # failed, or another run built it first
            conn.execute(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)')
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                raise
        for (old,) in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'zhenwu\\_cluster\\_tpl\\_%%' "
                                   "AND datname <> %s", [name]).fetchall():
            try:
                conn.execute(f'DROP DATABASE "{old}"')  # not while another run copies it
            except psycopg.Error:
                pass
    return name


def scratch_database(pg_url, template):
    """A database copied from `template`: (its URL, a function dropping it)."""
    import psycopg

    name = f"zhenwu_bench_cluster_{os.getpid()}"
    with psycopg.connect(_admin_url(pg_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def drop():
        with psycopg.connect(_admin_url(pg_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return _admin_url(pg_url, name), drop


def child_migrate():
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps({"migrated": True}))


def child_world(concerns):
    """Migrate; a town (bench/open311.py's), `concerns` generated concerns so that an export takes
    a moment, a leader (exports) and a dispatcher (inbox, 受理); prints what clients need."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone
    from open311 import build_world, generate

    from zhenwu.accounts.models import Role, User
    from zhenwu.lib.request_context import Actor, acting_as

    with acting_as(Actor(user_id=None, label="bench")):
        town, grids, categories, key = build_world()
        users = {}
        for name, role, full_name in (("cl_leader", Role.LEADER, "镇领导"), ("cl_dispatcher", Role.DISPATCHER, "受理员")):
            user = User(username=name, role=role, full_name=full_name, area=town)
            user.set_password(PASSWORD)
            user.save()
            users[role] = name
        generate(concerns, town, grids, categories, now=timezone.now())
    print(json.dumps({
        "open311_key": key, "jurisdiction": town.code, "town": town.pk, "grids": [g for _, g in grids],
        "categories": [c.pk for c in categories], "service_codes": [c.code for c in categories],
        "leader": users[Role.LEADER], "dispatcher": users[Role.DISPATCHER], "password": PASSWORD,
    }))


def child_verify(path):
    """Reports acknowledged: found exactly once; exports acknowledged: done, one audit entry each."""
    import django

    django.setup()
    from zhenwu.audit.models import AuditAction, AuditEntry
    from zhenwu.concerns.models import Concern
    from zhenwu.jobs.models import Job, JobStatus

    acked = json.loads(Path(path).read_text())
    markers = Counter()
    by_reference = {}
    for reference, text in Concern.objects.values_list("reference", "text").iterator():
        by_reference[reference] = text
        for match in MARKER_RE.finditer(text):
            markers[match.group(0)] += 1
    found = [r for r in acked["reports"] if markers[r["marker"]] == 1 and r["marker"] in by_reference.get(r["reference"], "")]
    lost = [r for r in acked["reports"] if markers[r["marker"]] == 0]
    twice = [r for r in acked["reports"] if markers[r["marker"]] > 1]
    jobs = {job.pk: job for job in Job.objects.filter(pk__in=[e["job"] for e in acked["exports"]])}
    runs = Counter(AuditEntry.objects.filter(action=AuditAction.EXPORT, request_id__in=[
        e["request_id"] for e in acked["exports"]]).values_list("request_id", flat=True))
    exports = []
    for e in acked["exports"]:
        job = jobs.get(e["job"])
        exports.append({**e, "status": job.status if job else "missing", "runs": runs[e["request_id"]],
                        "output": bool(job and job.output_file)})
    print(json.dumps({
        "concerns": len(by_reference), "acked": len(acked["reports"]), "found_once": len(found),
        "lost": lost[:10], "lost_count": len(lost), "twice": twice[:10], "twice_count": len(twice),
        "exports": exports, "exports_done_once": sum(1 for x in exports if x["status"] == JobStatus.DONE and x["runs"] == 1),
        "all_jobs": Job.objects.count(), "jobs_not_done": Job.objects.exclude(status=JobStatus.DONE).count(),
    }, ensure_ascii=False))


class Worker:
    """`manage.py run_worker` in its own process group."""

    def __init__(self, env, log_path):
        log = open(log_path, "ab")  # noqa: SIM115 - the worker writes to it until stopped
        self.proc = subprocess.Popen([sys.executable, "manage.py", "run_worker", "--interval", "0.2"], cwd=ROOT,
                                     env=env, stdout=log, stderr=log, start_new_session=True)
        log.close()

    def signal(self, signum):
        os.killpg(self.proc.pid, signum)

    def stop(self):
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.proc.wait()


# --- the clients --------------------------------------------------------------------------------


class Cluster:
    """The live servers, as a load balancer sees them, and per-server counts."""

    def __init__(self, servers):
        self.servers = servers  # {"A": Server, "B": Server}
        self.alive = list(servers)
        self.lock = threading.Lock()
        self.counts = {name: Counter() for name in servers}
        self.turn = 0

    def pick(self, avoid=None):
        with self.lock:
            names = [n for n in self.alive if n != avoid] or list(self.alive)
            self.turn += 1
            return names[self.turn % len(names)]

    def url(self, name):
        return self.servers[name].url

    def count(self, name, what):
        with self.lock:
            self.counts[name][what] += 1


def new_http():
    import requests

    return requests.Session()


def login(http, url, username):
    page = http.get(url + "/accounts/login/", timeout=15)
    csrf = CSRF_RE.search(page.text).group(1)
    response = http.post(url + "/accounts/login/", allow_redirects=False, timeout=15, data={
        "csrfmiddlewaretoken": csrf, "username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise AssertionError(f"login answered {response.status_code}")


def report_form(http, url, world, rng, marker, address):
    page = http.get(url + "/concerns/report/", timeout=15, headers={"X-Forwarded-For": address})
    page.raise_for_status()
    return {
        "csrfmiddlewaretoken": CSRF_RE.search(page.text).group(1), "key": KEY_RE.search(page.text).group(1),
        "text": f"{marker} 村口路灯坏了三盏，晚上看不见路，老人小孩出门不方便。",
        "category": str(rng.choice(world["categories"])), "area": str(rng.choice(world["grids"])),
        "reporter_name": "", "reporter_phone": "13800138000", "latitude": "", "longitude": "",
    }


def post_report(http, url, data, address):
    return http.post(url + "/concerns/report/", data=data, timeout=30, allow_redirects=False,
                     headers={"Referer": url + "/concerns/report/", "X-Forwarded-For": address})


class Client:
    def __init__(self, cluster, world, client_id, stop, acked, seed, export_every):
        self.cluster, self.world, self.id, self.stop, self.acked = cluster, world, client_id, stop, acked
        self.rng = random.Random(seed * 1000 + client_id)
        self.n = 0
        self.dispatcher = new_http()
        self.leader = new_http()
        self.logged_in = set()
        self.accepted = set()
        self.export_every = export_every
        self.rates_pairs = []

    def request(self, name, fn):
        """Run fn(url) on server `name`, counting it there; a refused or cut connection counts as cut."""
        import requests

        try:
            response = fn(self.cluster.url(name))
        except requests.RequestException:
            self.cluster.count(name, "cut")
            return None
        self.cluster.count(name, "requests")
        return response

    def error(self, name, what):
        self.cluster.count(name, "errors")
        with self.acked["lock"]:
            self.acked["errors"].append(what)

    def run(self):
        ops = [("report", 35), ("open311_post", 15), ("open311_get", 15), ("staff", 15), ("rates", 10)]
        while not self.stop.is_set():
            self.n += 1
            if self.export_every and self.n % self.export_every == 0:
                self.export()
                continue
            op = self.rng.choices([o for o, _ in ops], [w for _, w in ops])[0]
            getattr(self, op)()

    def report(self):
        marker = f"[m-{self.id}-{self.n}]"
        address = f"10.{self.id % 250}.{self.n // 250 % 250}.{self.n % 250 + 1}"
        http = new_http()  # a fresh phone: its own CSRF cookie (the per-browser limit)
        data = None
        while data is None and not self.stop.is_set():
            name = self.cluster.pick()
            try:
                data = report_form(http, self.cluster.url(name), self.world, self.rng, marker, address)
                self.cluster.count(name, "requests")
            except Exception:  # noqa: BLE001 - a server going down mid-page: another server
                self.cluster.count(name, "cut")
                time.sleep(0.05)
        tries, last = 0, None
        while data is not None:
            tries += 1
            name = self.cluster.pick(avoid=last)  # the resident's retry reaches another server
            last = name
            response = self.request(name, lambda url: post_report(http, url, data, address))
            if response is not None and response.status_code == 200 and REFERENCE_RE.search(response.text):
                with self.acked["lock"]:
                    self.acked["reports"].append({"marker": marker, "via": "form", "server": name, "tries": tries,
                                                  "reference": REFERENCE_RE.search(response.text).group(1).strip()})
                return
            if response is not None and response.status_code < 500:
                self.error(name, f"form {response.status_code}")
                return
            if tries > 100:
                self.error(name, "form: no server confirmed after 100 tries")
                return
            time.sleep(0.05)

    def open311_post(self):
        marker = f"[m-{self.id}-{self.n}]"
        name = self.cluster.pick()
        response = self.request(name, lambda url: new_http().post(url + "/open311/v2/requests.json", timeout=30, data={
            "api_key": self.world["open311_key"], "jurisdiction_id": self.world["jurisdiction"],
            "service_code": self.rng.choice(self.world["service_codes"]), "lat": "28.155", "long": "113.64",
            "address_string": "第3村村口", "description": f"{marker} 村口水管破了，水流了一地。", "phone": "13800138000"}))
        if response is None:
            return  # cut by the kill: not acknowledged, so not counted (Open311 has no idempotency key)
        if response.status_code == 200 and response.json() and response.json()[0].get("service_request_id"):
            with self.acked["lock"]:
                self.acked["reports"].append({"marker": marker, "via": "open311", "server": name, "tries": 1,
                                              "reference": response.json()[0]["service_request_id"]})
        else:
            self.error(name, f"open311 POST {response.status_code}")

    def open311_get(self):
        name = self.cluster.pick()
        with self.acked["lock"]:
            known = [r["reference"] for r in self.acked["reports"][-50:]]
        if known and self.rng.random() < 0.5:
            path = f"/open311/v2/requests/{self.rng.choice(known)}.json?jurisdiction_id={self.world['jurisdiction']}"
        else:
            path = f"/open311/v2/requests.json?jurisdiction_id={self.world['jurisdiction']}"
        response = self.request(name, lambda url: new_http().get(url + path, timeout=30))
        if response is not None and response.status_code != 200:
            self.error(name, f"open311 GET {response.status_code}")

    def staff(self):
        name = self.cluster.pick()
        if "dispatcher" not in self.logged_in:
            try:
                login(self.dispatcher, self.cluster.url(name), self.world["dispatcher"])
            except Exception:  # noqa: BLE001 - cut by the kill; next time
                self.cluster.count(name, "cut")
                return
            self.logged_in.add("dispatcher")
            self.cluster.count(name, "requests")
            name = self.cluster.pick()  # the session must hold on whichever server comes next
        inbox = self.request(name, lambda url: self.dispatcher.get(url + "/concerns/inbox/", timeout=30,
                                                                   allow_redirects=False))
        if inbox is None:
            return
        if inbox.status_code != 200:
            self.error(name, f"inbox {inbox.status_code}")  # 302: the session was not known here
            return
        candidates = [pk for pk in DETAIL_RE.findall(inbox.text) if pk not in self.accepted]
        found = CSRF_RE.search(inbox.text)
        token = found.group(1) if found else self.dispatcher.cookies.get("csrftoken")
        if not candidates or not token:
            return
        pk = self.rng.choice(candidates)
        self.accepted.add(pk)
        name = self.cluster.pick()
        response = self.request(name, lambda url: self.dispatcher.post(
            f"{url}/concerns/{pk}/accept/", timeout=30, allow_redirects=False,
            data={"csrfmiddlewaretoken": token, "public_text": ""},
            headers={"Referer": f"{url}/concerns/{pk}/"}))
        # Another client's dispatcher (the same account) may have accepted it first: the page
        # then says why, with a 4xx; only a 5xx or a login redirect is an error.
        if response is None:
            return
        if response.status_code >= 500 or "/accounts/login/" in response.headers.get("Location", ""):
            self.error(name, f"accept {response.status_code}")
        elif response.status_code == 302:  # done; a 200 is the page saying why not
            self.cluster.count(name, "accepts")

    def rates(self):
        names = list(self.cluster.alive)
        pair = []
        for name in names:
            response = self.request(name, lambda url: new_http().get(url + RATES_URL, timeout=30))
            if response is None:
                return
            if response.status_code != 200:
                self.error(name, f"rates {response.status_code}")
                return
            pair.append((name, time.time(), rates_body(response.text)))
        self.rates_pairs.append(pair)  # with one server left, its staleness is still checked

    def export(self):
        name = self.cluster.pick()
        if "leader" not in self.logged_in:
            try:
                login(self.leader, self.cluster.url(name), self.world["leader"])
            except Exception:  # noqa: BLE001
                self.cluster.count(name, "cut")
                return
            self.logged_in.add("leader")
            self.cluster.count(name, "requests")
            name = self.cluster.pick()
        page = self.request(name, lambda url: self.leader.get(url + "/reports/ledgers/", timeout=30, allow_redirects=False))
        if page is None or page.status_code != 200:
            if page is not None:
                self.error(name, f"ledgers {page.status_code}")
            return
        request_id = f"cl{self.id}x{self.n}"
        today = datetime.date.today()
        response = self.request(name, lambda url: self.leader.post(url + "/reports/ledgers/", timeout=30,
            allow_redirects=False, headers={"X-Request-ID": request_id, "Referer": url + "/reports/ledgers/"}, data={
                "csrfmiddlewaretoken": CSRF_RE.search(page.text).group(1), "ledger": "concerns",
                "start": (today - datetime.timedelta(days=400)).isoformat(), "end": today.isoformat(),
                "area": str(self.world["town"])}))
        if response is None:
            return
        found = JOB_RE.search(response.headers.get("Location", "")) if response.status_code == 302 else None
        if found is None:
            self.error(name, f"export {response.status_code}")
            return
        with self.acked["lock"]:
            self.acked["exports"].append({"job": int(found.group(1)), "request_id": request_id, "server": name})


def rates_body(html):
    start = html.find("<h1>办理成效</h1>")
    end = html.find("</main>", start)
    return html[start:end if end > 0 else None]


def stated_age_seconds(body, at):
    """Seconds between `at` (epoch) and the page's 数据更新于HH:MM (Beijing time), to the minute."""
    found = UPDATED_RE.search(body)
    if not found:
        return None
    beijing = datetime.datetime.fromtimestamp(at, datetime.timezone(datetime.timedelta(hours=8)))
    stated = beijing.replace(hour=int(found.group(1)), minute=int(found.group(2)), second=0, microsecond=0)
    return (beijing - stated).total_seconds() % 86400


# --- the proofs before the load -----------------------------------------------------------------


def prove_sessions(cluster, world):
    http = new_http()
    login(http, cluster.url("A"), world["leader"])
    on_b = http.get(cluster.url("B") + "/reports/ledgers/", timeout=15, allow_redirects=False)
    return on_b.status_code == 200


def prove_key_shared(cluster, world):
    """The same form (one one-time key) posted to A, then again to B, as a resident's retry after a
    lost answer would be: (both answered with one reference, the acknowledged report)."""
    http = new_http()
    marker = "[m-9998-1]"  # client 9998: this proof
    data = report_form(http, cluster.url("A"), world, random.Random(8), marker, "10.251.0.1")
    first = post_report(http, cluster.url("A"), data, "10.251.0.1")
    again = post_report(http, cluster.url("B"), data, "10.251.0.1")
    references = [REFERENCE_RE.search(r.text) if r.status_code == 200 else None for r in (first, again)]
    if not all(references):
        return False, []
    first_ref, again_ref = (m.group(1).strip() for m in references)
    return first_ref == again_ref, [{"marker": marker, "via": "form", "server": "A", "tries": 2, "reference": first_ref}]


def prove_rate_limit(cluster, world, burst, address=None):
    """`burst` report POSTs from one address, alternating A and B: (accepted, refused, acked)."""
    address = address or BURST_ADDRESS
    rng = random.Random(7)
    accepted, refused, acked = 0, 0, []
    for i in range(burst):
        name = "AB"[i % 2]
        url = cluster.url(name)
        http = new_http()
        marker = f"[m-{9999 if address == BURST_ADDRESS else 9997}-{i}]"  # clients 9999 and 9997: the bursts
        data = report_form(http, url, world, rng, marker, address)
        response = post_report(http, url, data, address)
        if response.status_code == 200 and REFERENCE_RE.search(response.text):
            accepted += 1
            acked.append({"marker": marker, "via": "form", "server": name, "tries": 1,
                          "reference": REFERENCE_RE.search(response.text).group(1).strip()})
        elif response.status_code == 429:
            refused += 1
        else:
            raise AssertionError(f"burst POST answered {response.status_code}")
    return accepted, refused, acked


# --- the run ------------------------------------------------------------------------------------


def running_jobs(database_url):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM jobs_job WHERE status = 'running'")]


def pending_or_running(database_url):
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM jobs_job WHERE status IN ('pending', 'running')").fetchone()[0]


def kill_worker_mid_job(workers, cluster, world, database_url, timeout=15.0):
    """Pause worker 2, queue an export, SIGKILL worker 1 once a job runs that was not running when
    worker 2 was paused (only worker 1 can have claimed it), resume worker 2. Returns the ids of
    those jobs (worker 1's when it died) and the export queued."""
    workers[1].signal(signal.SIGSTOP)
    try:
        time.sleep(0.05)  # a claim worker 2 was committing lands before the snapshot
        before = set(running_jobs(database_url))
        leader = Client(cluster, world, 999, threading.Event(), {"lock": threading.Lock(), "reports": [],
                                                                  "exports": [], "errors": []}, 0, 0)
        leader.export()
        exported = leader.acked["exports"]
        deadline = time.monotonic() + timeout
        running = []
        while time.monotonic() < deadline and not running:
            running = [pk for pk in running_jobs(database_url) if pk not in before]
            if not running:
                time.sleep(0.01)
        workers[0].signal(signal.SIGKILL)
        workers[0].proc.wait()
    finally:
        workers[1].signal(signal.SIGCONT)
    return running, exported


def run(*, pg=DEFAULT_PG, redis_url=DEFAULT_REDIS, seconds=90.0, clients=8, web_workers=2, concerns=3000,
        stale_seconds=10, export_every=25, seed=1):
    import redis

    store = redis.Redis.from_url(redis_url)
    store.flushdb()  # this bench's own database number only
    tmp_dir = tempfile.TemporaryDirectory(prefix="zhenwu-cluster-")
    tmp = Path(tmp_dir.name)
    clock = time.monotonic()
    template = migrated_template(pg, cluster_env(tmp, pg, redis_url, stale_seconds))
    database_url, drop = scratch_database(pg, template)
    env = cluster_env(tmp, database_url, redis_url, stale_seconds)
    servers, workers = {}, []
    phases = {}
    try:
        world = run_child(env, "--child-world", str(concerns), script=__file__)
        phases["world"] = time.monotonic() - clock
        for name in "AB":
            servers[name] = Server(env, free_port(), web_workers, tmp / f"server-{name}.log")
            servers[name].start()
        workers = [Worker(env, tmp / f"worker-{i}.log") for i in (1, 2)]
        cluster = Cluster(servers)
        phases["start"] = time.monotonic() - clock - phases["world"]
        sessions_shared = prove_sessions(cluster, world)
        key_shared, key_acked = prove_key_shared(cluster, world)
        burst = ADDRESS_LIMIT + 10
        accepted, refused, burst_acked = prove_rate_limit(cluster, world, burst)
        if accepted != ADDRESS_LIMIT:
            # The limit counts in fixed windows (django-ratelimit); a burst of a few seconds that
            # straddles a window's end (about 1 in 200) is counted in two. Once more, from another
            # address: two straddles in a row would be about 1 in 40,000.
            accepted, refused, more_acked = prove_rate_limit(cluster, world, burst, address=SECOND_BURST_ADDRESS)
            burst_acked += more_acked

        acked = {"lock": threading.Lock(), "reports": burst_acked + key_acked, "exports": [], "errors": []}
        stop = threading.Event()
        pool = [Client(cluster, world, i, stop, acked, seed, export_every) for i in range(clients)]
        # The rates page is also read from both servers at set moments (the random mix may read it
        # rarely in a short run): as the load starts and just before the kills.
        prober = Client(cluster, world, 998, stop, acked, seed, 0)
        pool.append(prober)
        prober.rates()
        threads = [threading.Thread(target=c.run, daemon=True) for c in pool if c is not prober]
        started = time.monotonic()
        for t in threads:
            t.start()
        time.sleep(seconds * 0.4)
        prober.rates()
        # The kills: worker 1 while it runs an export, server A at once after.
        running, kill_export = kill_worker_mid_job(workers, cluster, world, database_url)
        with acked["lock"]:
            acked["exports"].extend(kill_export)
        servers["A"].kill()
        killed_at = time.monotonic()
        with cluster.lock:
            cluster.alive.remove("A")
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        stop.set()
        for t in threads:
            t.join(timeout=120)
        ended = time.monotonic()
        # Let the surviving worker finish the queue (worker 1's job comes back after stale_seconds).
        deadline = time.monotonic() + stale_seconds * 3 + 60
        while pending_or_running(database_url) and time.monotonic() < deadline:
            time.sleep(0.2)
        phases["drain"] = time.monotonic() - ended
        downloads_ok = check_downloads(cluster, world, acked["exports"])
        acked_path = tmp / "acked.json"
        acked_path.write_text(json.dumps({"reports": acked["reports"], "exports": acked["exports"]}))
        check = run_child(env, "--child-verify", str(acked_path), script=__file__)
        phases["total"] = time.monotonic() - clock
    finally:
        for server in servers.values():
            server.stop()
        for worker in workers:
            worker.stop()
        drop()
        store.flushdb()
        tmp_dir.cleanup()
    pairs = [p for c in pool for p in c.rates_pairs]
    both = [p for p in pairs if len(p) == 2]
    same = sum(1 for p in both if p[0][2] == p[1][2])
    ages = [stated_age_seconds(body, at) for p in pairs for _, at, body in p]
    distinct_bodies = len({body for p in pairs for _, _, body in p})
    up = {"A": killed_at - started, "B": ended - started}
    return {
        "seconds": round(ended - started, 1), "up": up, "counts": {n: dict(c) for n, c in cluster.counts.items()},
        "sessions_shared": sessions_shared, "key_shared": key_shared, "burst": burst, "burst_accepted": accepted, "burst_refused": refused,
        "errors": acked["errors"], "check": check, "killed_job_running": running,
        "rates_pairs": len(both), "rates_same": same, "rates_distinct": distinct_bodies,
        "rates_oldest": max((a for a in ages if a is not None), default=0),
        "rates_unstated": sum(1 for a in ages if a is None), "downloads_ok": downloads_ok,
        "phases": phases, "form_retried": sum(1 for r in acked["reports"] if r["tries"] > 1),
    }


def check_downloads(cluster, world, exports):
    """Every acknowledged export downloads through server B (the file written by either worker)."""
    http = new_http()
    login(http, cluster.url("B"), world["leader"])
    ok = 0
    for e in exports:
        response = http.get(f"{cluster.url('B')}/reports/ledgers/{e['job']}/download/", timeout=30)
        ok += response.status_code == 200 and response.content[:2] == b"PK"
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description="Two app servers and two workers on one PostgreSQL and Redis; "
                                                 "SIGKILL one of each under load; prove nothing acknowledged is lost")
    parser.add_argument("--quick", action="store_true", help="6 s of load, 4 clients, 1,000 concerns (still the kills)")
    parser.add_argument("--pg", default=os.environ.get("ZHENWU_BENCH_PG", DEFAULT_PG),
                        help="PostgreSQL server URL (a scratch database is created on it and dropped)")
    parser.add_argument("--redis", default=DEFAULT_REDIS, help="Redis URL; its database number is flushed")
    parser.add_argument("--seconds", type=float, default=90.0,
                        help="of load (past the rates page's 60 s, so that its cache entry expires once)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per app server")
    parser.add_argument("--concerns", type=int, default=3000)
    parser.add_argument("--stale-seconds", type=int, default=10, help="ZHENWU_JOB_STALE_SECONDS of the cluster")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child-world", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-verify", help=argparse.SUPPRESS)
    parser.add_argument("--child-migrate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_migrate:
        return child_migrate()
    if args.child_world is not None:
        return child_world(args.child_world)
    if args.child_verify:
        return child_verify(args.child_verify)
    if args.quick:
        args.seconds, args.clients, args.concerns, args.stale_seconds = 6.0, 4, 1000, 4
    why = reachable(args.pg, args.redis)
    if why:
        raise SystemExit(why)
    r = run(pg=args.pg, redis_url=args.redis, seconds=args.seconds, clients=args.clients, web_workers=args.web_workers,
            concerns=args.concerns, stale_seconds=args.stale_seconds, export_every=10 if args.quick else 25, seed=args.seed)
    c = r["check"]
    print(f"Cluster benchmark: 2 app servers x {args.web_workers} gunicorn workers, 2 workers, PostgreSQL + Redis "
          f"({urlparse(args.redis).path or '/0'}), {args.clients} clients, {r['seconds']} s, {os.cpu_count()} CPUs")
    for name in "AB":
        n = r["counts"][name]
        state = "killed (SIGKILL)" if name == "A" else "survived"
        print(f"server {name}: {n.get('requests', 0)} requests in {r['up'][name]:.1f} s = "
              f"{n.get('requests', 0) / r['up'][name]:.1f} req/s, errors {n.get('errors', 0)}, "
              f"connections refused or cut {n.get('cut', 0)}, {state}")
    accepts = sum(r["counts"][name].get("accepts", 0) for name in "AB")
    print(f"sessions shared: {'yes' if r['sessions_shared'] else 'NO'} (a login on A opens a staff page on B); "
          f"dispatcher's 受理 done {accepts}")
    print(f"one-time key shared: {'yes' if r['key_shared'] else 'NO'} (a form posted to A, then again to B: "
          f"one concern, the same reference)")
    print(f"rate limit shared: {r['burst_accepted']} of a burst of {r['burst']} from one address over A and B accepted, "
          f"{r['burst_refused']} refused (limit {ADDRESS_LIMIT})")
    print(f"acknowledged writes: {c['acked']}, found exactly once {c['found_once']}, lost {c['lost_count']}, "
          f"twice {c['twice_count']} (form posts retried on the other server {r['form_retried']})")
    exports = c["exports"]
    print(f"exports: {len(exports)} queued, done exactly once {c['exports_done_once']}, "
          f"downloaded through B {r['downloads_ok']}; worker 1 killed running job(s) {r['killed_job_running']}; "
          f"jobs not done {c['jobs_not_done']}")
    print(f"cached rates page: {r['rates_same']} of {r['rates_pairs']} A/B pairs identical, {r['rates_distinct']} "
          f"distinct bodies, oldest stated age {r['rates_oldest']:.0f} s (limit "
          f"{int(CLUSTER_SETTINGS['ZHENWU_PUBLIC_RATES_CACHE_SECONDS']) + 60} s), unstated {r['rates_unstated']}")
    print(f"errors {len(r['errors'])}; concerns in the database {c['concerns']}")
    print("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases"].items())
          + " (world: copy the migrated template, generate; start: servers up; drain: the queue finished after the load)")
    for line in sorted(Counter(r["errors"]).items())[:10]:
        print(f"  error: {line[0]} x{line[1]}")
    for line in c["lost"] + c["twice"]:
        print(f"  LOST OR TWICE {line}")
    cache_seconds = int(CLUSTER_SETTINGS["ZHENWU_PUBLIC_RATES_CACHE_SECONDS"])
    # A pair may differ only where the entry expired between its two reads: at most one per period.
    expiries = int(r["seconds"] // cache_seconds) + 1
    ok = (r["sessions_shared"] and r["key_shared"] and r["burst_accepted"] == ADDRESS_LIMIT and c["lost_count"] == 0
          and c["twice_count"] == 0 and c["found_once"] == c["acked"]
          and c["exports_done_once"] == len(exports) and c["jobs_not_done"] == 0 and r["downloads_ok"] == len(exports)
          and r["rates_pairs"] >= 2 and r["rates_pairs"] - r["rates_same"] <= expiries and r["rates_unstated"] == 0
          and (r["rates_oldest"] or 0) <= cache_seconds + 60 and not r["errors"])
    if not ok:
        raise SystemExit(1)
    return r


if __name__ == "__main__":
    main()
