"""Writing and verifying the audit log.

Every service that writes calls `record_create` / `record_update` / `record_delete` (or
`record_event` for other acts) inside its transaction, so the entry commits or rolls back with
the change. Entries are chained by hash; appends are serialised (an advisory lock on PostgreSQL,
the IMMEDIATE write lock on SQLite) so concurrent writers never fork the chain.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils import timezone

from zhenwu.lib.crypto import EncryptedJSONField, EncryptedTextField
from zhenwu.lib.masking import mask_id_number, mask_numbers, mask_phone
from zhenwu.lib.request_context import current_actor

from .models import (
    GENESIS_HASH,
    AuditAction,
    AuditAnchor,
    AuditEntry,
    PayloadTemplate,
    canonical_text,
    hash_text,
)

_CHAIN_LOCK_KEY = 0x7A68656E  # "zhen"
MIN_RETENTION_DAYS = 180


class Snapshot(dict):
    """Masked field values of one instance. `digests` holds a SHA-256 of each encrypted field's
    real value, kept in memory only, so that a change the mask hides (a middle digit of a phone,
    a sensitive tag) is still noticed by `diff`."""

    def __init__(self, *args, digests=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.digests = digests or {}


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


_AS_IS = frozenset((str, int, bool, float, list, dict, type(None)))  # what _plain returns unchanged


PLAIN, ENCRYPTED, FREE_TEXT = 0, 1, 2


def _kind(field):
    if isinstance(field, EncryptedTextField):
        return ENCRYPTED
    if isinstance(field, (models.CharField, models.TextField)) and not field.choices:
        return FREE_TEXT  # what people type: a phone or ID number in it is masked in the log
    return PLAIN


def _snapshot_plan(model):
    """(attname, field, kind) for the fields a snapshot holds, worked out once per model."""
    plan = _PLANS.get(model)
    if plan is None:
        plan = tuple(
            (field.attname, field, _kind(field))
            for field in model._meta.concrete_fields
            # Generated columns are the database's copy of other fields (and stale on an
            # instance after an update): not logged.
            if not field.name.endswith("_hash") and field.name != "password" and not field.generated
        )
        _PLANS[model] = plan
    return plan


_PLANS = {}


def snapshot(instance, *, digests=True):
    """Field values of a model instance for the log; encrypted fields are masked, phone and ID
    numbers inside free text are masked (zhenwu.lib.masking.mask_numbers), hashes left out.
    `digests=False` skips the digests of masked values (only needed to compare two snapshots)."""
    data = Snapshot()
    for attname, field, kind in _snapshot_plan(instance.__class__):  # unwraps request.user
        value = getattr(instance, attname)
        if kind == ENCRYPTED:
            if digests:
                raw = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
                data.digests[attname] = hashlib.sha256(raw.encode()).hexdigest()
            value = _mask_sensitive(field, value)
        elif kind == FREE_TEXT and type(value) is str:
            masked = mask_numbers(value)
            if masked != value:
                if digests:
                    data.digests[attname] = hashlib.sha256(value.encode()).hexdigest()
                value = masked
        data[attname] = value if type(value) in _AS_IS else _plain(value)
    return data


def diff(before, after):
    """{field: [before, after]} for the fields that differ. A masked value whose real value changed
    behind the same mask is logged as changed, still masked."""
    before_digests = getattr(before, "digests", {})
    after_digests = getattr(after, "digests", {})
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
        elif key in before_digests and key in after_digests and before_digests[key] != after_digests[key]:
            changes[key] = [old, f"{new}（已修改）"]
    return changes


def _strip_nul(value):
    if isinstance(value, dict):
        return {_strip_nul(k): _strip_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip_nul(v) for v in value]
    if isinstance(value, str):
        return value.replace("\x00", "")  # PostgreSQL text and jsonb cannot hold NUL
    return value


_CONSTANTS = {"NaN": "nan", "Infinity": "inf", "-Infinity": "-inf"}  # jsonb has no NaN or Infinity


def _canonical_float(text):
    value = float(text)
    if value.is_integer() and abs(value) >= 1e16:
        return int(value)  # jsonb prints 1e16 as 10000000000000000, which reads back as an int
    if value == 0:
        return 0.0  # jsonb has no negative zero
    return value


def _is_canonical(value):
    """True when `value` already reads back unchanged from every database's JSON column: strings
    without NUL, booleans, None, ints, and lists and string-keyed dicts of those. Anything else
    (floats, dates, decimals, tuples, non-string keys) takes the dumps/loads round trip."""
    kind = type(value)
    if kind is str:
        return "\x00" not in value
    if value is None or kind is bool or kind is int:
        return True
    if kind is list:
        return all(_is_canonical(v) for v in value)
    if kind is dict:
        return all(type(k) is str and "\x00" not in k and _is_canonical(v) for k, v in value.items())
    return False


def _plain_values(snap):
    """The common case of a snapshot, checked quickly: every value a NUL-free string, None, bool,
    int or list of strings (then the changes built from it are canonical as they are)."""
    for value in snap.values():
        kind = type(value)
        if kind is str:
            if "\x00" in value:
                return False
        elif value is None or kind is bool or kind is int:
            continue
        elif kind is list:
            for item in value:
                if type(item) is not str or "\x00" in item:
                    return False
        else:
            return False
    return True


def canonical_json(value):
    """`value` as it will read back from any database's JSON column: only JSON types (dates,
    decimals, UUIDs become strings), string keys, no NUL, no numbers jsonb would rewrite.

    One dumps/loads round trip does the work (the hooks rewrite floats and constants as they are
    parsed); the recursive NUL pass runs only when the text holds one. Bulk imports call this once
    per row, so it is kept cheap."""
    if _is_canonical(value):
        return value
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    result = json.loads(text, parse_float=_canonical_float, parse_constant=_CONSTANTS.__getitem__)
    if "\\u0000" in text:
        result = _strip_nul(result)
    return result


def _text(value, length):
    return str(value or "").replace("\x00", "")[:length]


def _lock_chain():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions start with BEGIN IMMEDIATE (settings), which already serialises writers.


def _chain_head():
    """The hash the next entry links to. Read under the chain's lock by every write in the system,
    so in plain SQL: the ORM's query building cost as much as the INSERT that follows (bench/
    intake_parts.py)."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT "hash" FROM {table} ORDER BY "id" DESC LIMIT 1')
        row = cursor.fetchone()
    last = row[0] if row else None
    if last is None:
        last = AuditAnchor.objects.order_by("-id").values_list("prev_hash", flat=True).first()
    return last or GENESIS_HASH


def _label(obj):
    return str(obj)[:200]


def _load_labelled_rows(objs, conn):
    """Fetch, one query per foreign key and model, the rows the objects' labels name (a visit is
    labelled by its household, a link by its member and household), where labelling a sample
    object reads the database: otherwise each label would cost a query of its own (21,600 of them
    in the demo town's visits). Models whose labels read only their own columns are left alone."""
    by_model = {}
    for obj in objs:
        by_model.setdefault(obj.__class__, []).append(obj)
    for model, rows in by_model.items():
        reads = []

        def counting(execute, sql, params, many, context, reads=reads):
            reads.append(sql)
            return execute(sql, params, many, context)

        with conn.execute_wrapper(counting):
            _label(rows[0])
        if reads:
            for field in model._meta.concrete_fields:
                if field.is_relation and (field.many_to_one or field.one_to_one):
                    _attach_related(rows, field)


def _attach_related(rows, field, chunk=500):
    """Load the rows `field` (a foreign key) points to, `chunk` keys per query, onto `rows`. (Not
    prefetch_related_objects: on SQLite its lookup of a few thousand keys becomes a chain of ORs
    deeper than SQLite parses.)"""
    pending = [row for row in rows if getattr(row, field.attname) is not None and not field.is_cached(row)]
    keys = list({getattr(row, field.attname) for row in pending})
    manager = field.related_model._base_manager
    found = {}
    for start in range(0, len(keys), chunk):
        found.update(manager.in_bulk(keys[start:start + chunk], field_name=field.target_field.name))
    for row in pending:
        target = found.get(getattr(row, field.attname))
        if target is not None:
            field.set_cached_value(row, target)


def _actor_fields(actor):
    """The who-columns of an entry for `actor` (a request_context.Actor or None)."""
    if actor is None:
        return {"actor_id": None, "actor_label": "系统", "ip": "", "request_id": ""}
    # A request without a login (a resident's form, a failed login) is anonymous, not the system.
    label = actor.label or ("匿名访客" if actor.user_id is None and (actor.ip or actor.request_id) else "系统")
    return {
        "actor_id": actor.user_id,
        "actor_label": _text(label, 150),
        "ip": _text(actor.ip, 45),
        "request_id": _text(actor.request_id, 32),
    }


def _new_entry(*, at, actor, action, object_type, object_id, object_repr, changes, note, prev_hash):
    entry = AuditEntry(
        at=at,
        **_actor_fields(actor),
        action=action,
        object_type=_text(object_type, 60),
        object_id=_text(object_id, 40),
        object_repr=_text(mask_numbers(str(object_repr or "")), 200),
        changes=canonical_json(changes or {}),
        note=_text(mask_numbers(str(note or "")), 300),
        prev_hash=prev_hash,
    )
    entry.hash = entry.compute_hash()
    return entry


@transaction.atomic(savepoint=False)
def record_event(
    *, action, obj=None, object_type="", object_id="", object_repr="", changes=None, note="", actor=None
):
    """Append one entry to the chain and return it. Inside the caller's transaction it takes no
    savepoint (two statements fewer per entry): the entry stands or falls with the change it
    records, and a failure here rolls the caller's whole transaction back."""
    actor = actor or current_actor()
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or _label(obj)
    _lock_chain()
    entry = _new_entry(
        at=timezone.now(),
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        changes=changes,
        note=note,
        prev_hash=_chain_head(),
    )
    entry.save(force_insert=True)
    return entry


@transaction.atomic
def record_created_many(objs, *, note="", batch_size=2000):
    """One CREATE entry per object for bulk writes (imports, the demo loader): the chain is
    computed in memory under the lock and written with executemany. Returns the count.

    Entries are built as rows, not AuditEntry instances. What is the same for the whole call
    (time, actor, action, note) is prepared once, and so is its part of the canonical payload text
    (models.PayloadTemplate, derived from AuditEntry.payload); each row encodes only its object and
    changes, once, for both the hash and (where the backend stores JSON as text) the column. The
    hash is the model's (hash_text over the same text hash_payload builds), so `verify_chain`
    checks these entries like any other."""
    conn = connections[DEFAULT_DB_ALIAS]  # bound once: the django.db.connection proxy costs per access
    who = _actor_fields(current_actor())
    _lock_chain()
    last = _chain_head()
    now = timezone.now()
    shared = AuditEntry(at=now, **who, action=AuditAction.CREATE, note=_text(mask_numbers(note or ""), 300))
    template = PayloadTemplate(shared)
    at_db = AuditEntry._meta.get_field("at").get_db_prep_save(now, conn)
    changes_field = AuditEntry._meta.get_field("changes")
    # Any JSON text of the value is what the column holds when the backend stores JSON as dumped
    # text (SQLite); otherwise (PostgreSQL's jsonb adapter) the field prepares the value.
    changes_as_text = type(conn.ops).adapt_json_value is BaseDatabaseOperations.adapt_json_value
    constant = (at_db, shared.actor_id, shared.actor_label, shared.ip, shared.request_id, shared.action)
    objs = list(objs)
    _load_labelled_rows(objs, conn)
    rows = []
    count = 0
    types = {}
    for obj in objs:
        after = snapshot(obj, digests=False)
        changes = {key: [None, after[key]] for key in sorted(after) if after[key] is not None}
        if not _plain_values(after):
            changes = canonical_json(changes)
        changes_text = canonical_text(changes)
        model = obj.__class__
        object_type = types.get(model)
        if object_type is None:
            object_type = types[model] = _text(model._meta.label, 60)
        object_id = _text(str(obj.pk), 40)
        object_repr = _text(mask_numbers(_label(obj)), 200)
        entry_hash = hash_text(last, template.text({
            "object_type": canonical_text(object_type),
            "object_id": canonical_text(object_id),
            "object_repr": canonical_text(object_repr),
            "changes": changes_text,
        }))
        rows.append((
            *constant, object_type, object_id, object_repr,
            changes_text if changes_as_text else changes_field.get_db_prep_save(changes, conn),
            shared.note, last, entry_hash,
        ))
        last = entry_hash
        count += 1
        if len(rows) >= batch_size:
            _insert_rows(conn, rows)
            rows = []
    if rows:
        _insert_rows(conn, rows)
    return count


_INSERT_FIELDS = (
    "at", "actor", "actor_label", "ip", "request_id", "action", "object_type", "object_id",
    "object_repr", "changes", "note", "prev_hash", "hash",
)


def _insert_rows(conn, rows):
    """INSERT rows (values in _INSERT_FIELDS order, chain order) with one executemany.
    bulk_create spends three times as long preparing each value (and on SQLite caps a statement
    at 76 rows), which made the audit the slowest part of a roster import."""
    meta = AuditEntry._meta
    fields = [meta.get_field(name) for name in _INSERT_FIELDS]
    columns = ", ".join(conn.ops.quote_name(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {conn.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"
    with conn.cursor() as cursor:
        cursor.executemany(sql, rows)


def record_create(obj, *, note=""):
    return record_event(action=AuditAction.CREATE, obj=obj, changes=diff({}, snapshot(obj)), note=note)


def record_update(obj, before, *, note=""):
    """`before` is `snapshot(obj)` taken before the change. Nothing is logged if nothing changed."""
    changes = diff(before, snapshot(obj))
    if not changes:
        return None
    return record_event(action=AuditAction.UPDATE, obj=obj, changes=changes, note=note)


def record_delete(obj, *, note=""):
    """Call before deleting (the primary key is still set); the entry keeps the masked values."""
    return record_event(action=AuditAction.DELETE, obj=obj, changes=diff(snapshot(obj), {}), note=note)


def record_reveal(obj, *, field, note=""):
    return record_event(action=AuditAction.REVEAL, obj=obj, changes={}, note=note or f"查看完整{field}")


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_id: int | None = None
    reason: str = ""

    @property
    def message(self):
        if self.ok:
            return f"审计链完整：已校验 {self.checked} 条记录"
        return f"审计链校验失败：编号 {self.first_bad_id} {self.reason}（此前 {self.checked} 条完好）"


def verify_chain(*, batch_size=5000):
    """Recompute every hash from the anchor on; report the first entry that does not match.

    Detects a changed entry (its hash), a deleted or inserted one (the next entry's link) and a
    deletion at the start (the first link is neither the genesis nor the prune anchor). Removing
    the newest entries leaves a shorter valid chain; compare `checked` with an earlier run."""
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
                return ChainReport(False, checked, entry.id, "内容与哈希不符（记录被篡改）")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
    return ChainReport(True, checked)


class RetentionTooShort(ValueError):
    """Raised with a Chinese message when asked to keep less than the minimum retention."""


@transaction.atomic
def prune_entries(*, older_than_days=None, now=None):
    """Delete entries older than the retention period, keeping the chain verifiable through an
    anchor (the hash the oldest kept entry chains from). Refuses less than 180 days (等保2.0:
    audit records kept at least six months). Returns the number deleted."""
    days = settings.AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
    if days < MIN_RETENTION_DAYS:
        raise RetentionTooShort(f"审计日志至少保留{MIN_RETENTION_DAYS}天，不能清理{days}天内的记录")
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    _lock_chain()
    newest_old = AuditEntry.objects.filter(at__lt=cutoff).order_by("-id").only("id", "hash").first()
    if newest_old is None:
        return 0
    AuditAnchor.objects.create(pruned_before_id=newest_old.id, prev_hash=newest_old.hash, at=timezone.now())
    deleted, _ = AuditEntry.objects.filter(id__lte=newest_old.id).delete()
    record_event(
        action=AuditAction.PRUNE,
        object_type=AuditEntry._meta.label,
        object_id=str(newest_old.id),
        note=f"清理{days}天前的审计日志{deleted}条（编号{newest_old.id}及以前），链起点哈希{newest_old.hash[:12]}…",
    )
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
    "canonical_json",
    "verify_chain",
    "prune_entries",
    "RetentionTooShort",
]
