"""Keeps the soak benchmark runnable: its quick mode serves mixed traffic (resident form, board,
staff pages, staff API, Open311) from a real gunicorn at half the measured capacity and must see
no error, with latency per time slice and the workers' memory at start and end (each process's
RSS, PSS and USS at the end, the background worker's included)."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_soak_benchmark_runs_in_quick_mode_without_errors():
    proc = subprocess.run(
        [sys.executable, str(HERE / "soak.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    capacity, rate = (float(x) for x in re.search(r"capacity ([\d.]+) ops/s, soak at ([\d.]+) ops/s", lines[0]).groups())
    assert capacity > 0 and abs(rate - capacity / 2) < 0.2
    errors, total = (int(x) for x in re.search(r"errors (\d+) of (\d+) operations", lines[1]).groups())
    assert errors == 0 and total > 0
    slices = [line for line in lines if re.search(r"s  n +\d+  errors \d+  p50 [\d.]+ ms  p95 [\d.]+ ms", line)]
    assert len(slices) == 4
    found = [re.search(r"worker RSS start ([\d.]+) MB, end ([\d.]+) MB", line) for line in lines]
    start, end = (float(x) for x in next(m for m in found if m).groups())
    assert start > 20 and end > 20  # a Django worker is tens of MB: the figures are real
    # Each process's RSS, PSS and USS at the end, the background worker (run beside) included.
    memory = [re.search(r"(web worker \d+|background worker) at the end: RSS ([\d.]+) MB, PSS ([\d.]+) MB, "
                        r"USS ([\d.]+) MB", line) for line in lines]
    memory = [(m.group(1), *(float(x) for x in m.groups()[1:])) for m in memory if m]
    assert [name.split()[0] for name, *_ in memory] == ["web", "background"]
    assert all(rss >= pss >= uss > 10 for _, rss, pss, uss in memory)
