"""Fixtures for the concern tests: categories routed to the cast's departments, a second
department with its own handler, a helper that submits a concern, and an SMS outbox."""

import datetime
import json
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from zhenwu.accounts.models import Role, User
from zhenwu.accounts.tokens import create_api_token
from zhenwu.concerns.models import Category, Channel
from zhenwu.concerns.services import submit_concern
from zhenwu.lib.sms import MemoryBackend
from zhenwu.org.models import Department

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    """An aware Asia/Shanghai datetime: local(2026, 9, 30, 10, 0)."""
    return datetime.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The cast hashes nine passwords; PBKDF2 would spend seconds on every test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(cast):
    """The cast plus concern configuration: 城建办 handles roads (may become projects), 环保办
    handles sanitation; 'lamp' has no default department."""
    env = Department.objects.create(name="环保办", town=cast.town)
    env_handler = User(username="handler_env", role=Role.HANDLER, full_name="环保办干事", department=env)
    env_handler.set_unusable_password()
    env_handler.save()
    road = Category.objects.create(
        code="road",
        name="道路交通",
        default_department=cast.urban,
        response_limit_days=1,
        resolution_limit_days=5,
        may_become_project=True,
        keywords="道路 修路 断头路",
    )
    sanitation = Category.objects.create(
        code="sanitation",
        name="环境卫生",
        default_department=env,
        response_limit_days=2,
        resolution_limit_days=10,
    )
    lamp = Category.objects.create(
        code="lamp", name="路灯照明", response_limit_days=1, resolution_limit_days=3
    )
    return SimpleNamespace(
        cast=cast,
        users=cast.users,
        env=env,
        env_handler=env_handler,
        road=road,
        sanitation=sanitation,
        lamp=lamp,
    )


@pytest.fixture
def submit(world):
    """Submit a concern with sensible defaults (a resident's web form in 九龙村第一网格)."""

    def _submit(**overrides):
        values = dict(
            text="九龙村学校门口污水横流，学生上学要绕道走。",
            category=world.road,
            area=world.cast.jiulong_grid,
            channel=Channel.WEB,
            reporter_name="李四",
            reporter_phone="13800138000",
        )
        values.update(overrides)
        return submit_concern(**values)

    return _submit


@pytest.fixture
def outbox(settings):
    settings.ZHENWU_SMS_BACKEND = "zhenwu.lib.sms.MemoryBackend"
    MemoryBackend.outbox.clear()
    yield MemoryBackend.outbox
    MemoryBackend.outbox.clear()


@pytest.fixture
def as_user(client):
    """A client function that calls the API with `user`'s personal token."""
    tokens = {}

    def _call(user, method, path, data=None, **extra):
        if user.pk not in tokens:
            tokens[user.pk] = create_api_token(user=user, name="测试脚本")[1]
        kwargs = {"HTTP_AUTHORIZATION": f"Token {tokens[user.pk]}", **extra}
        if method == "get":
            return client.get(f"/api/v1{path}", data or {}, **kwargs)
        return getattr(client, method)(
            f"/api/v1{path}", json.dumps(data or {}), content_type="application/json", **kwargs
        )

    return _call
