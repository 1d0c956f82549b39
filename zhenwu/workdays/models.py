"""工作日调整: the town's corrections to the published working-day calendar (zhenwu.workdays.calendar)."""

from django.db import models


class WorkdayOverride(models.Model):
    """工作日调整: a date whose working-day status differs from (or is missing in) the published
    schedule, e.g. next year's 调休 before the package is upgraded, or a local day off."""

    date = models.DateField("日期", unique=True)
    is_workday = models.BooleanField("是工作日")
    note = models.CharField("说明", max_length=100, blank=True)

    class Meta:
        db_table = "concerns_workdayoverride"  # moved from concerns without copying its rows
        verbose_name = "工作日调整"
        verbose_name_plural = "工作日调整"
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {'上班' if self.is_workday else '休息'}"
