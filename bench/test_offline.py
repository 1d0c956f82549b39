"""Keeps the offline benchmark runnable: the bundle's size and a quick sync of 10 queued records
(each stored once, each repeat answered without storing)."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_offline_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "offline.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3, proc.stdout
    bundle = re.match(r"offline bundle .*: (\d+) files, ([\d.]+) KB \(([\d.]+) KB gzip\)", lines[0])
    assert bundle and int(bundle.group(1)) >= 8 and 0 < float(bundle.group(3)) < float(bundle.group(2))
    sync = re.match(r"sync 10 queued records with photos \((\d+) KB each\) on loopback: ([\d.]+) s", lines[1])
    assert sync and int(sync.group(1)) > 100 and float(sync.group(2)) > 0
    assert lines[2].startswith("resend the same 10 (repeats, nothing stored): ")
