import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import verify_chain

from .writers import forks, write_concurrently

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.mark.postgres
@pytest.mark.skipif(
    not ON_POSTGRES,
    reason="needs PostgreSQL (pg_advisory_xact_lock across real connections); run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_writers_on_postgresql_leave_one_unforked_verifiable_chain():
    errors = write_concurrently(threads=8, per_thread=50)

    assert errors == []
    assert AuditEntry.objects.filter(object_type="test.Writer").count() == 400
    assert forks() == []
    report = verify_chain()
    assert report.ok, report
    assert report.checked == AuditEntry.objects.count()
    # Each writer's own entries keep their order in the chain.
    for n in range(8):
        ids = [
            int(oid.split("-")[1])
            for oid in AuditEntry.objects.filter(object_id__startswith=f"{n}-")
            .order_by("id")
            .values_list("object_id", flat=True)
        ]
        assert ids == list(range(50))


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite test: runs in the SQLite suite")
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_the_sqlite_test_database_leave_a_verifiable_chain():
    if connection.is_in_memory_db():
        pytest.skip(
            "the SQLite test database is in memory (shared cache: table locks, no busy wait); "
            "the file-database test below covers concurrent SQLite writers"
        )
    errors = write_concurrently(threads=8, per_thread=50)
    assert errors == []
    assert forks() == []
    assert verify_chain().ok


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite test: runs in the SQLite suite")
def test_eight_concurrent_writers_on_a_sqlite_file_database_leave_one_unforked_verifiable_chain(
    tmp_path, migrated_sqlite
):
    migrated_sqlite(tmp_path / "writers.sqlite3")  # the writers' `migrate` then applies nothing
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'writers.sqlite3'}")
    result = subprocess.run(
        [sys.executable, "-c", "from zhenwu.audit.tests.writers import main; main()"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])

    assert outcome["vendor"] == "sqlite"
    assert outcome["errors"] == []
    assert outcome["count"] == 400
    assert outcome["forks"] == []
    assert outcome["ok"], outcome["reason"]
    assert outcome["checked"] == 400
