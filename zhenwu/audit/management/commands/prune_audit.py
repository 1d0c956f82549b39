from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from zhenwu.audit.services import MIN_RETENTION_DAYS, RetentionTooShort, prune_entries
from zhenwu.core.periodic import periodic


@periodic
class Command(BaseCommand):
    help = f"清理超过保留期的审计日志（至少保留{MIN_RETENTION_DAYS}天），并留下链起点以便继续校验。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=settings.AUDIT_RETENTION_DAYS,
            help=f"保留天数，不少于{MIN_RETENTION_DAYS}（默认 {settings.AUDIT_RETENTION_DAYS}）",
        )

    def handle(self, *args, days, **options):
        try:
            deleted = prune_entries(older_than_days=days)
        except RetentionTooShort as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已清理 {days} 天前的审计日志 {deleted} 条")
