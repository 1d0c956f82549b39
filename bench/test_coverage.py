"""Keeps the coverage benchmark runnable: its quick mode builds a small county and measures the
town page and the county export through the real views."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_coverage_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "coverage.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("coverage benchmark (") and "quick" in lines[0]
    assert lines[1].startswith("county: 400 members, 5 required items")
    page = lines[2]
    assert page.startswith("town-wide coverage page: median ")
    median_ms = float(page.split("median ")[1].split(" ms")[0])
    assert 0 < median_ms < 2000
    assert "county-wide export:" in lines[4] and "for 400 members" in lines[4]
    assert "export peak memory" in lines[5]
