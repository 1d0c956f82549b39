"""Give make-up tasks (补学任务) to members who need a home lesson: run daily (cron) or after
sessions end. Prints how many were created per campaign."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhenwu.core.periodic import periodic
from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.study import services
from zhenwu.study.models import Campaign


@periodic
class Command(BaseCommand):
    help = "为年老体弱、患病、流动党员和缺席规定动作的党员生成补学（送学上门）任务。"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="只处理此编号的主题教育（默认：所有进行中的主题教育）")

    def handle(self, *args, campaign=None, **options):
        if campaign is not None:
            campaigns = list(Campaign.objects.filter(pk=campaign))
            if not campaigns:
                raise CommandError(f"没有编号为 {campaign} 的主题教育")
        else:
            today = timezone.localdate()
            # Running campaigns, and those ended in the last 60 days (make-up continues after).
            campaigns = list(Campaign.objects.filter(starts_on__lte=today,
                                                     ends_on__gte=today - timezone.timedelta(days=60)))
        with acting_as(Actor(user_id=None, label="generate_makeup_tasks")):
            for c in campaigns:
                count = services.generate_makeup_tasks(campaign=c)
                self.stdout.write(f"{c.name}：新生成补学任务 {count} 项")
        if not campaigns:
            self.stdout.write("没有进行中的主题教育")
