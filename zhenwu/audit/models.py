import hashlib
import json

from django.conf import settings
from django.db import models


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
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField("操作人账号", max_length=150, blank=True)
    ip = models.CharField("IP地址", max_length=45, blank=True)
    request_id = models.CharField("请求编号", max_length=32, blank=True)
    action = models.CharField("操作", max_length=16, choices=AuditAction.choices, db_index=True)
    object_type = models.CharField("对象类型", max_length=60, blank=True, db_index=True)
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    changes = models.JSONField("变更(前/后)", default=dict, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    prev_hash = models.CharField("前一条哈希", max_length=64)
    hash = models.CharField("哈希", max_length=64, unique=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.get_action_display()} {self.object_repr}"

    def payload(self):
        """The canonical content the hash covers (everything but the hashes themselves)."""
        return {
            "at": self.at.isoformat(timespec="microseconds"),
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
        body = json.dumps(self.payload(), ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(f"{self.prev_hash}|{body}".encode()).hexdigest()


class AuditAnchor(models.Model):
    """The hash the oldest kept entry chains from, written when old entries are pruned."""

    pruned_before_id = models.BigIntegerField("已清理至编号")
    prev_hash = models.CharField("起始哈希", max_length=64)
    at = models.DateTimeField("清理时间")

    class Meta:
        verbose_name = "审计链起点"
        verbose_name_plural = "审计链起点"
