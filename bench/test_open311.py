"""Keeps the Open311 benchmark runnable: its quick mode generates 2,000 concerns and times POSTs,
the single-INSERT floor and filtered GETs end to end."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_open311_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "open311.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "2,000 concerns" in lines[0]
    post, floor = re.search(r"POST requests.json\s+(\d+) req/s .* view (\d+) req/s", lines[1]).groups()
    assert int(post) > 0 and int(floor) > 0
    gets = [line for line in lines if line.startswith("GET requests.json")]
    assert len(gets) == 4 and all(re.search(r"p95 [\d.]+ ms", line) for line in gets)
