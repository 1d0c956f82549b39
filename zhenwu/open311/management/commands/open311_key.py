"""Print a new Open311 API key (for scripts and the curl examples in docs/api.md)."""

from django.core.management.base import BaseCommand, CommandError

from zhenwu.concerns.services import ConcernError
from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.open311.keys import create_api_key


class Command(BaseCommand):
    help = "创建一个 Open311 接口密钥并打印（只显示这一次）：python manage.py open311_key 名称"

    def add_arguments(self, parser):
        parser.add_argument("name", help="密钥名称，如“市12345热线”")
        parser.add_argument("--rate", type=int, default=60, help="每分钟请求上限（默认60）")
        parser.add_argument("--queued", action="store_true", help="排队受理：提交时返回token，由后台任务登记")

    def handle(self, *args, name, rate, queued, **options):
        try:
            with acting_as(Actor(user_id=None, label="open311_key")):
                _, plain = create_api_key(name=name, rate_limit_per_minute=rate, queued=queued)
        except ConcernError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(plain)
