"""Keeps the hostile-uploads benchmark runnable: its quick mode refuses every file and prints one
line per file (time, peak RSS growth, stored result)."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_hostile_uploads_benchmark_runs_in_quick_mode_and_refuses_every_file():
    proc = subprocess.run(
        [sys.executable, str(HERE / "hostile.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=900, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("hostile uploads (quick")
    rows = lines[2:]
    assert len(rows) == 9
    for row in rows:
        assert "refused" in row or "job failed" in row, row
        assert "accepted" not in row and "job done" not in row, row
