"""Keeps the roster benchmark runnable: its quick mode imports 300 generated rows end to end."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_roster_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "import_roster.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "overall rows/s" in lines[1]
    figures = lines[2].split()
    assert figures[0] == "300" and all(float(f) > 0 for f in figures[2:5])
