"""Keeps the crash benchmark runnable: its quick mode kills a real gunicorn twice under intake
load (phone form and Open311) and must find every confirmed concern, no duplicate, and a
verifying audit chain."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_crash_benchmark_runs_in_quick_mode_and_loses_nothing():
    proc = subprocess.run(
        [sys.executable, str(HERE / "crash.py"), "--quick", "--seed", "9"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    kills, confirmed, lost, duplicates = (int(n) for n in re.search(
        r"kills (\d+)  confirmed (\d+) .*lost (\d+)  duplicates (\d+)", lines[1]).groups())
    assert kills == 2 and confirmed > 0 and lost == 0 and duplicates == 0
    form, open311 = (int(n) for n in re.search(r"\(form (\d+), open311 (\d+)\)", lines[1]).groups())
    assert form > 0 and open311 > 0  # both paths went through the kills
    assert lines[3].endswith("client errors 0")  # nothing refused (a 429 once starved the form path)
    assert "审计链完整" in lines[3] and "integrity ok" in lines[3]
