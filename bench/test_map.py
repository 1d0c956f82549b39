"""Keeps the board map benchmark runnable: its quick mode places 3,000 concerns of three towns and
times the map's data for a town's view four ways."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_map_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "map.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("Board map benchmark: sqlite, 3,000 concerns (3,000 with a point), 3 towns")
    views = [re.search(r"p50 ([\d.]+) ms\s+p95 ([\d.]+) ms .* at most (\d+) cells", line) for line in lines[1:7]]
    assert all(views), lines
    for view in views:
        p50, p95, cells = float(view.group(1)), float(view.group(2)), int(view.group(3))
        assert 0 < p50 <= p95 and 0 < cells <= 484
    assert lines[7].startswith("Worst p95 of a town's view:")
