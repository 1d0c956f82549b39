"""Send each branch's secretaries and instructors the list of members still missing required
items (学习提醒), e.g. weekly by cron during a campaign."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhenwu.core.periodic import periodic
from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.study import services
from zhenwu.study.models import Campaign


@periodic
class Command(BaseCommand):
    help = "向支部书记和指导员发送主题教育缺学名单（站内学习提醒）。"

    def add_arguments(self, parser):
        parser.add_argument("--campaign", type=int, help="只处理此编号的主题教育（默认：所有进行中的主题教育）")

    def handle(self, *args, campaign=None, **options):
        if campaign is not None:
            campaigns = list(Campaign.objects.filter(pk=campaign))
            if not campaigns:
                raise CommandError(f"没有编号为 {campaign} 的主题教育")
        else:
            today = timezone.localdate()
            campaigns = list(Campaign.objects.filter(starts_on__lte=today, ends_on__gte=today))
        with acting_as(Actor(user_id=None, label="send_missing_lists")):
            for c in campaigns:
                count = services.send_missing_lists(campaign=c)
                self.stdout.write(f"{c.name}：发送缺学名单 {count} 条")
        if not campaigns:
            self.stdout.write("没有进行中的主题教育")
