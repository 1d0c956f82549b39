"""Periodic: raise 督办 on overdue concerns and notify their handlers and the town's leaders.

Run from cron or a loop (e.g. every 15 minutes); running it again changes nothing until another
deadline passes.
"""

from django.core.management.base import BaseCommand

from zhenwu.concerns.services import escalate_overdue_concerns
from zhenwu.core.periodic import periodic


@periodic
class Command(BaseCommand):
    help = "超期诉求自动督办并通知承办人和镇领导（可重复运行）"

    def handle(self, *args, **options):
        report = escalate_overdue_concerns()
        self.stdout.write(f"督办{report.supervisions}件，发出通知{report.notifications}条")
        for reference in report.references:
            self.stdout.write(f"  {reference}")
