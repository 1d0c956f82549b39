"""Keeps the cache benchmark runnable: every backend, both sizes, a positive time per request."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_cache_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "cache.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    expected = [(backend, size) for backend in ("file cache", "diskcache closed per request", "diskcache kept open")
                for size in ("0", "500")]
    assert len(lines) == len(expected)
    for line, (backend, size) in zip(lines, expected, strict=True):
        found = re.fullmatch(r"(.+?) \(.+\): ([\d,]+) entries: ([\d.]+) ms per request \(p95 ([\d.]+) ms\)", line)
        assert found and found.group(1).startswith(backend) and found.group(2) == size, line
        assert 0 < float(found.group(3)) and 0 < float(found.group(4))
