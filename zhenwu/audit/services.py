"""Writing and verifying the audit log.

Every service that writes calls `record_create` / `record_update` / `record_delete` (or
`record_event` for other acts) inside its transaction, so the entry commits or rolls back with
the change. Entries are chained by hash; appends are serialised (an advisory lock on PostgreSQL,
the IMMEDIATE write lock on SQLite) so concurrent writers never fork the chain.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from zhenwu.lib.crypto import EncryptedJSONField, EncryptedTextField
from zhenwu.lib.masking import mask_id_number, mask_phone
from zhenwu.lib.request_context import current_actor

from .models import GENESIS_HASH, AuditAction, AuditAnchor, AuditEntry

_CHAIN_LOCK_KEY = 0x7A68656E  # "zhen"


def _mask_sensitive(field, value):
    if value in (None, "", []):
        return value
    if isinstance(field, EncryptedJSONField):
        return "（敏感信息）"
    if "phone" in field.name:
        return mask_phone(value)
    if "id_number" in field.name:
        return mask_id_number(value)
    return "（已加密）"


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool, list, dict)) or value is None:
        return value
    return str(value)


def snapshot(instance):
    """Field values of a model instance for the log; encrypted fields are masked, hashes left out."""
    data = {}
    for field in instance._meta.concrete_fields:
        if field.name.endswith("_hash") or field.name in ("password",):
            continue
        value = getattr(instance, field.attname)
        if isinstance(field, EncryptedTextField):
            value = _mask_sensitive(field, value)
        data[field.attname] = _plain(value)
    return data


def diff(before, after):
    keys = sorted(set(before) | set(after))
    return {k: [before.get(k), after.get(k)] for k in keys if before.get(k) != after.get(k)}


def _lock_chain():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions start with BEGIN IMMEDIATE (settings), which already serialises writers.


def _label(obj):
    return str(obj)[:200]


@transaction.atomic
def record_event(
    *, action, obj=None, object_type="", object_id="", object_repr="", changes=None, note="", actor=None
):
    """Append one entry to the chain and return it."""
    actor = actor or current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or _label(obj)
    _lock_chain()
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    if last is None:
        anchor = AuditAnchor.objects.order_by("-id").values_list("prev_hash", flat=True).first()
        last = anchor or GENESIS_HASH
    entry = AuditEntry(
        at=timezone.now(),
        actor_id=actor.user_id if actor else None,
        actor_label=(actor.label if actor else "") or "系统",
        ip=(actor.ip if actor else "") or "",
        request_id=(actor.request_id if actor else "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=changes or {},
        note=note[:300],
        prev_hash=last,
    )
    entry.hash = entry.compute_hash()
    entry.save(force_insert=True)
    return entry


@transaction.atomic
def record_created_many(objs, *, note="", batch_size=2000):
    """One CREATE entry per object for bulk writes (imports, the demo loader): the chain is
    computed in memory under the lock and written with bulk_create. Returns the count."""
    actor = current_actor()
    _lock_chain()
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    if last is None:
        last = AuditAnchor.objects.order_by("-id").values_list("prev_hash", flat=True).first() or GENESIS_HASH
    now = timezone.now()
    batch = []
    count = 0
    for obj in objs:
        entry = AuditEntry(
            at=now,
            actor_id=actor.user_id if actor else None,
            actor_label=(actor.label if actor else "") or "系统",
            ip=(actor.ip if actor else "") or "",
            request_id=(actor.request_id if actor else "") or "",
            action=AuditAction.CREATE,
            object_type=obj._meta.label,
            object_id=str(obj.pk),
            object_repr=_label(obj),
            changes=diff({}, snapshot(obj)),
            note=note[:300],
            prev_hash=last,
        )
        entry.hash = entry.compute_hash()
        last = entry.hash
        batch.append(entry)
        count += 1
        if len(batch) >= batch_size:
            AuditEntry.objects.bulk_create(batch)
            batch = []
    if batch:
        AuditEntry.objects.bulk_create(batch)
    return count


def record_create(obj, *, note=""):
    return record_event(action=AuditAction.CREATE, obj=obj, changes=diff({}, snapshot(obj)), note=note)


def record_update(obj, before, *, note=""):
    """`before` is `snapshot(obj)` taken before the change. Nothing is logged if nothing changed."""
    changes = diff(before, snapshot(obj))
    if not changes:
        return None
    return record_event(action=AuditAction.UPDATE, obj=obj, changes=changes, note=note)


def record_delete(obj, *, note=""):
    return record_event(action=AuditAction.DELETE, obj=obj, changes=diff(snapshot(obj), {}), note=note)


def record_reveal(obj, *, field, note=""):
    return record_event(action=AuditAction.REVEAL, obj=obj, changes={}, note=note or f"查看完整{field}")


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""


def verify_chain(*, batch_size=5000):
    """Recompute every hash from the anchor on; report the first entry that does not match."""
    anchor = AuditAnchor.objects.order_by("-id").first()
    expected_prev = anchor.prev_hash if anchor else GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for entry in batch:
            if entry.prev_hash != expected_prev:
                return ChainReport(False, checked, entry.id, "与前一条记录的链接断开（记录被删除或插入）")
            if entry.compute_hash() != entry.hash:
                return ChainReport(False, checked, entry.id, "记录内容与哈希不符（记录被篡改）")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
    return ChainReport(True, checked)


@transaction.atomic
def prune_entries(*, older_than_days=None, now=None):
    """Delete entries older than the retention period (never under 180 days), keeping the chain
    verifiable through an anchor. Returns the number deleted."""
    days = max(180, older_than_days or settings.AUDIT_RETENTION_DAYS)
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    _lock_chain()
    old = AuditEntry.objects.filter(at__lt=cutoff).order_by("-id")
    newest_old = old.first()
    if newest_old is None:
        return 0
    AuditAnchor.objects.create(pruned_before_id=newest_old.id, prev_hash=newest_old.hash, at=timezone.now())
    deleted, _ = AuditEntry.objects.filter(id__lte=newest_old.id).delete()
    record_event(action=AuditAction.PRUNE, note=f"清理{days}天前的审计日志{deleted}条")
    return deleted


__all__ = [
    "record_event",
    "record_create",
    "record_created_many",
    "record_update",
    "record_delete",
    "record_reveal",
    "snapshot",
    "diff",
    "verify_chain",
    "prune_entries",
]
