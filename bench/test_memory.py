"""Keeps the memory benchmark runnable: its quick mode starts a worker step by step on a scratch
installation, drives every kind of page, and must print a real figure for each step."""

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_memory_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "memory.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    r = json.loads(lines[-1])
    values = [value for _, value in r["steps"]]
    assert len(values) == 6 and values[0] > 5  # an interpreter is several MB: read from /proc
    assert values == sorted(values)  # each step adds to what the last one loaded
    dictionary = values[4] - values[3]
    assert dictionary > 10  # the segmenter's dictionary is built in the apps' warm-up
    assert r["rounds"] == 5 and r["after"] > 0 and r["python_growth"] >= 0
    assert lines[-2].startswith("warm ") and "live Python objects" in lines[-2]
