"""A fixed small corpus for the router: three categories routed to three departments of the cast's
town, and 72 handled concerns (24 per category, written from fixed phrases) received over the
last 72 days, oldest first."""

import datetime
import itertools
import uuid
from types import SimpleNamespace

import pytest
from django.utils import timezone

from zhenwu.accounts.models import Role, User
from zhenwu.concerns.models import Category, Channel, Concern, Status
from zhenwu.concerns.services import complete_pending_intakes
from zhenwu.lib.crypto import hash_token
from zhenwu.org.models import Department
from zhenwu.routing.services import suggest_for_new_concerns

PHRASES = {
    "road": (
        ["村道", "公路", "路面", "桥梁", "道路"],
        ["坑洼不平", "塌陷了一大块", "被货车压坏", "下雨天全是积水泥泞", "断头路没修通"],
        ["车辆通行困难", "摩托车摔倒好几次", "学生上学绕远路", "晚上走路很危险"],
    ),
    "sanitation": (
        ["垃圾", "生活垃圾", "垃圾桶", "污水沟", "臭水塘"],
        ["堆积好几天没人清运", "散发恶臭", "苍蝇蚊子成群", "被倒进河里", "满了溢出来"],
        ["影响环境卫生", "气味熏人", "村民意见很大", "夏天特别难闻"],
    ),
    "water": (
        ["自来水", "水管", "供水管道", "水龙头", "饮用水"],
        ["停水三天了", "水压太低", "爆管漏水", "水质发黄浑浊", "水费收得不对"],
        ["一家人没水喝", "做饭洗衣都成问题", "老人只能挑井水", "水表转得飞快"],
    ),
}


def corpus_texts(code, n, offset=0):
    subjects, problems, effects = PHRASES[code]
    combos = list(itertools.product(subjects, problems, effects))
    out = []
    for i in range(n):
        s, p, e = combos[(i * 7 + offset) % len(combos)]
        out.append((f"{s}{p}", f"我们组的{s}{p}，{e}，请尽快处理。"))
    return out


def make_concern(cast, *, category, title, text, status=Status.CLOSED, department=None, received_at=None,
                 village=None, area=None, phone_hash=""):
    received_at = received_at or timezone.now()
    area = area or cast.jiulong_grid
    village = village or (cast.jiulong if area in (cast.jiulong_grid, cast.jiulong_grid2) else cast.jizhen)
    return Concern.objects.create(
        reference=f"T-{uuid.uuid4().hex[:12]}",
        channel=Channel.HOTLINE,
        title=title[:60],
        text=text,
        category=category,
        area=area,
        village=village,
        town=cast.town,
        follow_token_hash=hash_token(uuid.uuid4().hex),
        status=status,
        department=department,
        received_at=received_at,
        received_month=received_at.date().replace(day=1),
        response_due=received_at + datetime.timedelta(days=2),
        resolution_due=received_at + datetime.timedelta(days=10),
        reporter_phone_hash=phone_hash,
    )


@pytest.fixture
def routing_world(cast):
    env = Department.objects.create(name="环保办", town=cast.town)
    water_dept = Department.objects.create(name="水务站", town=cast.town)
    road = Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1,
        resolution_limit_days=5, may_become_project=True, keywords="道路 村道 公路 桥梁 路面",
    )
    sanitation = Category.objects.create(
        code="sanitation", name="环境卫生", default_department=env, response_limit_days=2,
        resolution_limit_days=10, keywords="垃圾 污水 恶臭 清运",
    )
    water = Category.objects.create(
        code="water", name="供水", default_department=water_dept, response_limit_days=1,
        resolution_limit_days=5, keywords="自来水 停水 水管 水质",
    )
    handler_env = User(username="handler_env", role=Role.HANDLER, department=env, full_name="环保办干事")
    handler_env.set_unusable_password()
    handler_env.save()
    return SimpleNamespace(
        cast=cast, users=cast.users, road=road, sanitation=sanitation, water=water,
        urban=cast.urban, env=env, water_dept=water_dept, handler_env=handler_env,
        departments={"road": cast.urban, "sanitation": env, "water": water_dept},
        categories={"road": road, "sanitation": sanitation, "water": water},
    )


@pytest.fixture
def history(routing_world):
    """72 handled concerns, the categories interleaved, one a day (oldest first)."""
    w = routing_world
    start = timezone.now() - datetime.timedelta(days=80)
    texts = {code: corpus_texts(code, 24) for code in PHRASES}
    rows = []
    for i in range(24):
        for j, code in enumerate(PHRASES):
            title, text = texts[code][i]
            rows.append(make_concern(
                w.cast, category=w.categories[code], title=title, text=text,
                department=w.departments[code], received_at=start + datetime.timedelta(hours=24 * i + j),
            ))
    return rows


def worker_pass():
    """The worker's follow-ups of new concerns, in the order it registers them: the intake
    (concerns), then the router's suggestions and auto-dispatch. Returns the router's count."""
    complete_pending_intakes()
    return suggest_for_new_concerns()
