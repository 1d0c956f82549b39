"""Periodic: a consistent backup of the database and the uploaded media while the app serves.

    python manage.py backup [--output DIR] [--encrypt] [--keep-daily 7 --keep-weekly 4 --keep-monthly 12]

See docs/operations.md (scheduling, off-site copies, restore drill)."""

from django.core.management.base import BaseCommand, CommandError

from zhenwu.core.periodic import periodic
from zhenwu.ops.backup import BackupError, apply_retention, create_backup, default_backup_dir


@periodic
class Command(BaseCommand):
    help = "备份数据库和上传文件（运行中可备份），可加密，可按规则清理旧备份。"

    def add_arguments(self, parser):
        parser.add_argument("--output", help=f"备份目录（默认 ZHENWU_BACKUP_DIR 或 {default_backup_dir()}）")
        parser.add_argument("--encrypt", action="store_true", help="用环境变量 ZHENWU_BACKUP_KEY 的密钥加密（AES-256-GCM）")
        parser.add_argument("--keep-daily", type=int, default=None, help="保留最近 N 天每天最新的一份")
        parser.add_argument("--keep-weekly", type=int, default=0, help="保留最近 N 周每周最新的一份")
        parser.add_argument("--keep-monthly", type=int, default=0, help="保留最近 N 个月每月最新的一份")

    def handle(self, *args, output=None, encrypt=False, keep_daily=None, keep_weekly=0, keep_monthly=0, **options):
        try:
            result = create_backup(output_dir=output, encrypt=encrypt)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        m = result.manifest
        size = result.path.stat().st_size
        self.stdout.write(
            f"已备份：{result.path}（{size / 1024 / 1024:.1f} MB{'，已加密' if encrypt else ''}）\n"
            f"  数据库 {m['database']}，{len(m['counts'])} 张表共 {sum(m['counts'].values())} 行；"
            f"审计链末条编号 {m['audit_head']['id']}；媒体文件 {m['media']['files']} 个；程序版本 {m['version']}"
        )
        if keep_daily is not None or keep_weekly or keep_monthly:
            deleted = apply_retention(result.path.parent, daily=keep_daily or 0, weekly=keep_weekly,
                                      monthly=keep_monthly)
            self.stdout.write(f"按保留规则删除旧备份 {len(deleted)} 份")
            for path in deleted:
                self.stdout.write(f"  {path.name}")
