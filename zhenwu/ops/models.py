from django.db import models


class CommandRun(models.Model):
    """定时命令运行记录: one row per run of a periodic management command (escalation, audit
    chain check, backup, ...), written by zhenwu.ops.command_runs (zhenwu.core.periodic announces the runs). The health endpoint and the status
    page read the latest rows to tell whether each command last ran on time and succeeded."""

    name = models.CharField("命令", max_length=60)
    started = models.DateTimeField("开始时间")
    finished = models.DateTimeField("结束时间", null=True, blank=True)
    ok = models.BooleanField("成功", null=True)
    error = models.TextField("错误", blank=True)
    duration = models.FloatField("用时(秒)", null=True, blank=True)

    class Meta:
        verbose_name = "定时命令运行记录"
        verbose_name_plural = "定时命令运行记录"
        ordering = ["-started", "-id"]
        indexes = [models.Index(fields=["name", "-started"], name="ops_commandrun_name_idx")]

    def __str__(self):
        state = "运行中" if self.ok is None else ("成功" if self.ok else "失败")
        return f"{self.name} {self.started:%Y-%m-%d %H:%M} {state}"
