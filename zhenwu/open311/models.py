"""Open311 GeoReport v2: the keys outside systems call with, and what each POST carried.

Both tables were created by the concerns app and keep their names (`db_table`): the models moved
here in state only (migrations 0001 here and concerns' move-out migration), no row was copied.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from zhenwu.concerns.models import Category, Concern
from zhenwu.lib.crypto import EncryptedJSONField


class ApiKey(models.Model):
    """Open311 接口密钥 for an outside system (a city hotline, an app). Only a SHA-256 of the key is
    stored (keys are 256-bit random values); `prefix` lets a list tell keys apart. A key in
    `queued` mode is answered with a token at once and its concerns are registered by the worker."""

    name = models.CharField("名称", max_length=80)
    prefix = models.CharField("密钥前缀", max_length=12, editable=False)
    key_hash = models.CharField("密钥哈希", max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    rate_limit_per_minute = models.PositiveIntegerField("每分钟请求上限", default=60)
    queued = models.BooleanField("排队受理（返回token）", default=False)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        db_table = "concerns_apikey"
        verbose_name = "接口密钥"
        verbose_name_plural = "接口密钥"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_limit_per_minute__gte=1), name="api_key_rate_positive"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


class Open311Status(models.TextChoices):
    QUEUED = "queued", "排队中"
    DONE = "done", "已登记"
    FAILED = "failed", "登记失败"


class Open311Request(models.Model):
    """One POST to the Open311 endpoint: the key that sent it, the public token the client may
    look the request up by, what the specification carries beyond a concern (attributes,
    media_url, address_id) and the contact fields, kept encrypted and never returned. A queued
    request holds its validated submission (encrypted) until the worker registers the concern."""

    token = models.CharField("token", max_length=40, unique=True)
    api_key = models.ForeignKey(ApiKey, verbose_name="接口密钥", on_delete=models.PROTECT, related_name="+")
    concern = models.OneToOneField(
        Concern,
        verbose_name="诉求",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="open311",
    )
    status = models.CharField("状态", max_length=8, choices=Open311Status.choices)
    category = models.ForeignKey(Category, verbose_name="类别", on_delete=models.PROTECT, related_name="+")
    attributes = models.JSONField("补充问题答案", default=dict, blank=True)
    media_url = models.URLField("媒体链接", max_length=500, blank=True)
    address_id = models.CharField("地址编号", max_length=60, blank=True)
    contact = EncryptedJSONField("联系信息", blank=True)
    submission = EncryptedJSONField("待登记内容", blank=True)
    error = models.CharField("失败原因", max_length=300, blank=True)
    created_at = models.DateTimeField("提交时间", default=timezone.now)

    class Meta:
        db_table = "concerns_open311request"
        verbose_name = "Open311请求"
        verbose_name_plural = "Open311请求"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.token
