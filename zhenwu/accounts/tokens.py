"""Personal staff API tokens (ApiToken): issuing, checking, revoking.

A token is a 256-bit random value shown once when it is issued; only its SHA-256 is stored.
Checking a token costs one indexed read; its `last_used_at` is written at most once a minute so a
busy client does not add a write to every request. The same helpers serve the Open311 keys
(zhenwu.open311.keys).
"""

import secrets

from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import record_create, record_update, snapshot
from zhenwu.core.roles import Role
from zhenwu.lib.crypto import hash_token

from .models import ApiToken
from .services import AccountError

LAST_USED_RESOLUTION = 60  # seconds
TOKEN_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER, Role.HANDLER, Role.SECRETARY, Role.GRID_WORKER)
TOKEN_ADMIN_ROLES = (Role.TOWN_ADMIN,)


def new_secret():
    return secrets.token_urlsafe(32)


def clean_name(name, label, *, error=AccountError):
    name = (name or "").strip()
    if not name:
        raise error(f"请填写{label}", field="name")
    if len(name) > 80:
        raise error(f"{label}不能超过80字", field="name")
    return name


def touch_last_used(model, obj):
    """Note the use of a key or token, at most once per LAST_USED_RESOLUTION."""
    now = timezone.now()
    if obj.last_used_at is None or (now - obj.last_used_at).total_seconds() >= LAST_USED_RESOLUTION:
        model.objects.filter(pk=obj.pk).update(last_used_at=now)
        obj.last_used_at = now


@transaction.atomic
def create_api_token(*, user, name):
    """A personal token for a staff account's own scripts; returns (ApiToken, plain token)."""
    if not getattr(user, "is_authenticated", False) or user.role not in TOKEN_ROLES or not user.is_active:
        raise AccountError("当前账号不能创建接口令牌")
    name = clean_name(name, "令牌用途")
    plain = new_secret()
    token = ApiToken.objects.create(user=user, name=name, prefix=plain[:8], key_hash=hash_token(plain))
    record_create(token, note=f"创建个人接口令牌“{name}”")
    return token, plain


@transaction.atomic
def revoke_api_token(token, *, by):
    """The owner revokes their token; a town admin may revoke anyone's."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.user_id != by.pk and by.role not in TOKEN_ADMIN_ROLES:
        raise AccountError("只能吊销自己的接口令牌")
    if token.revoked_at is not None:
        raise AccountError("该令牌已吊销")
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
    touch_last_used(ApiToken, token)
    return token.user, token
