"""Keeps the ledger benchmark runnable: its quick mode exports 3,000 concerns of three towns as the
民情办理台账 and reports time and peak memory, and the file holds every row."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_ledger_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "ledgers.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("Ledger benchmark: sqlite, 3,000 concerns in 3 towns over one year")
    export = re.search(r"民情办理台账 export: ([\d,]+) rows in ([\d.]+) s .*process CPU [\d.]+ s.* ([\d,]+) data rows re-read",
                       lines[1])
    rows, seconds, reread = export.groups()
    assert rows == reread and 2500 < int(rows.replace(",", "")) <= 3000  # the last year of the generated ones
    assert float(seconds) > 0
    memory = re.search(r"Peak memory: tracemalloc ([\d.]+) MB, ru_maxrss delta ([\d.]+) MB", lines[2])
    assert 0 < float(memory.group(1)) < 200
    job = re.search(r"As a background job .*: ([\d.]+) s for ([\d,]+) rows", lines[3])
    assert job.group(2) == rows
