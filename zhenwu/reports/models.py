"""台账与简报: the monthly briefing (简报) of an area, generated from the records, edited by staff and
published; each publication is kept as an immutable version with who and when.

The working copy (Briefing) holds the generated sections, the edited text, the highlights (本月要闻)
and the issue's recipients; regenerating it never touches a published version (PublishedBriefing),
whose rows are never updated. A briefing gets its issue number (期号, 第N期) when it is first
published, from a counter per issuing area and year (BriefingIssueCounter) that only moves forward,
so a number is never given twice. The issuing unit (编发单位), masthead and default recipients are
set per area in BriefingSettings.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from zhenwu.org.models import Area

USER = settings.AUTH_USER_MODEL


def briefing_file_path(instance, filename):
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"reports/briefings/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class BriefingStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class BriefingSettings(models.Model):
    """简报设置: how an area's briefings are headed and sent — the masthead (报头), the issuing unit
    (编发单位), the default recipients (报送, 抄送) copied into each new briefing, and the print run."""

    area = models.OneToOneField(Area, verbose_name="区域", on_delete=models.CASCADE, related_name="briefing_settings")
    masthead = models.CharField("报头", max_length=30, default="工作简报")
    issuing_unit = models.CharField("编发单位", max_length=60)
    report_to = models.CharField("报送", max_length=300, blank=True)
    copy_to = models.CharField("抄送", max_length=300, blank=True)
    copies = models.PositiveSmallIntegerField("印数(份)", default=30)
    updated_by = models.ForeignKey(USER, verbose_name="修改人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField("修改时间", default=timezone.now)

    class Meta:
        verbose_name = "简报设置"
        verbose_name_plural = "简报设置"
        constraints = [models.CheckConstraint(condition=models.Q(copies__gte=1), name="briefing_settings_copies_min")]

    def __str__(self):
        return f"{self.area} 简报设置"


class BriefingIssueCounter(models.Model):
    """The last issue number given to an area's briefings in a year; only ever incremented."""

    area = models.ForeignKey(Area, verbose_name="区域", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("年份")
    last_number = models.PositiveIntegerField("已用期号", default=0)

    class Meta:
        verbose_name = "简报期号"
        verbose_name_plural = "简报期号"
        constraints = [models.UniqueConstraint(fields=["area", "year"], name="briefing_issue_counter_unique")]

    def __str__(self):
        return f"{self.area} {self.year}年 第{self.last_number}期"


class Briefing(models.Model):
    """简报: one area's briefing for one month (working copy)."""

    area = models.ForeignKey(Area, verbose_name="区域", on_delete=models.PROTECT, related_name="briefings")
    month = models.DateField("月份", help_text="该月1日")
    title = models.CharField("标题", max_length=120)
    status = models.CharField("状态", max_length=10, choices=BriefingStatus.choices, default=BriefingStatus.DRAFT)
    sections = models.JSONField("生成内容", default=list, blank=True)
    text = models.TextField("正文", blank=True)
    # [{"kind", "headline", "text", "score", "reason", "source", "photos"}], see reports/highlights.py
    highlights = models.JSONField("本月要闻", default=list, blank=True)
    report_to = models.CharField("报送", max_length=300, blank=True)
    copy_to = models.CharField("抄送", max_length=300, blank=True)
    copies = models.PositiveSmallIntegerField("印数(份)", default=30)
    issue_year = models.PositiveSmallIntegerField("期号年份", null=True, blank=True, editable=False)
    issue_number = models.PositiveIntegerField("期号", null=True, blank=True, editable=False)
    generated_at = models.DateTimeField("生成时间", null=True, blank=True)
    generated_by = models.ForeignKey(USER, verbose_name="生成人", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    edited_at = models.DateTimeField("修改时间", null=True, blank=True)
    edited_by = models.ForeignKey(USER, verbose_name="修改人", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "简报"
        verbose_name_plural = "简报"
        ordering = ["-month", "area_id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="briefing_area_month_unique"),
            models.CheckConstraint(condition=models.Q(status__in=BriefingStatus.values), name="briefing_status_valid"),
            # One number, one briefing: the counter's promise held by the database as well.
            models.UniqueConstraint(fields=["area", "issue_year", "issue_number"], name="briefing_issue_unique",
                                    condition=models.Q(issue_number__isnull=False)),
            models.CheckConstraint(condition=models.Q(issue_number__isnull=True) | models.Q(issue_year__isnull=False),
                                   name="briefing_issue_has_year"),
        ]

    def __str__(self):
        return self.title

    @property
    def month_label(self):
        return f"{self.month.year}年{self.month.month}月"

    @property
    def issue_label(self):
        return f"{self.issue_year}年第{self.issue_number}期" if self.issue_number else ""


class PublishedBriefingQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("已发布的简报版本不可修改")


class PublishedBriefing(models.Model):
    """A published version of a briefing: title, text and photos as published, never changed."""

    briefing = models.ForeignKey(Briefing, verbose_name="简报", on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField("版本")
    title = models.CharField("标题", max_length=120)
    text = models.TextField("正文")
    sections = models.JSONField("生成内容", default=list)
    highlights = models.JSONField("本月要闻", default=list, blank=True)
    issue_year = models.PositiveSmallIntegerField("期号年份", null=True, blank=True)
    issue_number = models.PositiveIntegerField("期号", null=True, blank=True)
    masthead = models.CharField("报头", max_length=30, blank=True)
    issuing_unit = models.CharField("编发单位", max_length=60, blank=True)
    report_to = models.CharField("报送", max_length=300, blank=True)
    copy_to = models.CharField("抄送", max_length=300, blank=True)
    copies = models.PositiveSmallIntegerField("印数(份)", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", default=timezone.now)
    published_by = models.ForeignKey(USER, verbose_name="发布人", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    objects = PublishedBriefingQuerySet.as_manager()

    class Meta:
        verbose_name = "已发布简报"
        verbose_name_plural = "已发布简报"
        ordering = ["briefing_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["briefing", "version"], name="published_briefing_version")]

    def __str__(self):
        return f"{self.title}（第{self.version}版）"

    def save(self, *args, **kwargs):
        # Immutability is the row's own rule: a published version is written once.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("已发布的简报版本不可修改")
        super().save(*args, **kwargs)

    @property
    def issue_label(self):
        return f"{self.issue_year}年第{self.issue_number}期" if self.issue_number else ""


class ExportFormat(models.TextChoices):
    DOCX = "docx", "Word"
    PDF = "pdf", "PDF"


class BriefingExport(models.Model):
    """A generated file of a briefing: of the working copy (version empty) or of a published
    version; served only through the access-checked download view."""

    briefing = models.ForeignKey(Briefing, verbose_name="简报", on_delete=models.CASCADE, related_name="exports")
    version = models.ForeignKey(PublishedBriefing, verbose_name="版本", null=True, blank=True,
                                on_delete=models.PROTECT, related_name="exports")
    format = models.CharField("格式", max_length=4, choices=ExportFormat.choices)
    file = models.FileField("文件", upload_to=briefing_file_path)
    size = models.PositiveIntegerField("大小(字节)")
    job = models.ForeignKey("jobs.Job", verbose_name="任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    created_at = models.DateTimeField("生成时间", default=timezone.now)

    class Meta:
        verbose_name = "简报文件"
        verbose_name_plural = "简报文件"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.briefing_id}.{self.format}"

    @property
    def filename(self):
        suffix = f"（第{self.version.version}版）" if self.version_id else "（草稿）"
        title = self.version.title if self.version_id else self.briefing.title
        return f"{title}{suffix}.{self.format}"
