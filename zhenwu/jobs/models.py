from django.conf import settings
from django.db import models


class JobStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class Job(models.Model):
    """后台任务: slow work a user asked for (imports, exports, documents), claimed by a worker.

    The page that started it polls `progress`/`total`/`message`; the user may leave and come back.
    """

    kind = models.CharField("类型", max_length=40)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    payload = models.JSONField("参数", default=dict, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    input_file = models.FileField("上传文件", upload_to="jobs/input/%Y/%m/", blank=True)
    output_file = models.FileField("生成文件", upload_to="jobs/output/%Y/%m/", blank=True)
    # Work a job hands to the next one (a validated roster's rows for the commit), never downloaded.
    stage_file = models.FileField("中间数据", upload_to="jobs/stage/%Y/%m/", blank=True)
    progress = models.PositiveIntegerField("进度", default=0)
    total = models.PositiveIntegerField("总量", default=0)
    message = models.CharField("状态说明", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("心跳", null=True, blank=True)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "id"], name="job_status_idx")]

    def __str__(self):
        return f"{self.kind}#{self.pk} {self.get_status_display()}"

    @property
    def percent(self):
        if self.status == JobStatus.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, int(self.progress * 100 / self.total))

    @property
    def is_finished(self):
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
