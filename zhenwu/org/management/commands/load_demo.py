"""Load the demo town 官桥镇 once and print the demo logins (every run prints them)."""

import unicodedata

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.org.demo import DEMO_PASSWORD, demo_logins, load_demo_town


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, width):
    return text + " " * max(width - _width(text), 0)


def _extend_demo_town():
    """Apps that build on the town (学习教育, ...) add their records through `extend_demo_town()`
    in their own demo module, which returns a summary line; org does not import them."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    lines = []
    for config in apps.get_app_configs():
        if not config.name.startswith("zhenwu.") or config.name == "zhenwu.org":
            continue
        if find_spec(f"{config.name}.demo") is None:
            continue
        extend = getattr(import_module(f"{config.name}.demo"), "extend_demo_town", None)
        if extend is not None:
            with acting_as(Actor(user_id=None, label="load_demo")):
                line = extend()
            if line:
                lines.append(line)
    return lines


class Command(BaseCommand):
    help = "载入演示镇（官桥镇）：区域、党组织、部门、住户居民、党员和各角色演示账号；已载入时只打印账号。"

    def handle(self, *args, **options):
        try:
            with acting_as(Actor(user_id=None, label="load_demo")):
                result = load_demo_town()
        except ValidationError as exc:
            # E.g. a household number or account name already used by other data: nothing was written.
            raise CommandError(f"演示数据未载入（数据库中已有冲突的数据）：{'；'.join(exc.messages)}") from None
        if result.loaded:
            c = result.counts
            self.stdout.write(
                f"已载入演示镇 官桥镇：{c['villages']}个村（社区）、{c['grids']}个网格、示意边界{c['outlines']}条、{c['party_orgs']}个党组织、"
                f"{c['departments']}个部门、{c['households']}户、{c['residents']}名居民、{c['members']}名党员、"
                f"{c['accounts']}个账号，用时 {result.seconds:.1f} 秒"
            )
        else:
            self.stdout.write("演示镇 官桥镇 已存在，未做任何修改。")
        try:
            for line in _extend_demo_town():
                self.stdout.write(line)
        except ValidationError as exc:
            raise CommandError(f"演示数据未完整载入：{'；'.join(exc.messages)}") from None
        rows = demo_logins()
        if not rows:
            self.stdout.write("（未找到演示账号）")
            return
        header = ("角色", "账号", "密码", "范围")
        widths = [max(_width(r[i]) for r in [header, *rows]) + 2 for i in range(3)]
        self.stdout.write("")
        self.stdout.write("演示账号（所有账号密码相同：" + DEMO_PASSWORD + "）")
        for row in [header, *rows]:
            self.stdout.write("".join(_pad(row[i], widths[i]) for i in range(3)) + row[3])
        self.stdout.write("")
        self.stdout.write(
            "注意：镇管理员账号须使用动态口令。首次登录时会显示二维码，请用手机上的身份验证器"
            "（如 FreeOTP、Google Authenticator、腾讯身份验证器）扫码绑定；若演示账号的密码已被修改，以修改后的为准。"
        )
