"""A benchmark's scratch SQLite database, migrated.

Migrating an empty database costs about 27 s of CPU on this machine kind (Django re-renders the
model states of some ninety migrations), and the suite's --quick runs paid it a dozen times. When
the suite names a database migrated in advance (ZHENWU_BENCH_MIGRATED_SQLITE, built once per test
run by the root conftest.py's migrated_sqlite_template), a new scratch SQLite database starts as a
copy of it, and `migrate` then has nothing left to apply. Run by hand (no variable), or on PostgreSQL, or on a kept database,
a script migrates as before.
"""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

TEMPLATE_VARIABLE = "ZHENWU_BENCH_MIGRATED_SQLITE"
ROOT = Path(__file__).resolve().parent.parent


def migrate_database():
    """Bring the configured database to the current migrations, starting from the suite's migrated
    copy when the database is a new SQLite file."""
    from django.core.management import call_command
    from django.db import connection

    template = os.environ.get(TEMPLATE_VARIABLE)
    name = str(connection.settings_dict.get("NAME") or "")
    if template and connection.vendor == "sqlite" and name and ":memory:" not in name and "mode=memory" not in name:
        target = Path(name)
        if not target.exists() or target.stat().st_size == 0:
            connection.close()
            copy_sqlite(Path(template), target)
    call_command("migrate", verbosity=0)


def copy_sqlite(source, target):
    """A consistent copy through SQLite's backup API (a plain file copy could miss a WAL's pages)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def build_template(path, data_dir):
    """Migrate a new SQLite database at `path` with manage.py, as an installation would."""
    partial = Path(f"{path}.partial")
    partial.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_", "DJANGO_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{partial}", ZHENWU_DATA_DIR=str(data_dir), ZHENWU_LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="zhenwu.settings")
    proc = subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError("migrating the benchmarks' template failed:\n" + proc.stdout + proc.stderr)
    copy_sqlite(partial, Path(path))  # the copy also folds in anything left in the WAL
    partial.unlink()
