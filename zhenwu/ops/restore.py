"""Restore an archive written by zhenwu.ops.backup into an empty installation, then verify it:
the row count of every table against the manifest, and the audit chain (it must verify and end
at the manifest's head). A non-empty installation is refused unless forced."""

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from .backup import (
    MIGRATION_SEEDED_TABLES,
    BackupError,
    _media_root,
    _pg_env,
    _pg_params,
    _pg_tool,
    _sha256,
    backup_key,
    decrypt_file,
    is_encrypted,
    model_tables,
)

# Rows a fresh installation collects before anyone uses it (a timer already ran, a login page was
# opened): no data is lost when a restore replaces them.
OPERATIONAL_TABLES = {"ops_commandrun", "django_session", "axes_accessattempt", "axes_accesslog",
                      "axes_accessfailurelog"}


class RestoreRefused(BackupError):
    """The installation is not empty (or the archive comes from newer code)."""


@dataclass
class RestoreReport:
    manifest: dict
    lines: list = field(default_factory=list)
    mismatches: list = field(default_factory=list)
    chain_ok: bool = False
    chain_checked: int = 0
    pending_migrations: int = 0

    @property
    def ok(self):
        return self.chain_ok and not self.mismatches


def read_archive(path, workdir):
    """Decrypt (if needed) and unpack the archive into workdir; return the manifest."""
    path = Path(path)
    if not path.exists():
        raise BackupError(f"备份文件不存在：{path}")
    if is_encrypted(path):
        plain = Path(workdir) / "archive.tar.gz"
        decrypt_file(path, plain, backup_key())
        path = plain
    try:
        with tarfile.open(path, "r:*") as tar:
            tar.extractall(Path(workdir) / "archive", filter="data")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"备份文件无法读取（{exc}）") from None
    root = Path(workdir) / "archive"
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError):
        raise BackupError("备份中没有可读的 manifest.json") from None
    database = root / manifest["database_file"]
    if _sha256(database) != manifest["database_sha256"]:
        raise BackupError("备份中的数据库文件与清单的校验值不符（文件已损坏）")
    return manifest, root


def _table_names(alias):
    """The installation's own tables (not SQLite's internal ones, such as the planner statistics
    in sqlite_stat1 that `migrate` writes; see zhenwu/ops/sqlite_stats.py)."""
    connection = connections[alias]
    with connection.cursor() as cursor:
        return {name for name in connection.introspection.table_names(cursor) if not name.startswith("sqlite_")}


def _count(alias, table):
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
        return cursor.fetchone()[0]


def installation_contents(alias="default"):
    """Tables holding rows beyond what migrations create, and files under the media root."""
    name = str(connections[alias].settings_dict["NAME"])
    if connections[alias].vendor == "sqlite" and not name.startswith("file:") and ":memory:" not in name \
            and not Path(name).exists():
        tables = set()  # no database file yet: empty (and not created by looking)
    else:
        tables = _table_names(alias)
    filled = []
    for table in sorted(tables - MIGRATION_SEEDED_TABLES - OPERATIONAL_TABLES):
        n = _count(alias, table)
        if n:
            filled.append(f"{table}（{n}行）")
    media_root = _media_root()
    files = 0
    if media_root is not None and media_root.exists():
        files = sum(1 for p in media_root.rglob("*") if p.is_file())
    return filled, files


def _check_migrations_known(manifest):
    known = {f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations}
    unknown = [m for m in manifest.get("migrations", []) if m not in known and not m.startswith(("contenttypes.",))]
    if unknown:
        raise RestoreRefused(
            f"备份来自较新的程序版本（{manifest.get('version')}），本程序不认识其迁移 {', '.join(unknown[:5])}："
            "请先升级程序再恢复"
        )


def _restore_sqlite(alias, database):
    connection = connections[alias]
    connection.close()
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(str(database))
    dest = sqlite3.connect(str(target), timeout=30)
    try:
        source.backup(dest)
    finally:
        source.close()
        dest.close()


def _restore_postgresql(alias, database):
    import psycopg

    connections[alias].close()
    params = _pg_params(alias)
    with psycopg.connect(**params, autocommit=True) as conn:
        server_major = conn.info.server_version // 10000
        pg_restore = _pg_tool("pg_restore", server_major)
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    proc = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         "--dbname", params["dbname"], str(database)],
        env=_pg_env(params), capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise BackupError(f"pg_restore 失败：{proc.stderr.strip()[:500]}")


def _restore_media(root, *, force):
    source = root / "media"
    media_root = _media_root()
    if not source.exists():
        return 0
    if media_root is None:
        raise BackupError("本安装的媒体文件在对象存储中，无法从此备份恢复媒体文件")
    copied = 0
    for path in sorted(source.rglob("*")):
        if not path.is_file():
            continue
        target = media_root / path.relative_to(source)
        if target.exists() and not force:
            raise RestoreRefused(f"媒体文件已存在：{target}")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied += 1
    return copied


def restore_backup(path, *, force=False, alias="default"):
    """Restore the archive at `path`; return a RestoreReport (report.ok tells the verdict)."""
    from zhenwu.audit.models import AuditEntry
    from zhenwu.audit.services import verify_chain

    with tempfile.TemporaryDirectory(prefix="zhenwu-restore-") as tmp:
        manifest, root = read_archive(path, tmp)
        vendor = connections[alias].vendor
        if manifest["database"] != vendor:
            raise BackupError(f"备份来自 {manifest['database']} 数据库，本安装使用 {vendor}，不能直接恢复")
        _check_migrations_known(manifest)
        filled, files = installation_contents(alias)
        if (filled or files) and not force:
            listed = "、".join(filled[:6]) + ("等" if len(filled) > 6 else "")
            raise RestoreRefused(
                "目标安装不是空的，已拒绝恢复（以免覆盖现有数据）："
                + (f"数据表 {listed}" if filled else "")
                + (f"{'；' if filled else ''}媒体文件 {files} 个" if files else "")
                + "。确认要覆盖时加 --force"
            )
        report = RestoreReport(manifest=manifest)
        report.lines.append(
            f"备份时间 {manifest['created_at']}，程序版本 {manifest['version']}，数据库 {manifest['database']}"
        )
        if vendor == "sqlite":
            _restore_sqlite(alias, root / manifest["database_file"])
        else:
            _restore_postgresql(alias, root / manifest["database_file"])
        copied = _restore_media(root, force=force)
        report.lines.append(f"媒体文件已恢复 {copied} 个")

    tables = model_tables()
    existing = _table_names(alias)
    for label, expected in manifest["counts"].items():
        table = tables.get(label)
        actual = _count(alias, table) if table in existing else None
        if actual != expected:
            report.mismatches.append(f"{label}：备份清单 {expected} 行，恢复后 {actual if actual is not None else '无此表'}")
    total = sum(manifest["counts"].values())
    report.lines.append(
        f"行数核对：{len(manifest['counts'])} 张表共 {total} 行，"
        + ("全部一致" if not report.mismatches else f"{len(report.mismatches)} 张表不一致")
    )
    report.lines.extend(f"  不一致 {m}" for m in report.mismatches)

    chain = verify_chain()
    head = AuditEntry.objects.using(alias).order_by("-id").values_list("id", "hash").first()
    expected_head = manifest["audit_head"]
    head_ok = (head or (None, None)) == (expected_head["id"], expected_head["hash"])
    report.chain_ok = chain.ok and head_ok
    report.chain_checked = chain.checked
    if not chain.ok:
        report.lines.append(chain.message)
    elif not head_ok:
        report.lines.append(f"审计链末条与备份清单不符：清单 {expected_head['id']}，恢复后 {head[0] if head else '无'}")
    else:
        report.lines.append(f"{chain.message}，末条编号 {expected_head['id']} 与备份清单一致")

    executor = MigrationExecutor(connections[alias])
    report.pending_migrations = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    if report.pending_migrations:
        report.lines.append(f"本程序比备份新：还有 {report.pending_migrations} 个迁移未执行，请运行 python manage.py migrate")
    report.lines.append("恢复完成，核对通过" if report.ok else "恢复完成，但核对未通过：请勿投入使用，先排查上面列出的问题")
    return report
