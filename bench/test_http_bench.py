"""Keeps the HTTP benchmark runnable: its quick mode drives every target (the floor, the resident's
form with and without a photo, its POST alone, Open311, the board, the inbox, the soak's mix, and the
peer's public form, django-helpdesk in its own virtualenv and gunicorn) through a real gunicorn with
the worker beside it, and must see every success verified, no error, and real figures for CPU and
memory."""

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_http_benchmark_runs_in_quick_mode_without_errors():
    proc = subprocess.run(
        [sys.executable, str(HERE / "http_bench.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    rows = json.loads(lines[-1])
    assert list(rows) == ["floor", "form", "form_post", "form_photo", "open311", "board", "inbox", "mix",
                          "peer_post", "peer_view"]
    for target, row in rows.items():
        assert row["ok"] > 0 and row["errors"] == 0, target
        assert row["per_s"] > 0 and 0 < row["p50"] <= row["p95"] <= row["p99"], target
    assert rows["form"]["web_cpu_ms"] > 0  # CPU read from /proc: the figures are real
    # SQLite: the intake's transaction held the write lock a measurable time; the floor (one
    # autocommit INSERT) and the board open no transaction.
    assert rows["form_post"]["lock_held_ms"] > 0 and rows["floor"]["lock_held_ms"] is None
    assert re.search(r"0\.\d\dx floor|\d+\.\d\dx floor", proc.stdout)
    web, worker, peer = re.search(
        r"web workers ([\d./, ]+); background worker ([\d.]+)/[\d.]+; peer's web workers ([\d./, ]+)$", lines[-2]).groups()
    assert all(float(pair.split("/")[0]) > 20 for pair in web.split(", ")) and float(worker) > 20
    assert all(float(pair.split("/")[0]) > 20 for pair in peer.split(", "))
    # The peer's web workers did the peer's work; it has no background worker of ours to charge.
    assert rows["peer_post"]["web_cpu_ms"] > 0 and rows["peer_post"]["worker_cpu_ms"] is None
    assert rows["peer_post"]["lock_held_ms"] is None  # not measured in the peer's server
    # Its POST and page cost more than its POST alone: the page was really fetched.
    assert rows["peer_view"]["web_cpu_ms"] > rows["peer_post"]["web_cpu_ms"]
    assert re.search(r"form_post against peer_post: [\d.]+x its rate", proc.stdout)
    assert re.search(r"form_post against peer_view: [\d.]+x its rate", proc.stdout)
