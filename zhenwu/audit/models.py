import datetime
import hashlib
import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from .display import change_rows, object_type_label


class AuditAction(models.TextChoices):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"
    REVEAL = "reveal", "查看完整信息"
    EXPORT = "export", "导出"
    IMPORT = "import", "导入"
    LOGIN = "login", "登录"
    LOGIN_FAILED = "login_failed", "登录失败"
    LOGOUT = "logout", "退出"
    SECURITY = "security", "安全设置"
    PRUNE = "prune", "清理过期日志"


GENESIS_HASH = "0" * 64


class AuditEntry(models.Model):
    """审计日志. Entries form a hash chain: each hash covers the entry and the previous hash,
    so a changed, inserted or deleted entry breaks verification from that point on."""

    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        # Never touch an entry when its user goes: SET_NULL would rewrite actor_id and break the
        # chain. actor_label keeps the username; the id may then point at nobody.
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField("操作人账号", max_length=150, blank=True)
    ip = models.CharField("IP地址", max_length=45, blank=True)
    request_id = models.CharField("请求编号", max_length=32, blank=True)
    action = models.CharField("操作", max_length=16, choices=AuditAction.choices, db_index=True)
    # No index of its own: audit_object_idx leads with it.
    object_type = models.CharField("对象类型", max_length=60, blank=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更(前/后)", default=dict, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    # Unique: two entries chaining from the same hash would be a fork; the database refuses it
    # even if the append lock were ever bypassed.
    prev_hash = models.CharField("前一条哈希", max_length=64, unique=True)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor_label"], name="audit_actor_label_idx"),
        ]

    def __str__(self):
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def payload(self):
        """The canonical content the hash covers (everything but the hashes themselves).

        The time is written in UTC with six decimals whatever time zone the value carries, so
        the hash is the same before the row is saved and after it is read back from SQLite or
        PostgreSQL. `changes` must already be canonical JSON (services.canonical_json) so that
        jsonb's key reordering and number formatting cannot change it; keys are sorted here."""
        return {
            "at": canonical_time(self.at),
            "actor": self.actor_id,
            "actor_label": self.actor_label,
            "ip": self.ip,
            "request_id": self.request_id,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "note": self.note,
        }

    def compute_hash(self):
        return hash_payload(self.prev_hash, self.payload())

    def change_rows(self):
        """`changes` as (field label, before, after) rows for people to read (see display.py)."""
        return change_rows(self.object_type, self.changes)

    @property
    def object_type_label(self):
        return object_type_label(self.object_type)


def canonical_time(at):
    """An entry's time as the hash covers it: UTC, six decimals, whatever time zone `at` carries."""
    return at.astimezone(datetime.UTC).isoformat(timespec="microseconds")


# One encoder for every hash (json.dumps builds a new one per call when given options).
canonical_text = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode


def hash_payload(prev_hash, payload):
    """The chain hash of an entry: SHA-256 over the previous hash and the canonical payload."""
    return hash_text(prev_hash, canonical_text(payload))


def hash_text(prev_hash, body):
    return hashlib.sha256(f"{prev_hash}|{body}".encode()).hexdigest()


class PayloadTemplate:
    """The canonical payload text of many entries that share all but VARIABLE fields (a bulk
    write): the shared part is encoded once, from `entry.payload()` itself, so the text is the
    one hash_payload would build. `text(values)` takes the variable fields already encoded with
    canonical_text."""

    VARIABLE = ("object_type", "object_id", "object_repr", "changes")

    def __init__(self, entry):
        for name in self.VARIABLE:
            setattr(entry, name, f"\x00{name}\x00")  # cannot occur in a real value (NUL is stripped)
        text = canonical_text(entry.payload())
        found = sorted((text.index(canonical_text(f"\x00{name}\x00")), name) for name in self.VARIABLE)
        self.pieces, self.order, start = [], [], 0
        for at, name in found:
            self.pieces.append(text[start:at])
            self.order.append(name)
            start = at + len(canonical_text(f"\x00{name}\x00"))
        self.pieces.append(text[start:])

    def text(self, values):
        parts = [self.pieces[0]]
        for name, piece in zip(self.order, self.pieces[1:], strict=True):
            parts.append(values[name])
            parts.append(piece)
        return "".join(parts)


class AuditAnchor(models.Model):
    """The hash the oldest kept entry chains from, written when old entries are pruned."""

    pruned_before_id = models.BigIntegerField("已清理至编号")
    prev_hash = models.CharField("起始哈希", max_length=64)
    at = models.DateTimeField("清理时间")

    class Meta:
        verbose_name = "审计链起点"
        verbose_name_plural = "审计链起点"

    def __str__(self):
        return f"清理至第{self.pruned_before_id}条"
