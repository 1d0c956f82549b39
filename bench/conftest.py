"""The benchmarks' --quick runs share one migrated SQLite database (bench/scratch_db.py): built once
per test run, under a lock, by whichever xdist worker needs it first."""

import fcntl
import os

import pytest
from scratch_db import TEMPLATE_VARIABLE, build_template


@pytest.fixture(scope="session", autouse=True)
def migrated_sqlite(tmp_path_factory, worker_id):
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the directory every worker's base directory sits in
    path = shared / "bench-migrated.sqlite3"
    with open(shared / "bench-migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            data_dir = shared / "bench-migrated-data"
            data_dir.mkdir(exist_ok=True)
            build_template(path, data_dir)
    os.environ[TEMPLATE_VARIABLE] = str(path)
    yield path
    os.environ.pop(TEMPLATE_VARIABLE, None)
