"""Restore a backup into an empty installation and verify counts and the audit chain.

    python manage.py restore /path/zhenwu-backup-20261129T020000Z.tar.gz[.enc] [--force]

Exit code 1 when the restore was refused or its verification failed."""

from django.core.management.base import BaseCommand, CommandError

from zhenwu.ops.backup import BackupError
from zhenwu.ops.restore import restore_backup


class Command(BaseCommand):
    help = "把备份恢复到空的安装中，并核对各表行数和审计链。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件（.tar.gz 或加密的 .tar.gz.enc）")
        parser.add_argument("--force", action="store_true", help="目标安装不是空的也覆盖（慎用）")

    def handle(self, *args, file, force=False, **options):
        try:
            report = restore_backup(file, force=force)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("恢复后核对未通过", returncode=1)
