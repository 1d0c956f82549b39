import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's read snapshots: runs in the SQLite suite")
def test_a_job_reporting_progress_while_it_reads_survives_a_commit_by_a_web_request(tmp_path):
    """A ledger or an audit-log export reads from an open cursor and reports progress as it goes;
    on SQLite a write on the reading connection after another connection's commit is refused at
    once ("database is locked"), which failed every large export of the default installation."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'jobs.sqlite3'}", ZHENWU_DATA_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "zhenwu.jobs.tests.stale_reader"],
        cwd=Path(settings.BASE_DIR), env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome == {"status": "done", "progress": 40, "total": 200, "message": "读完200行", "rows": 200}
