"""Open311 API keys: issuing, checking, revoking, rate limits.

A key is a 256-bit random value shown once when it is issued; only its SHA-256 is stored, and it
is checked and its use noted as personal tokens are (zhenwu.accounts.tokens). Rate limits are
fixed one-minute windows counted in Django's cache (per process with the default local-memory
cache; point CACHES at a shared cache when several app servers run).
"""

import time

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from zhenwu.accounts.tokens import clean_name, new_secret, touch_last_used
from zhenwu.audit.services import record_create, record_update, snapshot
from zhenwu.core.errors import DomainError
from zhenwu.core.roles import Role
from zhenwu.lib.crypto import hash_token

from .models import ApiKey

KEY_ADMIN_ROLES = (Role.TOWN_ADMIN,)
MAX_RATE_LIMIT = 100_000


class ApiKeyError(DomainError):
    """A refused request about an Open311 key, with a message for the user (Chinese)."""


def can_manage_keys(user):
    return getattr(user, "is_authenticated", False) and user.role in KEY_ADMIN_ROLES


@transaction.atomic
def create_api_key(*, name, by=None, rate_limit_per_minute=60, queued=False):
    """Issue an Open311 key; returns (ApiKey, plain key). `by`=None for the command line."""
    if by is not None and not can_manage_keys(by):
        raise ApiKeyError("只有镇管理员可以创建接口密钥")
    name = clean_name(name, "密钥名称", error=ApiKeyError)
    try:
        rate = int(rate_limit_per_minute)
    except (TypeError, ValueError):
        raise ApiKeyError("每分钟请求上限须为整数", field="rate_limit_per_minute") from None
    if not (1 <= rate <= MAX_RATE_LIMIT):
        raise ApiKeyError(f"每分钟请求上限须在1到{MAX_RATE_LIMIT}之间", field="rate_limit_per_minute")
    plain = new_secret()
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
        raise ApiKeyError("只有镇管理员可以吊销接口密钥")
    key = ApiKey.objects.select_for_update().get(pk=key.pk)
    if key.revoked_at is not None:
        raise ApiKeyError("该密钥已吊销")
    before = snapshot(key)
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    record_update(key, before, note=f"吊销接口密钥“{key.name}”")
    return key


def authenticate_api_key(plain):
    """The active ApiKey for `plain`, or None (unknown, malformed or revoked)."""
    if not plain or len(plain) > 200:
        return None
    key = ApiKey.objects.filter(key_hash=hash_token(plain), revoked_at__isnull=True).first()
    if key is not None:
        touch_last_used(ApiKey, key)
    return key


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
