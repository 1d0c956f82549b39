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
sys.path.insert(0, str(HERE))

from crash import CSRF_RE, Server  # noqa: E402
from open311 import _postgres_database  # noqa: E402

SITE = HERE / "peer"
REQUIREMENTS = SITE / "requirements.txt"
VENV = ROOT / ".venv-peer"
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


class PeerServer(Server):
    """The peer's installation (a fresh SQLite file under `tmp`, or a fresh PostgreSQL database on
    the server `pg_url` names) served by bench/crash.py's Server: its start, stop and worker
    processes, with the peer's application in the command line."""

    cwd = SITE

    def __init__(self, tmp, port, workers, pg_url=None):
        self.python = ensure_venv()
        data = Path(tmp) / "peer"
        data.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_", "PYTEST", "DJANGO_", "PEER_"))}
        env.update(PEER_DATA_DIR=str(data), DJANGO_SETTINGS_MODULE="peer_site.settings", PYTHONPATH=str(SITE))
        self.drop = self.database = None
        if pg_url:
            url, self.drop = _postgres_database(pg_url, prefix="zhenwu_peer")
            parsed = urlparse(url)
            self.database = parsed.path.lstrip("/")
            env.update(PEER_PG_NAME=self.database, PEER_PG_HOST=parsed.hostname or "127.0.0.1",
                       PEER_PG_PORT=str(parsed.port or 5432), PEER_PG_USER=parsed.username or "postgres")
        super().__init__(env, port, workers, data / "server.log")

    def command(self):
        """Our server's flags (`manage.py serve`'s gunicorn_argv), the peer's python and application,
        and gunicorn's own access logger instead of our redacting one."""
        sys.path.insert(0, str(ROOT))
        from zhenwu.jobs.management.commands.serve import gunicorn_argv

        argv = gunicorn_argv(python=str(self.python), host="127.0.0.1", port=self.port, workers=self.workers)
        argv[1] = "peer_site.wsgi:application"
        at = argv.index("--logger-class")
        del argv[at:at + 2]
        return argv

    def manage(self, *args):
        subprocess.run([str(self.python), str(SITE / "manage.py"), *args], cwd=SITE, env=self.env, check=True,
                       capture_output=True, text=True)

    def start(self, timeout=60):
        """Migrate, open one queue to public submissions, serve."""
        self.manage("migrate", "--verbosity", "0")
        self.manage("shell", "-c", "from helpdesk.models import Queue; "
                    "Queue.objects.create(title='民情反映', slug='public', allow_public_submission=True)")
        super().start(timeout)

    def stop(self):
        super().stop()
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
