"""分得更准: routing suggestions learned from the town's own concerns, and their settings.

- RouterModel: every trained version with its evaluation; exactly one (or none) is active. The
  artefact is the pickled classifier, signed with an HMAC of the site's secret key: only
  artefacts this application wrote are ever unpickled.
- RouterWord: words added to the segmentation dictionary by the town admin (place names,
  category keywords), loaded into the segmenter (zhenwu.lib.segmenter) when a model is built.
- RoutingSettings: per town, whether a confident suggestion is dispatched automatically, and
  above which confidence.
- RoutingSuggestion: what the router suggested for a concern (category, department, confidence,
  alternatives), and whether it was dispatched automatically and undone — a full history; the
  dispatcher's choice stays on the concern itself.
- PendingSuggestion: a new concern the router still owes a suggestion (queued when the concerns
  app announces a finished intake), with its failed attempts; the worker retries with a bound.
- HotIssueDecision (+ HotIssueDecisionMember): a leader's correction of the computed 热点 groups
  (merge two, split members out, dismiss one), applied on top of the grouping until revoked (恢复)
  or lapsed (zhenwu.routing.hot_decisions).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class ModelSource(models.TextChoices):
    COLD_START = "cold_start", "冷启动（类别关键词/种子语料）"
    HISTORY = "history", "本镇已办结诉求"


class RouterModel(models.Model):
    version = models.PositiveIntegerField("版本", unique=True)
    created_at = models.DateTimeField("训练时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    source = models.CharField("训练来源", max_length=12, choices=ModelSource.choices)
    trained_on = models.PositiveIntegerField("训练样本数", default=0)
    # {"category": {accuracy, macro_f1, per_class, n, ms_per_message}, "department": {...},
    #  "holdout": {...}, "compared_with": {version, category: {...}}, "decision": "..."}
    metrics = models.JSONField("评估结果", default=dict, blank=True)
    is_active = models.BooleanField("启用", default=False)
    activated_at = models.DateTimeField("启用时间", null=True, blank=True)
    note = models.CharField("说明", max_length=300, blank=True)
    artefact = models.BinaryField("模型文件", editable=False)
    artefact_signature = models.CharField("模型签名", max_length=64, editable=False)

    class Meta:
        verbose_name = "分派模型"
        verbose_name_plural = "分派模型"
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="router_model_one_active"
            ),
        ]

    def __str__(self):
        return f"分派模型 v{self.version}"

    @property
    def category_f1(self):
        return (self.metrics.get("category") or {}).get("macro_f1")

    @property
    def category_accuracy(self):
        return (self.metrics.get("category") or {}).get("accuracy")


class WordKind(models.TextChoices):
    PLACE = "place", "地名"
    KEYWORD = "keyword", "类别关键词"
    OTHER = "other", "其他词语"


class RouterWord(models.Model):
    word = models.CharField("词语", max_length=30, unique=True)
    kind = models.CharField("类型", max_length=10, choices=WordKind.choices, default=WordKind.PLACE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="添加人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField("添加时间", default=timezone.now)

    class Meta:
        verbose_name = "分词词典词语"
        verbose_name_plural = "分词词典词语"
        ordering = ["kind", "word"]

    def __str__(self):
        return self.word


class RoutingSettings(models.Model):
    town = models.OneToOneField(
        "org.Area", verbose_name="镇", on_delete=models.CASCADE, related_name="routing_settings"
    )
    auto_dispatch = models.BooleanField("自动派单", default=False)
    threshold = models.DecimalField(
        "自动派单置信度下限", max_digits=3, decimal_places=2, default=Decimal("0.90"),
        validators=[MinValueValidator(Decimal("0.50")), MaxValueValidator(Decimal("0.99"))],
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "智能分派设置"
        verbose_name_plural = "智能分派设置"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold__gte=Decimal("0.50"), threshold__lte=Decimal("0.99")),
                name="routing_threshold_range",
            ),
        ]

    def __str__(self):
        return f"{self.town} 智能分派设置"


class RoutingSuggestion(models.Model):
    concern = models.ForeignKey(
        "concerns.Concern", verbose_name="诉求", on_delete=models.CASCADE, related_name="routing_suggestions"
    )
    model = models.ForeignKey(
        RouterModel, verbose_name="模型", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("建议时间", default=timezone.now)
    # Empty category = "no suggestion" (nothing to go on, or no model); `reason` says why.
    category = models.ForeignKey(
        "concerns.Category", verbose_name="建议类别", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    department = models.ForeignKey(
        "org.Department", verbose_name="建议部门", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    confidence = models.FloatField("类别置信度", default=0.0)
    department_confidence = models.FloatField("部门置信度", default=0.0)
    # [{"category": id, "name": ..., "p": 0.12}, ...] — the next three categories.
    alternatives = models.JSONField("其他可能", default=list, blank=True)
    reason = models.CharField("说明", max_length=200, blank=True)
    auto_dispatched = models.BooleanField("自动派单", default=False)
    auto_dispatched_at = models.DateTimeField("自动派单时间", null=True, blank=True)
    # The category the concern had before an automatic re-categorisation (restored on undo).
    original_category = models.ForeignKey(
        "concerns.Category", verbose_name="原类别", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    undone_at = models.DateTimeField("撤销时间", null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    undo_reason = models.CharField("撤销理由", max_length=300, blank=True)

    class Meta:
        verbose_name = "分派建议"
        verbose_name_plural = "分派建议"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["concern", "-created_at"], name="routing_suggestion_concern_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(undone_at__isnull=True) | models.Q(auto_dispatched=True),
                name="routing_undo_only_auto",
            ),
        ]

    def __str__(self):
        return f"{self.concern_id} → {self.category_id or '无建议'}"

    @property
    def has_suggestion(self):
        return self.category_id is not None

    @property
    def is_undoable(self):
        return self.auto_dispatched and self.undone_at is None

    @property
    def confidence_percent(self):
        """Whole percent, rounded down: a 99.6% guess is not shown as certain."""
        return int(self.confidence * 100)

    @property
    def department_confidence_percent(self):
        return int(self.department_confidence * 100)


class PendingSuggestion(models.Model):
    """A concern taken in (concerns.signals.intake_completed) that the router's worker task
    (services.suggest_for_new_concerns) has yet to suggest for. The row goes when the suggestion is
    stored; a failure counts an attempt and waits `retry_after`; after services.MAX_ATTEMPTS the row
    is dropped (logged), so a concern the router cannot read is never retried for ever."""

    concern = models.OneToOneField(
        "concerns.Concern", verbose_name="诉求", on_delete=models.CASCADE, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField("失败次数", default=0)
    retry_after = models.DateTimeField("下次尝试", default=timezone.now)

    class Meta:
        verbose_name = "待分派建议"
        verbose_name_plural = "待分派建议"
        indexes = [models.Index(fields=["retry_after"], name="routing_pending_due_idx")]

    def __str__(self):
        return f"{self.concern_id} (失败{self.attempts}次)"


class DecisionKind(models.TextChoices):
    MERGE = "merge", "合并"
    SPLIT = "split", "拆分"
    DISMISS = "dismiss", "移出"


class HotIssueDecision(models.Model):
    """热点调整: a person's correction of the computed hot-issue groups. Its members are the
    concerns it names: for a merge both groups' concerns, for a split the concerns picked out into a
    new group, for a dismissal the one concern taken out of its group. It holds until revoked
    (恢复); each member drops out of it on its own when its concern closes, is reopened or its
    text changes (HotIssueDecisionMember.fingerprint, reopen_count)."""

    kind = models.CharField("调整方式", max_length=10, choices=DecisionKind.choices)
    town = models.ForeignKey(
        "org.Area", verbose_name="镇", on_delete=models.CASCADE, related_name="+"
    )
    summary = models.CharField("说明", max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="调整人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("调整时间", default=timezone.now)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="撤销人", null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        verbose_name = "热点调整"
        verbose_name_plural = "热点调整"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["town", "revoked_at"], name="routing_hot_decision_town_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.summary}"

    @property
    def is_active(self):
        return self.revoked_at is None


class HotIssueDecisionMember(models.Model):
    decision = models.ForeignKey(
        HotIssueDecision, verbose_name="热点调整", on_delete=models.CASCADE, related_name="members"
    )
    concern = models.ForeignKey(
        "concerns.Concern", verbose_name="诉求", on_delete=models.CASCADE, related_name="+"
    )
    # What the concern said and how often it had been reopened when the decision was taken: a
    # decision about a text no longer there, or about a concern handled and reopened since, lapses.
    fingerprint = models.CharField("内容摘要", max_length=16)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)

    class Meta:
        verbose_name = "热点调整诉求"
        verbose_name_plural = "热点调整诉求"
        constraints = [
            models.UniqueConstraint(fields=["decision", "concern"], name="routing_hot_decision_member_once"),
        ]

    def __str__(self):
        return f"{self.decision_id}: {self.concern_id}"
