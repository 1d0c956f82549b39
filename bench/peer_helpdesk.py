"""The peer: django-helpdesk's public ticket form (bench/peer/peer_site), served beside ours by
bench/http_bench.py so the resident's form can be compared with it in the same run, on the same
machine, through the same kind of server.

django-helpdesk is a general-purpose Django helpdesk; its public form takes a ticket from someone
without an account, as our phone form takes a concern. It lives in its own virtualenv (.venv-peer,
built from bench/peer/requirements.txt on first use and rebuilt when that file changes), never in
the product's. Its gunicorn has our server's flags (`manage.py serve`'s gunicorn_argv: workers,
threads, --preload, timeouts, an access log), with its own application instead of ours and
gunicorn's default access logger instead of our redacting one.
"""

import hashlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SITE = HERE / "peer"
REQUIREMENTS = SITE / "requirements.txt"
VENV = ROOT / ".venv-peer"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
QUEUE_RE = re.compile(r'<select name="queue"[^>]*>.*?<option value="(\d+)"', re.S)


def ensure_venv(venv=VENV):
    """The peer's python, installing its virtualenv if it is missing or its requirements changed."""
    python = venv / "bin" / "python"
    stamp = venv / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return python
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                   check=True)
    stamp.write_text(wanted)
    return python


class PeerServer:
    """The peer's installation (a fresh SQLite file under `tmp`, or a fresh PostgreSQL database on
    the server `pg_url` names) and its gunicorn, in its own process group."""

    def __init__(self, tmp, port, workers, pg_url=None):
        self.python = ensure_venv()
        self.port, self.workers, self.pg_url = port, workers, pg_url
        self.data = Path(tmp) / "peer"
        self.data.mkdir(parents=True, exist_ok=True)
        self.url = f"http://127.0.0.1:{port}"
        self.proc = self.drop = None
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_", "PYTEST", "DJANGO_", "PEER_"))}
        self.env.update(PEER_DATA_DIR=str(self.data), DJANGO_SETTINGS_MODULE="peer_site.settings",
                        PYTHONPATH=str(SITE))
        if pg_url:
            self._create_database(pg_url)

    def _create_database(self, pg_url):
        import psycopg

        parsed = urlparse(pg_url)
        name = f"zhenwu_peer_{os.getpid()}"
        admin = parsed._replace(path="/postgres").geturl()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        self.drop, self.database = drop, name
        self.env.update(PEER_PG_NAME=name, PEER_PG_HOST=parsed.hostname or "127.0.0.1",
                        PEER_PG_PORT=str(parsed.port or 5432), PEER_PG_USER=parsed.username or "postgres")

    def manage(self, *args):
        subprocess.run([str(self.python), str(SITE / "manage.py"), *args], cwd=SITE, env=self.env, check=True,
                       capture_output=True, text=True)

    def start(self, log_path, timeout=60):
        """Migrate, open one queue to public submissions, serve."""
        self.manage("migrate", "--verbosity", "0")
        self.manage("shell", "-c", "from helpdesk.models import Queue; "
                    "Queue.objects.create(title='民情反映', slug='public', allow_public_submission=True)")
        sys.path.insert(0, str(ROOT))
        from zhenwu.jobs.management.commands.serve import gunicorn_argv

        argv = gunicorn_argv(python=str(self.python), host="127.0.0.1", port=self.port, workers=self.workers)
        argv[1] = "peer_site.wsgi:application"
        at = argv.index("--logger-class")
        del argv[at:at + 2]
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(argv, cwd=SITE, env=self.env, stdout=log, stderr=log, start_new_session=True)
        self._wait_up(timeout, log_path)

    def _wait_up(self, timeout, log_path):
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"peer server exited with {self.proc.returncode}; see {log_path}")
            try:
                requests.get(self.url + "/healthz", timeout=2)
                return
            except requests.RequestException:
                time.sleep(0.05)
        raise SystemExit(f"peer server not up after {timeout} s; see {log_path}")

    def worker_pids(self):
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return sorted(pids)

    def stop(self):
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.drop:
            self.drop()
            self.drop = None


class PeerClient:
    """One client's session on the peer's public form: its page is fetched once for the CSRF token
    and the queue (as our form_post target fetches ours once); each POST is a new ticket."""

    def __init__(self, url, client_id):
        import requests

        self.url, self.id, self.n = url, client_id, 0
        self.http = requests.Session()
        self.base = None

    def _base(self):
        page = self.http.get(self.url + "/helpdesk/tickets/submit/", timeout=30)
        return {"csrfmiddlewaretoken": CSRF_RE.search(page.text).group(1),
                "queue": QUEUE_RE.search(page.text).group(1), "priority": "3"}

    def post(self, *, view):
        """(seconds, error or None): the POST alone (answered with a redirect to the ticket's page),
        or with `view` the POST and the ticket's page it redirects to, what the submitter waits for
        before seeing the page our form's POST answers with."""
        if self.base is None:
            self.base = self._base()
        self.n += 1
        title = f"[peer-{self.id}-{self.n}] 村口水管破了"
        data = dict(self.base, title=title, body=f"{title}，水流了一地，请尽快派人来修。",
                    submitter_email=f"resident{self.id}@example.cn")
        submit = self.url + "/helpdesk/tickets/submit/"
        start = time.perf_counter()
        response = self.http.post(submit, data=data, allow_redirects=False, timeout=30, headers={"Referer": submit})
        location = response.headers.get("Location", "")
        if response.status_code != 302 or "ticket=" not in location:
            return time.perf_counter() - start, f"peer {response.status_code}"
        if view:
            page = self.http.get(self.url + location, timeout=30)
            if page.status_code != 200 or title not in page.text:
                return time.perf_counter() - start, f"peer view {page.status_code}"
        return time.perf_counter() - start, None
