from django.core.management.base import BaseCommand

from zhenwu.core.periodic import periodic
from zhenwu.jobs.services import purge_job_files


@periodic
class Command(BaseCommand):
    help = "Delete uploaded and generated files of jobs finished more than N days ago (default 7)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=7)

    def handle(self, *args, days, **options):
        deleted = purge_job_files(older_than_days=days)
        self.stdout.write(f"deleted {deleted} file(s)")
