"""Acceptance: back up a populated installation while audited writes continue, restore into a
fresh installation, find identical counts and a verifying audit chain (SQLite, and PostgreSQL in
CI's PostgreSQL pass). Each installation is real: its own database and data directory, driven
through manage.py in subprocesses, as an operator would."""

import json
import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
from cryptography.fernet import Fernet
from django.db import connection

from zhenwu.ops.backup import decrypt_file

ROOT = Path(__file__).resolve().parents[3]


def _env(tmp, name, database_url, keys):
    data = tmp / name
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_", "DJANGO_", "PYTEST"))}
    env.update(keys)
    env.update(
        DATABASE_URL=database_url, ZHENWU_DATA_DIR=str(data), ZHENWU_MEDIA_ROOT=str(data / "media"),
        DJANGO_SETTINGS_MODULE="zhenwu.settings", ZHENWU_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    return env


def _run(env, *args, check=True, timeout=180):
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _counts(env):
    return json.loads(_run(env, "-m", "zhenwu.ops.tests.scenario", "counts").stdout.strip().splitlines()[-1])


def _wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _progress(path):
    try:
        return int(path.read_text() or 0)
    except (FileNotFoundError, ValueError):
        return 0


def backup_while_writing_then_restore(tmp, source_url, target_url):
    keys = {
        "ZHENWU_SECRET_KEY": "backup-test-secret",
        "ZHENWU_FIELD_KEYS": Fernet.generate_key().decode(),
        "ZHENWU_BLIND_INDEX_KEY": "backup-test-blind-index",
        "ZHENWU_BACKUP_KEY": Fernet.generate_key().decode(),
    }
    source = _env(tmp, "source", source_url, keys)
    target = _env(tmp, "target", target_url, keys)
    _run(source, "manage.py", "migrate", "-v0")
    _run(source, "-m", "zhenwu.ops.tests.scenario", "populate")
    populated = _counts(source)

    progress, stop = tmp / "progress", tmp / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "zhenwu.ops.tests.scenario", "write", str(progress), str(stop)],
        cwd=ROOT, env=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait_for(lambda: _progress(progress) >= 3)
        backup = _run(source, "manage.py", "backup", "--output", str(tmp / "backups"), "--encrypt")
        after_backup = _progress(progress)
        _wait_for(lambda: _progress(progress) >= after_backup + 3)  # the writes go on after the snapshot
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, out + err
    final = _counts(source)

    (archive,) = (tmp / "backups").iterdir()
    assert archive.name.endswith(".tar.gz.enc") and "已加密" in backup.stdout
    plain = tmp / "plain.tar.gz"
    decrypt_file(archive, plain, __import__("base64").urlsafe_b64decode(keys["ZHENWU_BACKUP_KEY"]))
    with tarfile.open(plain) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert "media/scenario/evidence.txt" in tar.getnames()
    counts = manifest["counts"]
    # Taken in the middle of the writes: more than before they began, fewer than at the end.
    for label in ("audit.AuditEntry", "concerns.Concern"):
        assert populated[label] < counts[label] < final[label], (label, populated[label], counts[label], final[label])
    assert manifest["audit_head"]["id"] is not None and manifest["version"]
    assert manifest["media"]["files"] == 1

    restored = _run(target, "manage.py", "restore", str(archive))
    assert "行数核对" in restored.stdout and "全部一致" in restored.stdout, restored.stdout
    assert "审计链完整" in restored.stdout and "核对通过" in restored.stdout, restored.stdout

    # Checked again from outside the restore command: identical counts, a verifying chain, media.
    assert _counts(target) == counts
    verified = _run(target, "manage.py", "verify_audit_chain")  # (a periodic command: one more CommandRun)
    assert f"已校验 {counts['audit.AuditEntry']} 条记录" in verified.stdout
    counts = dict(counts, **{"ops.CommandRun": counts["ops.CommandRun"] + 1})
    assert (tmp / "target" / "media" / "scenario" / "evidence.txt").read_text() == "台账附件"

    # The installation is no longer empty: a second restore is refused and changes nothing.
    again = _run(target, "manage.py", "restore", str(archive), check=False)
    assert again.returncode == 1 and "不是空的" in again.stderr, again.stderr
    assert _counts(target) == counts

    # Without the key the archive cannot be read.
    nokey = dict(target, ZHENWU_BACKUP_KEY=Fernet.generate_key().decode())
    wrong = _run(nokey, "manage.py", "restore", str(archive), "--force", check=False)
    assert wrong.returncode == 1 and "密钥不对" in wrong.stderr, wrong.stderr
    return manifest


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite variant")
def test_backup_during_writes_restores_into_a_fresh_sqlite_installation(tmp_path, migrated_sqlite):
    migrated_sqlite(tmp_path / "source.sqlite3")  # the source's `migrate` then applies nothing
    manifest = backup_while_writing_then_restore(
        tmp_path, f"sqlite:///{tmp_path}/source.sqlite3", f"sqlite:///{tmp_path}/target.sqlite3"
    )
    assert manifest["database"] == "sqlite"


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: run with DATABASE_URL=postgres://...")
def test_backup_during_writes_restores_into_a_fresh_postgresql_database(tmp_path):
    import psycopg

    parsed = urlparse(os.environ["DATABASE_URL"])
    admin = urlunparse(parsed._replace(path="/postgres"))
    names = [f"zhenwu_opsbk_{os.getpid()}_{role}" for role in ("src", "dst")]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    try:
        manifest = backup_while_writing_then_restore(
            tmp_path, *(urlunparse(parsed._replace(path=f"/{name}")) for name in names)
        )
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert manifest["database"] == "postgresql"
