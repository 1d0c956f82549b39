import os
import signal
import subprocess
import sys

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the app with gunicorn on 127.0.0.1 and run the background worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("ZHENWU_BIND_HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("ZHENWU_WEB_WORKERS", "3")))
        parser.add_argument("--threads", type=int, default=web_threads(), help="threads per web worker")

    def handle(self, *args, port, host, workers, threads, **options):
        python = sys.executable
        # The worker exits by itself if this process dies without stopping it.
        worker = subprocess.Popen([python, "manage.py", "run_worker", "--parent-pid", str(os.getpid())])
        server = subprocess.Popen(gunicorn_argv(python=python, host=host, port=port, workers=workers,
                                                threads=threads))
        self.stdout.write(f"镇务通已启动：http://{host}:{port}/  （Ctrl+C 停止）")
        self.stdout.flush()

        def stop(signum, frame):
            server.send_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            server.wait()
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()


def web_threads():
    """Threads per web worker: ZHENWU_WEB_THREADS, default 4."""
    return int(os.environ.get("ZHENWU_WEB_THREADS", "4"))


def gunicorn_argv(*, python, host, port, workers, threads=None):
    """The server's command line; the benchmarks (bench/http_bench.py, crash.py, soak.py) run the same."""
    argv = [
        os.path.join(os.path.dirname(python), "gunicorn"),
        "zhenwu.wsgi:application",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads or web_threads()),
        "--timeout", "60",
        "--graceful-timeout", "20",
        "--access-logfile", "-",
        # Follow-link tokens and API keys are cut from the access log (zhenwu.lib.log_redaction).
        "--logger-class", "zhenwu.lib.access_log.AccessLogger",
        # The application (Django, the views, the segmenter's dictionary: zhenwu.ops.warmup) is
        # loaded once in the master and shared by the forked workers, copy-on-write. New code
        # therefore needs a restart, not a HUP (docs/operations.md, upgrades).
        "--preload",
    ]
    if _gunicorn_version() >= (27,):
        # gunicorn 27 opens a control socket at one fixed path shared by every instance on the
        # machine; this server needs none, and two installations must not collide on it.
        argv.append("--no-control-socket")
    return argv


def _gunicorn_version():
    import gunicorn

    return tuple(gunicorn.version_info)
