"""网格与联户: members linked to the households they look after (党员联户), their 六员 roles and
六表率 commitments (with the records that show them living up to them),
visits (民情走访), the town's visiting cadence, and 民情茶室 meetings with the concerns they raise.

Concerns are linked from here (Visit.concern, MeetingConcern); the concerns app knows nothing of
this app.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

DEFAULT_INTERVAL_DAYS = 30
DEFAULT_ELDERLY_INTERVAL_DAYS = 14


def _upload_path(folder, filename):
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"grid/{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


def visit_photo_path(instance, filename):
    return _upload_path("visits", filename)


def meeting_photo_path(instance, filename):
    return _upload_path("meetings", filename)


def exemplar_photo_path(instance, filename):
    return _upload_path("exemplars", filename)


class MemberRoleKind(models.TextChoices):
    """六员: the roles a linked member takes on among the households."""

    POLICY = "policy", "政策宣传员"
    INFORMATION = "information", "民情信息员"
    MEDIATION = "mediation", "矛盾调解员"
    SERVICE = "service", "便民服务员"
    ENVIRONMENT = "environment", "环境监督员"
    SAFETY = "safety", "平安守护员"


class MemberRole(models.Model):
    """六员 role of one member."""

    member = models.ForeignKey("org.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="grid_roles")
    role = models.CharField("角色", max_length=16, choices=MemberRoleKind.choices)
    created_at = models.DateTimeField("设定时间", default=timezone.now)

    class Meta:
        verbose_name = "六员角色"
        verbose_name_plural = "六员角色"
        ordering = ["member_id", "role"]
        constraints = [models.UniqueConstraint(fields=["member", "role"], name="grid_member_role_unique")]

    def __str__(self):
        return f"{self.member} {self.get_role_display()}"


class ExemplarKind(models.TextChoices):
    """六表率: the six commitments a member takes on before the households they look after.

    The seed (官桥镇, 2019) names the mechanism — 建立联系群众的“六员”“六表率”工作机制 — without
    listing the six. Towns that run 党员联户 with “N个表率” (党员户挂牌亮身份、争当表率) commonly ask
    members to lead in political study, in keeping the village rules, in changing old customs, in
    settling disputes, in developing the local economy and in serving the people; the seed itself
    shows each of them: the study classes, the 秸秆禁烧/森林防火 “遵规守约户”, 黎干亮's 移风易俗, the
    民情茶室, 李孟其's 精准扶贫 and the volunteers. We use that set (docs/seed-mechanisms.md)."""

    STUDY = "study", "政治学习表率"
    RULES = "rules", "遵规守约表率"
    CUSTOMS = "customs", "移风易俗表率"
    MEDIATION = "mediation", "矛盾化解表率"
    ECONOMY = "economy", "产业发展表率"
    SERVICE = "service", "服务群众表率"


class MemberExemplar(models.Model):
    """六表率 commitment of one member (one row per kind), with the promise in their words."""

    member = models.ForeignKey(
        "org.Member", verbose_name="党员", on_delete=models.CASCADE, related_name="grid_exemplars"
    )
    kind = models.CharField("表率", max_length=16, choices=ExemplarKind.choices)
    pledge = models.CharField("承诺内容", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设定人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("设定时间", default=timezone.now)

    class Meta:
        verbose_name = "六表率"
        verbose_name_plural = "六表率"
        ordering = ["member_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="grid_member_exemplar_unique"),
            models.CheckConstraint(condition=models.Q(kind__in=ExemplarKind.values), name="grid_exemplar_kind_valid"),
        ]

    def __str__(self):
        return f"{self.member} {self.get_kind_display()}"


class ExemplarRecord(models.Model):
    """表率事迹: what a member did that shows one of their 六表率 commitments (evidence), recorded by
    the village's staff, with an optional photo."""

    exemplar = models.ForeignKey(
        MemberExemplar, verbose_name="六表率", on_delete=models.PROTECT, related_name="records"
    )
    done_on = models.DateField("日期")
    description = models.TextField("事迹")
    photo = models.FileField("照片", upload_to=exemplar_photo_path, blank=True)
    photo_content_type = models.CharField("照片类型", max_length=40, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "表率事迹"
        verbose_name_plural = "表率事迹"
        ordering = ["-done_on", "-id"]
        indexes = [models.Index(fields=["exemplar", "done_on"], name="grid_exemplar_record_idx")]

    def __str__(self):
        return f"{self.exemplar} {self.done_on:%Y-%m-%d}"


class HouseholdLinkQuerySet(models.QuerySet):
    def active(self, on=None):
        """Links in force on `on` (today by default): started, and not ended by then."""
        on = on or timezone.localdate()
        return self.filter(started_on__lte=on).filter(models.Q(ended_on__isnull=True) | models.Q(ended_on__gt=on))


class HouseholdLink(models.Model):
    """联户: a member looks after a household from `started_on` until `ended_on` (exclusive)."""

    # Both foreign keys are served by the composite indexes below (their leading column).
    member = models.ForeignKey(
        "org.Member", verbose_name="联户党员", on_delete=models.PROTECT, related_name="household_links",
        db_index=False,
    )
    household = models.ForeignKey(
        "org.Household", verbose_name="户", on_delete=models.PROTECT, related_name="member_links", db_index=False
    )
    # A copy of the household's grid (kept by services.link_households and, when a household moves,
    # by services.follow_household_move, on the org.signals.household_moved signal): the overdue
    # lists and coverage start from the links in force of the grids in scope, without joining a
    # county's 400,000 households to find their grids.
    grid = models.ForeignKey(
        "org.Area", verbose_name="户所在网格", on_delete=models.PROTECT, related_name="+", editable=False,
        db_index=False,
    )
    started_on = models.DateField("联系起始日期")
    ended_on = models.DateField("联系结束日期", null=True, blank=True)
    # The household's latest visit by anyone (not only this member), kept by the visit services
    # (services.record_visit, delete_visit, link_households; refresh_last_visits after bulk loads):
    # the overdue list and coverage read it with the link they already scan instead of probing a
    # county's millions of visits per household.
    last_visited_on = models.DateField("本户最近走访日期", null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="设定人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("设定时间", default=timezone.now)

    objects = HouseholdLinkQuerySet.as_manager()

    class Meta:
        verbose_name = "党员联户"
        verbose_name_plural = "党员联户"
        ordering = ["member_id", "household_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "household"], condition=models.Q(ended_on__isnull=True),
                name="grid_link_one_open_per_pair",
            ),
            models.CheckConstraint(
                condition=models.Q(ended_on__isnull=True) | models.Q(ended_on__gte=models.F("started_on")),
                name="grid_link_period_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "ended_on"], name="grid_link_household_idx"),
            models.Index(fields=["member", "ended_on"], name="grid_link_member_idx"),
            models.Index(fields=["grid", "household"], name="grid_link_grid_idx"),
        ]

    def __str__(self):
        return f"{self.member} → {self.household}"


class VisitWay(models.TextChoices):
    HOME = "home", "入户"
    PHONE = "phone", "电话"
    WECHAT = "wechat", "微信"


class Visit(models.Model):
    """民情走访: one visit to a household by a linked member or a staff account."""

    # household and member are served by the composite indexes below (their leading column); a
    # county's visits run to millions of rows, and each index costs on every insert.
    household = models.ForeignKey(
        "org.Household", verbose_name="户", on_delete=models.PROTECT, related_name="visits", db_index=False
    )
    member = models.ForeignKey(
        "org.Member", verbose_name="走访党员", null=True, blank=True, on_delete=models.PROTECT, related_name="visits",
        db_index=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    visited_on = models.DateField("走访日期")
    way = models.CharField("走访方式", max_length=10, choices=VisitWay.choices, default=VisitWay.HOME)
    notes = models.TextField("走访情况", blank=True)
    photo = models.FileField("照片", upload_to=visit_photo_path, blank=True)
    photo_content_type = models.CharField("照片类型", max_length=40, blank=True)
    idempotency_key = models.CharField("提交标识", max_length=64, null=True, blank=True, unique=True)
    concern = models.ForeignKey(
        "concerns.Concern", verbose_name="反映的诉求", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "走访记录"
        verbose_name_plural = "走访记录"
        ordering = ["-visited_on", "-id"]
        indexes = [
            # The cadence reads "latest visit of this household" and "a visit since that day".
            models.Index(fields=["household", "visited_on"], name="grid_visit_household_day_idx"),
            models.Index(fields=["member", "visited_on"], name="grid_visit_member_day_idx"),
        ]

    def __str__(self):
        return f"{self.household} {self.visited_on:%Y-%m-%d} {self.get_way_display()}"


class VisitCadenceRule(models.Model):
    """走访频次: each linked household at least every `interval_days`; households with a resident
    tagged 独居老人 every `elderly_interval_days`."""

    town = models.OneToOneField(
        "org.Area", verbose_name="镇", on_delete=models.CASCADE, related_name="visit_cadence_rule"
    )
    interval_days = models.PositiveSmallIntegerField("走访间隔(天)", default=DEFAULT_INTERVAL_DAYS)
    elderly_interval_days = models.PositiveSmallIntegerField(
        "独居老人户走访间隔(天)", default=DEFAULT_ELDERLY_INTERVAL_DAYS
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "走访频次规则"
        verbose_name_plural = "走访频次规则"
        constraints = [
            models.CheckConstraint(condition=models.Q(interval_days__gte=1), name="grid_rule_interval_positive"),
            models.CheckConstraint(
                condition=models.Q(elderly_interval_days__gte=1), name="grid_rule_elderly_interval_positive"
            ),
        ]

    def __str__(self):
        return f"{self.town} 每{self.interval_days}天（独居老人户每{self.elderly_interval_days}天）"


class Meeting(models.Model):
    """民情茶室: a meeting of members and residents where residents raise what concerns them."""

    area = models.ForeignKey("org.Area", verbose_name="村(社区)", on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField("主题", max_length=80)
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=100)
    host = models.CharField("主持人", max_length=50)
    minutes = models.TextField("纪要", blank=True)
    members = models.ManyToManyField("org.Member", verbose_name="参加党员", blank=True, related_name="meetings")
    residents = models.ManyToManyField("org.Resident", verbose_name="参加群众", blank=True, related_name="meetings")
    guest_count = models.PositiveSmallIntegerField("其他参加群众(人)", default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "民情茶室"
        verbose_name_plural = "民情茶室"
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["area", "held_on"], name="grid_meeting_area_day_idx")]

    def __str__(self):
        return f"{self.held_on:%Y-%m-%d} {self.title}"


class MeetingPhoto(models.Model):
    meeting = models.ForeignKey(Meeting, verbose_name="民情茶室", on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=meeting_photo_path)
    content_type = models.CharField("照片类型", max_length=40)
    created_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "民情茶室照片"
        verbose_name_plural = "民情茶室照片"
        ordering = ["id"]

    def __str__(self):
        return f"{self.meeting} 照片{self.pk}"


class MeetingConcern(models.Model):
    """A concern raised at a meeting (each concern comes from at most one meeting)."""

    meeting = models.ForeignKey(Meeting, verbose_name="民情茶室", on_delete=models.CASCADE, related_name="concern_links")
    concern = models.OneToOneField(
        "concerns.Concern", verbose_name="诉求", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("关联时间", default=timezone.now)

    class Meta:
        verbose_name = "茶室诉求"
        verbose_name_plural = "茶室诉求"
        ordering = ["meeting_id", "id"]

    def __str__(self):
        return f"{self.meeting} → {self.concern_id}"
