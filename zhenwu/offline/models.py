"""离线记录: what phones queued without signal and sent later (docs/offline.md)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone


class RecordKind(models.TextChoices):
    VISIT = "visit", "走访"
    MEETING = "meeting", "民情茶室"
    LESSON = "lesson", "送学上门"
    CHECKIN = "checkin", "学习签到"
    SITE_CHECK = "site_check", "阵地检查"
    REPORT = "report", "代群众登记诉求"


class SentRecord(models.Model):
    """离线提交回执: one record a phone queued, received once under its idempotency key (a UUID the
    phone made). A repeat of the key is answered from here: the same object, nothing created."""

    key = models.CharField("提交标识", max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField("类别", max_length=16, choices=RecordKind.choices)
    content_type = models.ForeignKey(ContentType, verbose_name="对象类型", on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField("对象编号")
    message = models.CharField("回复", max_length=200)
    url = models.CharField("查看地址", max_length=200)
    recorded_at = models.DateTimeField("本机记录时间", null=True, blank=True)
    received_at = models.DateTimeField("送达时间", default=timezone.now)

    class Meta:
        verbose_name = "离线提交回执"
        verbose_name_plural = "离线提交回执"
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["user", "received_at"], name="offline_sent_user_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"


class QueueSummary(models.Model):
    """待发送概况: what a phone last reported of its queue (how many records wait and when the oldest
    was made; never their content), so a secretary sees who has records stuck on a phone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE,
                                primary_key=True, related_name="+")
    waiting = models.PositiveIntegerField("待发送条数", default=0)
    oldest_at = models.DateTimeField("最早一条的本机记录时间", null=True, blank=True)
    reported_at = models.DateTimeField("报告时间", default=timezone.now)

    class Meta:
        verbose_name = "待发送概况"
        verbose_name_plural = "待发送概况"
        indexes = [models.Index(fields=["oldest_at"], name="offline_summary_oldest_idx")]

    def __str__(self):
        return f"{self.user} 待发送{self.waiting}条"
