"""Backups that restore: a consistent snapshot of the database taken while the app serves, the
uploaded media, and a manifest, in one tar archive (optionally encrypted); restore into an empty
installation with verification of the row counts and the audit chain; retention by rule (GFS).

- SQLite: the online backup API (sqlite3.Connection.backup) copies the database in one read
  transaction; in WAL mode writers carry on meanwhile. Counts and the audit-chain head are read
  from the copy, so the manifest describes exactly what the archive holds.
- PostgreSQL: a REPEATABLE READ transaction exports its snapshot; the counts are taken in that
  transaction and `pg_dump --snapshot` dumps the very same snapshot (custom format).
- Media (FileSystemStorage) are copied after the database: every file a row of the snapshot
  names already exists then (files are written before their rows commit). Object storage (S3)
  is not copied: back the bucket up with its own versioning (docs/operations.md).

Encryption: AES-256-GCM over the whole archive, streamed (no size limit), key from the
environment variable ZHENWU_BACKUP_KEY (32 bytes, urlsafe base64 - the format of a Fernet key).
"""

import base64
import datetime
import functools
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import connections

FORMAT = 1
MAGIC = b"ZWBK1\n"
NONCE_BYTES = 12
TAG_BYTES = 16
CHUNK = 1024 * 1024
NAME_RE = re.compile(r"^zhenwu-backup-(\d{8}T\d{6}Z)\.tar\.gz(\.enc)?$")
# Rows that migrations themselves create: an installation holding only these is empty.
MIGRATION_SEEDED_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message (Chinese) says why."""


@functools.cache
def app_version():
    try:
        return metadata.version("zhenwu")
    except metadata.PackageNotFoundError:
        return "unknown"


def default_backup_dir():
    return Path(os.environ.get("ZHENWU_BACKUP_DIR") or getattr(settings, "ZHENWU_BACKUP_DIR", "")
                or Path(settings.DATA_DIR) / "backups")


def model_tables():
    """{model label: table} of every concrete table Django manages (m2m tables included)."""
    tables = {}
    seen = set()
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        tables[meta.label] = meta.db_table
    return dict(sorted(tables.items()))


def _audit_table_names():
    from zhenwu.audit.models import AuditAnchor, AuditEntry

    return AuditEntry._meta.db_table, AuditAnchor._meta.db_table


def _inspect(cursor, quote, existing):
    """Counts per model, the audit-chain head and the applied migrations, through a DB-API
    cursor on the snapshot (so that they describe exactly what was copied)."""
    counts = {}
    for label, table in model_tables().items():
        if table not in existing:
            continue
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")
        counts[label] = cursor.fetchone()[0]
    entries, anchors = _audit_table_names()
    head = {"id": None, "hash": None, "anchor": None}
    if entries in existing:
        cursor.execute(f"SELECT id, hash FROM {quote(entries)} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        if row:
            head["id"], head["hash"] = row
    if anchors in existing:
        cursor.execute(f"SELECT prev_hash FROM {quote(anchors)} ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        head["anchor"] = row[0] if row else None
    migrations = []
    if "django_migrations" in existing:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        migrations = [f"{app}.{name}" for app, name in cursor.fetchall()]
    return counts, head, migrations


def _sqlite_quote(name):
    return '"' + name.replace('"', '""') + '"'


# --- database snapshots ----------------------------------------------------------------------


def _sqlite_snapshot(alias, target):
    source_path = connections[alias].settings_dict["NAME"]
    if not source_path or str(source_path).startswith(":memory:") or "mode=memory" in str(source_path):
        raise BackupError("内存数据库无法备份")
    source = sqlite3.connect(str(source_path), timeout=30)
    copy = sqlite3.connect(str(target))
    try:
        source.backup(copy)  # all pages in one step: one read transaction, writers go on (WAL)
    finally:
        source.close()
    try:
        # The copy leaves WAL mode so that the archive holds a single self-contained file.
        copy.execute("PRAGMA journal_mode=DELETE")
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"数据库副本校验失败：{check}")
        existing = {r[0] for r in copy.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return _inspect(copy.cursor(), _sqlite_quote, existing)
    finally:
        copy.close()


def _pg_params(alias):
    conf = connections[alias].settings_dict
    params = {"dbname": conf["NAME"], "user": conf.get("USER") or None, "password": conf.get("PASSWORD") or None,
              "host": conf.get("HOST") or None, "port": str(conf["PORT"]) if conf.get("PORT") else None}
    params = {k: v for k, v in params.items() if v}
    sslmode = (conf.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        params["sslmode"] = sslmode
    return params


def _pg_env(params):
    env = dict(os.environ)
    names = {"dbname": "PGDATABASE", "user": "PGUSER", "password": "PGPASSWORD", "host": "PGHOST",
             "port": "PGPORT", "sslmode": "PGSSLMODE"}
    for key, value in params.items():
        env[names[key]] = value
    return env


def _pg_tool(tool, server_major):
    """The pg_dump / pg_restore to use: ZHENWU_PG_BIN, then the server's own major version under
    /usr/lib/postgresql, then PATH; refused if older than the server (pg_dump cannot dump a newer
    server)."""
    candidates = []
    if os.environ.get("ZHENWU_PG_BIN"):
        candidates.append(Path(os.environ["ZHENWU_PG_BIN"]) / tool)
    candidates.append(Path(f"/usr/lib/postgresql/{server_major}/bin/{tool}"))
    found = shutil.which(tool)
    if found:
        candidates.append(Path(found))
    versions = []
    for path in candidates:
        if not path.exists():
            continue
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False).stdout
        match = re.search(r"(\d+)(?:\.\d+)?", out)
        major = int(match.group(1)) if match else 0
        versions.append(f"{path}（{major}）")
        if major >= server_major:
            return str(path)
    raise BackupError(
        f"找不到版本不低于数据库服务器（PostgreSQL {server_major}）的 {tool}："
        f"{'、'.join(versions) or '未安装'}。请安装 postgresql-client-{server_major}，或用 ZHENWU_PG_BIN 指定其目录"
    )


def _pg_snapshot(alias, target):
    import psycopg
    from psycopg import sql

    params = _pg_params(alias)
    with psycopg.connect(**params) as conn:
        server_major = conn.info.server_version // 10000
        pg_dump = _pg_tool("pg_dump", server_major)
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        existing = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
        cursor = conn.cursor()
        result = _inspect(cursor, lambda name: sql.Identifier(name).as_string(conn), existing)
        proc = subprocess.run(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}",
             "--file", str(target)],
            env=_pg_env(params), capture_output=True, text=True, check=False,
        )
        conn.rollback()
    if proc.returncode != 0:
        raise BackupError(f"pg_dump 失败：{proc.stderr.strip()[:500]}")
    return result


# --- encryption --------------------------------------------------------------------------------


def backup_key(required=True):
    value = os.environ.get("ZHENWU_BACKUP_KEY", "").strip()
    if not value:
        if required:
            raise BackupError("未设置环境变量 ZHENWU_BACKUP_KEY（加密备份的密钥）")
        return None
    try:
        key = base64.urlsafe_b64decode(value)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupError("ZHENWU_BACKUP_KEY 格式不对：应为32字节的 urlsafe base64 密钥（与 Fernet 密钥格式相同）")
    return key


def encrypt_file(source, target, key):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = os.urandom(NONCE_BYTES)
    encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(MAGIC)
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(MAGIC + nonce)
        while chunk := src.read(CHUNK):
            dst.write(encryptor.update(chunk))
        dst.write(encryptor.finalize())
        dst.write(encryptor.tag)


def is_encrypted(path):
    with open(path, "rb") as f:
        return f.read(len(MAGIC)) == MAGIC


def decrypt_file(source, target, key):
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    size = os.path.getsize(source)
    with open(source, "rb") as src, open(target, "wb") as dst:
        header = src.read(len(MAGIC) + NONCE_BYTES)
        if len(header) < len(MAGIC) + NONCE_BYTES or size < len(header) + TAG_BYTES:
            raise BackupError("加密备份文件不完整")
        src.seek(size - TAG_BYTES)
        tag = src.read(TAG_BYTES)
        src.seek(len(header))
        decryptor = Cipher(algorithms.AES(key), modes.GCM(header[len(MAGIC):], tag)).decryptor()
        decryptor.authenticate_additional_data(MAGIC)
        remaining = size - len(header) - TAG_BYTES
        while remaining > 0:
            chunk = src.read(min(CHUNK, remaining))
            remaining -= len(chunk)
            dst.write(decryptor.update(chunk))
        try:
            decryptor.finalize()
        except InvalidTag:
            raise BackupError("无法解密备份：密钥不对，或文件已损坏或被改动") from None


# --- backup ------------------------------------------------------------------------------------


def _media_root():
    if isinstance(default_storage, FileSystemStorage):
        return Path(default_storage.location)
    return None


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class BackupResult:
    path: Path
    manifest: dict
    deleted: list = field(default_factory=list)


def create_backup(*, output_dir=None, encrypt=False, alias="default", now=None):
    """Write one archive into output_dir and return BackupResult(path, manifest)."""
    key = backup_key() if encrypt else None
    output_dir = Path(output_dir or default_backup_dir())
    output_dir.mkdir(parents=True, exist_ok=True)
    now = now or datetime.datetime.now(datetime.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    vendor = connections[alias].vendor
    with tempfile.TemporaryDirectory(prefix="zhenwu-backup-", dir=output_dir) as tmp:
        tmp = Path(tmp)
        if vendor == "sqlite":
            db_name = "database.sqlite3"
            counts, head, migrations = _sqlite_snapshot(alias, tmp / db_name)
        elif vendor == "postgresql":
            db_name = "database.pgdump"
            counts, head, migrations = _pg_snapshot(alias, tmp / db_name)
        else:
            raise BackupError(f"不支持的数据库：{vendor}")
        media_root = _media_root()
        media_files, media_bytes = 0, 0
        manifest = {
            "format": FORMAT,
            "created_at": now.isoformat(timespec="seconds"),
            "version": app_version(),
            "database": vendor,
            "database_file": db_name,
            "database_sha256": _sha256(tmp / db_name),
            "counts": counts,
            "audit_head": head,
            "migrations": migrations,
            "media": None,
        }
        archive = tmp / f"zhenwu-backup-{stamp}.tar.gz"
        with tarfile.open(archive, "w:gz", compresslevel=6) as tar:
            tar.add(tmp / db_name, arcname=db_name)
            if media_root is not None and media_root.exists():
                skip = {output_dir.resolve()}
                for path in sorted(media_root.rglob("*")):
                    if not path.is_file() or any(p in skip for p in path.resolve().parents):
                        continue
                    try:
                        tar.add(path, arcname=f"media/{path.relative_to(media_root).as_posix()}")
                    except FileNotFoundError:  # deleted meanwhile (purge_job_files): its row is gone too
                        continue
                    media_files += 1
                    media_bytes += path.stat().st_size if path.exists() else 0
                manifest["media"] = {"files": media_files, "bytes": media_bytes}
            else:
                manifest["media"] = {"files": 0, "bytes": 0, "note": "媒体文件在对象存储中，未包含在备份里"
                                     if media_root is None else "媒体目录不存在"}
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(now.timestamp())
            tar.addfile(info, io.BytesIO(data))
        final = output_dir / archive.name
        if key is not None:
            encrypted = tmp / (archive.name + ".enc")
            encrypt_file(archive, encrypted, key)
            archive, final = encrypted, output_dir / encrypted.name
        with open(archive, "rb") as f:
            os.fsync(f.fileno())
        os.replace(archive, final)  # a half-written archive never carries the final name
    return BackupResult(path=final, manifest=manifest)


# --- retention (grandfather-father-son) --------------------------------------------------------


def backup_time(name):
    match = NAME_RE.match(name)
    if not match:
        return None
    return datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.UTC)


def backups_to_keep(times, *, daily=0, weekly=0, monthly=0):
    """The backup times a GFS rule keeps: the newest of each of the last `daily` days, of the last
    `weekly` ISO weeks and of the last `monthly` months (days in UTC+8), and always the newest."""
    ordered = sorted(times, reverse=True)
    keep = set(ordered[:1])
    tz = datetime.timezone(datetime.timedelta(hours=8))
    rules = [
        (daily, lambda t: t.astimezone(tz).date()),
        (weekly, lambda t: t.astimezone(tz).isocalendar()[:2]),
        (monthly, lambda t: (t.astimezone(tz).year, t.astimezone(tz).month)),
    ]
    for count, period in rules:
        seen = set()
        for t in ordered:
            p = period(t)
            if p in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(p)
            keep.add(t)
    return keep


def apply_retention(directory, *, daily=0, weekly=0, monthly=0):
    """Delete the archives of `directory` the rule does not keep; returns the deleted paths."""
    directory = Path(directory)
    found = {}
    for path in directory.iterdir():
        t = backup_time(path.name)
        if t is not None and path.is_file():
            found.setdefault(t, []).append(path)
    keep = backups_to_keep(found, daily=daily, weekly=weekly, monthly=monthly)
    deleted = []
    for t, paths in sorted(found.items()):
        if t not in keep:
            for path in paths:
                path.unlink()
                deleted.append(path)
    return deleted
