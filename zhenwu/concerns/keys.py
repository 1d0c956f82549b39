"""Open311 API keys and personal staff API tokens: issuing, checking, revoking, rate limits.

A key or token is a 256-bit random value shown once when it is issued; only its SHA-256 is
stored. Checking a key costs one indexed read; its `last_used_at` is written at most once a
minute so a busy client does not add a write to every request. Rate limits are fixed one-minute
windows counted in Django's cache (per process with the default local-memory cache; point CACHES
at a shared cache when several app servers run).
"""

import secrets
import time

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import record_create, record_update, snapshot
from zhenwu.core.roles import Role

from .models import ApiKey, ApiToken, hash_token
from .services import ConcernError, ConcernPermissionDenied

KEY_ADMIN_ROLES = (Role.TOWN_ADMIN,)
MAX_RATE_LIMIT = 100_000
LAST_USED_RESOLUTION = 60  # seconds
TOKEN_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER, Role.HANDLER, Role.SECRETARY, Role.GRID_WORKER)


def _new_secret():
    return secrets.token_urlsafe(32)


def _clean_name(name, label):
    name = (name or "").strip()
    if not name:
        raise ConcernError(f"请填写{label}", field="name")
    if len(name) > 80:
        raise ConcernError(f"{label}不能超过80字", field="name")
    return name


def can_manage_keys(user):
    return getattr(user, "is_authenticated", False) and user.role in KEY_ADMIN_ROLES


@transaction.atomic
def create_api_key(*, name, by=None, rate_limit_per_minute=60, queued=False):
    """Issue an Open311 key; returns (ApiKey, plain key). `by`=None for the command line."""
    if by is not None and not can_manage_keys(by):
        raise ConcernPermissionDenied("只有镇管理员可以创建接口密钥")
    name = _clean_name(name, "密钥名称")
    try:
        rate = int(rate_limit_per_minute)
    except (TypeError, ValueError):
        raise ConcernError("每分钟请求上限须为整数", field="rate_limit_per_minute") from None
    if not (1 <= rate <= MAX_RATE_LIMIT):
        raise ConcernError(f"每分钟请求上限须在1到{MAX_RATE_LIMIT}之间", field="rate_limit_per_minute")
    plain = _new_secret()
    key = ApiKey.objects.create(
        name=name,
        prefix=plain[:8],
        key_hash=hash_token(plain),
        created_by=by,
        rate_limit_per_minute=rate,
        queued=bool(queued),
    )
    record_create(key, note=f"创建接口密钥“{name}”")
    return key, plain


@transaction.atomic
def revoke_api_key(key, *, by):
    if not can_manage_keys(by):
        raise ConcernPermissionDenied("只有镇管理员可以吊销接口密钥")
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise ConcernError("该密钥已吊销")
    before = snapshot(key)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    record_update(key, before, note=f"吊销接口密钥“{key.name}”")
    return key


def _touch(model, obj):
    now = timezone.now()
    if obj.last_used_at is None or (now - obj.last_used_at).total_seconds() >= LAST_USED_RESOLUTION:
        model.objects.filter(pk=obj.pk).update(last_used_at=now)
        obj.last_used_at = now


def authenticate_api_key(plain):
    """The active ApiKey for `plain`, or None (unknown, malformed or revoked)."""
    if not plain or len(plain) > 200:
        return None
    key = ApiKey.objects.filter(key_hash=hash_token(plain), revoked_at__isnull=True).first()
    if key is not None:
        _touch(ApiKey, key)
    return key


@transaction.atomic
def create_api_token(*, user, name):
    """A personal token for a staff account's own scripts; returns (ApiToken, plain token)."""
    if not getattr(user, "is_authenticated", False) or user.role not in TOKEN_ROLES or not user.is_active:
        raise ConcernPermissionDenied("当前账号不能创建接口令牌")
    name = _clean_name(name, "令牌用途")
    plain = _new_secret()
    token = ApiToken.objects.create(user=user, name=name, prefix=plain[:8], key_hash=hash_token(plain))
    record_create(token, note=f"创建个人接口令牌“{name}”")
    return token, plain


@transaction.atomic
def revoke_api_token(token, *, by):
    """The owner revokes their token; a town admin may revoke anyone's."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != by.pk and not can_manage_keys(by):
        raise ConcernPermissionDenied("只能吊销自己的接口令牌")
    if token.revoked_at is not None:
        raise ConcernError("该令牌已吊销")
    before = snapshot(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_update(token, before, note=f"吊销个人接口令牌“{token.name}”")
    return token


def authenticate_api_token(plain):
    """(user, ApiToken) for an active token of an active account, else None."""
    if not plain or len(plain) > 200:
        return None
    token = (
        ApiToken.objects.filter(key_hash=hash_token(plain), revoked_at__isnull=True)
        .select_related("user", "user__area", "user__department")
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    _touch(ApiToken, token)
    return token.user, token


def allow_request(bucket, limit, *, now=None):
    """Count one request in `bucket`'s current one-minute window; False once `limit` is passed.
    Returns (allowed, seconds until the window ends)."""
    now = time.time() if now is None else now
    window = int(now // 60)
    cache_key = f"zhenwu:rate:{bucket}:{window}"
    if cache.add(cache_key, 1, timeout=70):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=70)
            count = 1
    return count <= limit, 60 - int(now % 60)
