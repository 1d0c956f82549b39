"""Keeps the intake-parts benchmark runnable: its quick mode takes 60 form POSTs apart."""

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def test_the_intake_parts_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "intake_parts.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "3,000 concerns, 60 POSTs" in lines[0]
    wal = re.fullmatch(r"Write-ahead log per request: intake ([\d,]+) bytes, floor ([\d,]+) bytes", lines[-2])
    intake_wal, floor_wal = (int(n.replace(",", "")) for n in wal.groups())
    assert intake_wal > floor_wal > 0  # the intake writes a concern, an event and an audit entry
    figures = {}
    for line in lines[1:-2]:
        label, value = line.rsplit(None, 1)
        figures[label.strip()] = float(value)
    whole = figures["whole POST /concerns/report/"]
    service = figures["intake service (submit_concern, one transaction)"]
    inside = [figures[label] for label in figures if label.startswith(("concern INSERT", "timeline event", "audit entry",
                                                                        "reference number", "workday overrides", "commit"))]
    assert len(inside) == 6 and all(value > 0 for value in inside)
    assert sum(inside) <= service <= whole  # nested parts within their parent, measured on one clock
    assert figures["floor: bare single-INSERT view (same stack and body)"] > 0
    assert re.search(r"The intake's own work .* = [\d.]+x the whole floor request", lines[-1])
