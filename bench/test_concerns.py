"""Keeps the concerns benchmark runnable: its quick mode generates 3,000 concerns in three towns and
times the resident's form against the single-INSERT floor, the board, a queue and the rates page."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_concerns_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "concerns.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "3,000 concerns, 3 towns, 10 years" in lines[0]
    found = re.search(
        r"(\d+) req/s \(p95 [\d.]+ ms, (\d+) queries\); with the form GET (\d+)/s; "
        r"bare single-INSERT view (\d+) req/s",
        lines[1],
    )
    post, queries, flow, floor = (int(n) for n in found.groups())
    assert post > 0 and flow > 0 and floor > 0 and 5 <= queries <= 40
    timings = [line for line in lines[2:] if re.search(r"p50 [\d.]+ ms\s+p95 [\d.]+ ms", line)]
    assert len(timings) == 4  # board, queue, rates uncached and cached
