"""Keeps the visits benchmark runnable: its quick mode builds 6,000 households in three towns and
times the overdue list and the coverage page at town, village and grid scope, and a county account's
coverage page (its towns), a town it drills into and its overdue lists."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_visits_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "visits.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    head = re.search(r"6,000 households, 12,000 residents, ([\d,]+) links .* ([\d,]+) visits over 6 months", lines[0])
    assert head, lines[0]
    assert int(head.group(2).replace(",", "")) == 36_000
    town = re.search(r"town overdue: ([\d,]+) of ([\d,]+) linked households", lines[0])
    overdue, linked = (int(n.replace(",", "")) for n in town.groups())
    assert 0 < overdue < linked  # some of the town's linked households are overdue, not all
    assert "county page: 4 rows" in lines[0]  # the county and its three towns
    timings = [line for line in lines[1:] if re.search(r"p50 [\d.]+ ms\s+p95 [\d.]+ ms", line)]
    assert len(timings) == 11
