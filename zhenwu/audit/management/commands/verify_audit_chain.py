from django.core.management.base import BaseCommand, CommandError

from zhenwu.audit.services import verify_chain
from zhenwu.core.periodic import periodic


@periodic
class Command(BaseCommand):
    help = "校验审计日志哈希链；链断开时输出第一条异常记录并以退出码1结束。"

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(report.message, returncode=1)
        self.stdout.write(f"已校验 {report.checked} 条记录，审计链完整 OK")
