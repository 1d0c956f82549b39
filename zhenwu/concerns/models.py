"""民情办理: residents' concerns from intake to call-back, their projects, deadlines and supervision.

States and transitions are changed only by the functions in services.py; the models hold fields,
constraints and read-only helpers.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from zhenwu.lib.coords import CoordSystem
from zhenwu.lib.crypto import EncryptedTextField
from zhenwu.lib.masking import mask_name, mask_phone

from .querysets import CategoryQuerySet, ConcernQuerySet, NotificationQuerySet, ProjectQuerySet


class Channel(models.TextChoices):
    TEA_ROOM = "tea_room", "民情茶室"
    VISIT = "visit", "走访"
    HOTLINE = "hotline", "电话"
    WEB = "web", "网页"
    WALK_IN = "walk_in", "来访"
    API = "api", "接口"


class Urgency(models.TextChoices):
    NORMAL = "normal", "一般"
    URGENT = "urgent", "紧急"
    CRITICAL = "critical", "特急"


class Status(models.TextChoices):
    RECEIVED = "received", "待受理"
    ACCEPTED = "accepted", "已受理"
    DECLINED = "declined", "不予受理"
    DISPATCHED = "dispatched", "已派单"
    RETURNED = "returned", "已退回"
    IN_PROGRESS = "in_progress", "办理中"
    RESOLVED = "resolved", "已办结"
    CLOSED = "closed", "已关闭"
    DUPLICATE = "duplicate", "已合并"
    SUSPENDED = "suspended", "已挂起"


# Open concerns whose deadlines run: 挂起 stops the clock, so only these can be overdue or escalated.
CLOCK_STATUSES = (Status.RECEIVED, Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS)
# Still waiting for someone in the town to act (a suspended concern waits too, clock stopped).
OPEN_STATUSES = CLOCK_STATUSES + (Status.SUSPENDED,)
# Shown on the public board (accepted and beyond; never declined, unreviewed or merged ones).
PUBLIC_STATUSES = (
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.RETURNED,
    Status.IN_PROGRESS,
    Status.SUSPENDED,
    Status.RESOLVED,
    Status.CLOSED,
)
# With a department that owes a first response.
AWAITING_RESPONSE_STATUSES = (Status.RECEIVED, Status.ACCEPTED, Status.RETURNED, Status.DISPATCHED)


class Outcome(models.TextChoices):
    FIXED = "fixed", "已解决"
    PARTLY = "partly", "部分解决"
    EXPLAINED = "explained", "已解释说明"
    NOT_OURS = "not_our_responsibility", "不属本镇职责"


class CallBackResult(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY_SATISFIED = "basically_satisfied", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"
    # Not a verdict: the call-back ended without reaching the resident (after the set number of
    # attempts on different working days, or at once when no phone was left). It closes the
    # concern and is counted on its own, outside the 解决率 and 满意率 denominators.
    UNREACHABLE = "unreachable", "联系不上"


# The resident's own answers (a call that got through, or the follow page).
VERDICT_RESULTS = (CallBackResult.SATISFIED, CallBackResult.BASICALLY_SATISFIED, CallBackResult.UNSATISFIED)


class AttemptChannel(models.TextChoices):
    PHONE = "phone", "电话"
    SMS = "sms", "短信"
    VISIT = "visit", "上门"


class CallBackChannel(models.TextChoices):
    PHONE = "phone", "电话回访"
    FOLLOW_PAGE = "follow_page", "居民在线评价"


class EventKind(models.TextChoices):
    SUBMITTED = "submitted", "登记"
    ACCEPTED = "accepted", "受理"
    DECLINED = "declined", "不予受理"
    DISPATCHED = "dispatched", "派单"
    RETURNED = "returned", "退单"
    UPDATED = "updated", "办理进展"
    NOTE = "note", "内部备注"
    REPORTER_ADDED = "reporter_added", "诉求人补充"
    PHOTO_ADDED = "photo_added", "补充照片"
    RESOLVED = "resolved", "办结"
    CALLED_BACK = "called_back", "回访"
    CALL_ATTEMPT = "call_attempt", "回访未联系上"
    CLOSED = "closed", "关闭"
    REOPENED = "reopened", "重办"
    RECATEGORISED = "recategorised", "调整类别"
    MERGED = "merged", "合并为重复件"
    DUPLICATE_LINKED = "duplicate_linked", "并入重复件"
    SUPERVISED = "supervised", "督办"
    PROJECT_STARTED = "project_started", "立项"
    PROJECT_JOINED = "project_joined", "并入项目"
    PROJECT_STAGE = "project_stage", "项目进展"
    EXTENSION_REQUESTED = "extension_requested", "申请延期"
    EXTENDED = "extended", "延期"
    EXTENSION_REFUSED = "extension_refused", "延期未批准"
    SUSPENDED = "suspended", "挂起"
    RESUMED = "resumed", "恢复办理"
    PROJECT_DEADLINE = "project_deadline", "按项目计划调整期限"
    # The county centre (县级受理中心): a town hands a concern up, the county hands it back down.
    REFERRED_UP = "referred_up", "上报"
    HANDED_DOWN = "handed_down", "下派"


# Events a resident causes without an account (web form, follow page).
RESIDENT_EVENT_KINDS = (
    EventKind.SUBMITTED,
    EventKind.REPORTER_ADDED,
    EventKind.PHOTO_ADDED,
    EventKind.CALLED_BACK,
    EventKind.CLOSED,
)


class Category(models.Model):
    """诉求类别 (an Open311 service): where concerns of this kind go and how fast.

    The rows without a town are the county's catalogue (县级类别目录): every town uses them, and a
    town may set its own default department and (where allowed) its own limits in a
    TownCategorySetting. The default department here is the county's choice; it applies to the
    town it belongs to. A row with a town is that town's own extra category (本镇自设类别), offered
    and accepted for its concerns only.

    Limits are in working days (zhenwu.workdays.calendar): response = the department's first contact
    with the resident after dispatch; resolution = 办结, counted from receipt."""

    code = models.CharField("类别代码", max_length=20, unique=True)
    name = models.CharField("名称", max_length=50)
    group = models.CharField("大类", max_length=50, blank=True)
    description = models.TextField("说明", blank=True)
    default_department = models.ForeignKey(
        "org.Department",
        verbose_name="默认承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="default_categories",
    )
    response_limit_days = models.PositiveSmallIntegerField("响应时限(工作日)", default=1)
    resolution_limit_days = models.PositiveSmallIntegerField("办结时限(工作日)", default=7)
    may_become_project = models.BooleanField("可立项", default=False)
    town_limits_allowed = models.BooleanField(
        "各镇可自定时限", default=True,
        help_text="允许各镇为本类别设置本镇的响应和办结时限；不勾选时各镇一律按县里的时限",
    )
    coarse_on_map = models.BooleanField(
        "地图上只显示大致位置",
        default=False,
        help_text="涉及个人隐私的类别（如矛盾纠纷、社会保障），公示栏地图上的位置取约500米范围，不显示具体地点",
    )
    is_active = models.BooleanField("启用", default=True)
    keywords = models.TextField(
        "关键词", blank=True, help_text="以空格或逗号分隔，用于分类建议和相似诉求查找"
    )
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    town = models.ForeignKey(
        "org.Area",
        verbose_name="自设类别所属镇",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="own_categories",
        help_text="留空为县级目录中的类别，各镇通用；填写则为该镇自设、仅该镇使用的类别",
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = "诉求类别"
        verbose_name_plural = "诉求类别"
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolution_limit_days__gte=models.F("response_limit_days")),
                name="category_resolution_after_response",
            ),
        ]

    def __str__(self):
        return self.name


class TownCategorySetting(models.Model):
    """本镇类别设置: a town's own rules for a category of the county catalogue (the Category rows).

    Every field left empty falls back to the county value on the category
    (zhenwu.concerns.services.catalogue.category_setting_for resolves the pair); the limits count only while
    the county lets towns set them (`Category.town_limits_allowed`)."""

    town = models.ForeignKey(
        "org.Area", verbose_name="镇", on_delete=models.CASCADE, related_name="category_settings"
    )
    category = models.ForeignKey(
        Category, verbose_name="类别", on_delete=models.CASCADE, related_name="town_settings"
    )
    default_department = models.ForeignKey(
        "org.Department",
        verbose_name="本镇默认承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="town_default_categories",
    )
    response_limit_days = models.PositiveSmallIntegerField("本镇响应时限(工作日)", null=True, blank=True)
    resolution_limit_days = models.PositiveSmallIntegerField("本镇办结时限(工作日)", null=True, blank=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "本镇类别设置"
        verbose_name_plural = "本镇类别设置"
        constraints = [
            models.UniqueConstraint(fields=["town", "category"], name="town_category_setting_unique"),
        ]

    def __str__(self):
        return f"{self.town} {self.category}"


class ReferenceCounter(models.Model):
    """The last reference number issued per prefix and year (allocation: services.next_reference)."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "编号计数"
        verbose_name_plural = "编号计数"
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="reference_counter_unique")]

    def __str__(self):
        return f"{self.prefix}-{self.year}: {self.last}"


MAP_BANDS_PER_DEGREE = 100


class MapBand(models.Func):
    """A latitude's band of 1/MAP_BANDS_PER_DEGREE degree (about 1.1 km), the board map index's
    leading key: CAST(latitude * 100 AS INTEGER), rounded on PostgreSQL and truncated on SQLite
    (concerns.board_map asks for one band more on either side). Written without parameters: SQLite
    matches an index's expression to a query's only when both are the same text. Kept for
    migration 0024; the map now reads MicroBand."""

    template = f"CAST(%(expressions)s * {MAP_BANDS_PER_DEGREE} AS INTEGER)"
    output_field = models.IntegerField()


MICRODEGREES = 1_000_000  # a stored point has six decimals: whole millionths of a degree
MICRO_BAND = MICRODEGREES // MAP_BANDS_PER_DEGREE


class Microdegrees(models.Func):
    """A stored coordinate (six decimals) in whole millionths of a degree, exactly: the numeric's
    product rounded on PostgreSQL, the float's on SQLite. The expression of the generated columns
    latitude_micro and longitude_micro; written without parameters, like MapBand."""

    template = f"CAST(ROUND(%(expressions)s * {MICRODEGREES}) AS INTEGER)"
    output_field = models.IntegerField()


class MicroBand(models.Func):
    """The latitude band (1/MAP_BANDS_PER_DEGREE degree, about 1.1 km) of a latitude in
    millionths, counted from the south pole: an integer division of a non-negative integer, so
    the same floor on both databases. The board map index's leading key (concern_map_micro_idx);
    written without parameters, like MapBand."""

    template = f"((%(expressions)s + {90 * MICRODEGREES}) / {MICRO_BAND})"
    output_field = models.IntegerField()


class Concern(models.Model):
    """民情诉求 (an Open311 service request). The reporter's name and phone are encrypted and never
    public; the resident follows the concern through a private link whose token is stored hashed."""

    reference = models.CharField("编号", max_length=24, unique=True)
    channel = models.CharField("来源渠道", max_length=10, choices=Channel.choices)
    title = models.CharField("标题", max_length=60)
    text = models.TextField("诉求内容")
    # The foreign keys below carry no index of their own (db_index=False): each is the first
    # column of a composite index in Meta, or indexed partially where set (most rows have none),
    # so an intake maintains eight indexes fewer.
    category = models.ForeignKey(
        Category, verbose_name="类别", on_delete=models.PROTECT, related_name="concerns", db_index=False
    )
    urgency = models.CharField("紧急程度", max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    area = models.ForeignKey(
        "org.Area", verbose_name="村(社区)/网格", on_delete=models.PROTECT, related_name="concerns", db_index=False
    )
    # Denormalised from `area` at intake so rates group by village and scope needs no tree walk.
    village = models.ForeignKey(
        "org.Area", verbose_name="村(社区)", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    town = models.ForeignKey(
        "org.Area", verbose_name="镇", null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    # The point again in whole millionths of a degree, computed and stored by the database on
    # every write (whoever writes: services, imports, raw SQL), for the board map's grouped query
    # and its index: integers compare, divide and add without the numeric's conversions.
    latitude_micro = models.GeneratedField(
        expression=Microdegrees("latitude"), output_field=models.IntegerField(), db_persist=True,
        verbose_name="纬度(百万分之一度)",
    )
    longitude_micro = models.GeneratedField(
        expression=Microdegrees("longitude"), output_field=models.IntegerField(), db_persist=True,
        verbose_name="经度(百万分之一度)",
    )
    # The point above is always WGS-84; this is the system it came in (converted at intake).
    coord_system = models.CharField(
        "原坐标系", max_length=5, choices=CoordSystem.choices, default=CoordSystem.WGS84,
        db_default=CoordSystem.WGS84,
    )
    address = models.CharField("地点", max_length=200, blank=True)

    reporter_name = EncryptedTextField("诉求人姓名", blank=True)
    reporter_phone = EncryptedTextField("诉求人电话", blank=True)
    reporter_phone_hash = models.CharField(
        "诉求人电话索引", max_length=64, blank=True, db_index=True, editable=False
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    follow_token_hash = models.CharField("查询凭据哈希", max_length=64, unique=True, editable=False)
    idempotency_key = models.CharField(
        "提交幂等键", max_length=64, null=True, blank=True, unique=True, editable=False
    )

    status = models.CharField("状态", max_length=12, choices=Status.choices, default=Status.RECEIVED)
    department = models.ForeignKey(
        "org.Department",
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
        db_index=False,
    )
    received_at = models.DateTimeField("登记时间", default=timezone.now)
    # First day of the local (Asia/Shanghai) month of receipt: the rates group by it without
    # converting every timestamp's time zone.
    received_month = models.DateField("登记月份", null=True, editable=False)
    response_due = models.DateTimeField("响应截止")
    resolution_due = models.DateTimeField("办结截止")
    accepted_at = models.DateTimeField("受理时间", null=True, blank=True)
    dispatched_at = models.DateTimeField("派单时间", null=True, blank=True)
    responded_at = models.DateTimeField("首次响应时间", null=True, blank=True)
    resolved_at = models.DateTimeField("办结时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    outcome = models.CharField("办理结果", max_length=24, choices=Outcome.choices, blank=True)
    resolution_text = models.TextField("办结答复", blank=True)
    resolution_workdays = models.PositiveIntegerField("办结用时(工作日)", null=True, blank=True)
    # The latest call-back, kept on the row so the three rates are plain aggregates.
    callback_result = models.CharField("回访结果", max_length=20, choices=CallBackResult.choices, blank=True)
    callback_solved = models.BooleanField("回访确认解决", null=True, blank=True)
    callback_at = models.DateTimeField("回访时间", null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField("重办次数", default=0)
    # 挂起: working days of finished suspensions, left out of resolution_workdays (the clock stops).
    suspended_workdays = models.PositiveIntegerField("挂起用时(工作日)", default=0)
    is_supervised = models.BooleanField("督办件", default=False)
    # 县级受理中心: held by the county centre (handed up by its town, services.escalate_concern_to_county)
    # until the county dispatches it to a county department or hands it back down to the town.
    held_at_county = models.BooleanField("县级受理", default=False, db_default=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name="重复于",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        db_index=False,
    )
    project = models.ForeignKey(
        "Project",
        verbose_name="所属项目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
        db_index=False,
    )
    # The intake's follow-up still owed by the worker (services.complete_pending_intakes): the
    # town dispatchers' notifications and the router's suggestion. Set in the intake's own
    # transaction, so a crash between the two loses nothing; the inbox shows "建议生成中" meanwhile.
    intake_pending = models.BooleanField("待后台处理", default=False, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        verbose_name = "民情诉求"
        verbose_name_plural = "民情诉求"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="concern_status_received_idx"),
            models.Index(fields=["department", "status", "resolution_due"], name="concern_dept_queue_idx"),
            models.Index(fields=["category", "received_at"], name="concern_category_idx"),
            models.Index(fields=["village", "received_at"], name="concern_village_idx"),
            models.Index(fields=["town", "received_at"], name="concern_town_idx"),
            models.Index(fields=["area", "received_at"], name="concern_area_idx"),
            models.Index(fields=["status", "resolution_due"], name="concern_status_due_idx"),
            # The three rates (zhenwu.concerns.rates): every column they read, led by the month and
            # department they group by and the working days of the median's histogram, so both of
            # their grouped queries are index-only scans of the months asked for.
            models.Index(
                fields=[
                    "received_month", "department", "resolution_workdays", "received_at", "status",
                    "dispatched_at", "responded_at", "response_due", "callback_at", "callback_solved",
                    "callback_result", "resolved_at",
                ],
                name="concern_rates_idx",
            ),  # fmt: skip
            # The department queue and the dispatcher's inbox read their first page straight off these.
            models.Index(
                fields=["department", "resolution_due"],
                condition=models.Q(status__in=["dispatched", "in_progress"]),
                name="concern_dept_open_due_idx",
            ),
            models.Index(
                fields=["response_due"],
                condition=models.Q(status__in=["received", "accepted", "returned"]),
                name="concern_inbox_due_idx",
            ),
            # The public board's unfiltered pages, newest first; without it the first page sorts
            # every public concern (0.7 s at a million rows on PostgreSQL, 2.2 s on SQLite). Not
            # partial: SQLite cannot match a partial index to a query whose IN list is bound.
            models.Index(fields=["-received_at", "-id"], name="concern_received_desc_idx"),
            # The worker's batch of intakes to follow up: only the few pending rows are indexed.
            models.Index(fields=["id"], condition=models.Q(intake_pending=True), name="concern_intake_pending_idx"),
            # Foreign keys that few concerns set: only the rows that set them are indexed.
            models.Index(
                fields=["registered_by"], condition=models.Q(registered_by__isnull=False), name="concern_registered_by_idx"
            ),
            models.Index(
                fields=["duplicate_of"], condition=models.Q(duplicate_of__isnull=False), name="concern_duplicate_of_idx"
            ),
            models.Index(fields=["project"], condition=models.Q(project__isnull=False), name="concern_project_idx"),
            # The board's map (concerns.board_map): a box of located concerns, its filters and
            # status buckets read from the index alone; only concerns with a point are indexed.
            # Led by the latitude's band, so that a box is one short run of longitudes per band
            # (latitude first, a town's view ran through every town of its latitude: 200,000
            # entries for 33,000 at a million concerns in 30 towns, bench/map.py).
            # Integers (latitude_micro, longitude_micro): a narrower index, and a query with no
            # numeric to convert (bench/map.py).
            models.Index(
                MicroBand("latitude_micro"), "longitude_micro", "latitude_micro", "status", "category",
                "village", "town", "resolution_due", "id",
                condition=models.Q(latitude_micro__isnull=False),
                name="concern_map_micro_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=Status.values), name="concern_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status="duplicate") | models.Q(duplicate_of__isnull=False),
                name="concern_duplicate_has_original",
            ),
            models.CheckConstraint(
                condition=~models.Q(duplicate_of=models.F("id")), name="concern_not_duplicate_of_itself"
            ),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES

    @property
    def is_public(self):
        return self.status in PUBLIC_STATUSES

    def is_overdue(self, now=None):
        """Open with its clock running (not 挂起) and past its resolution deadline."""
        return self.status in CLOCK_STATUSES and self.resolution_due < (now or timezone.now())

    def is_response_overdue(self, now=None):
        return (
            self.status in AWAITING_RESPONSE_STATUSES
            and self.responded_at is None
            and self.response_due < (now or timezone.now())
        )

    @property
    def reporter_phone_masked(self):
        return mask_phone(self.reporter_phone)

    @property
    def reporter_name_masked(self):
        return mask_name(self.reporter_name)

class ConcernEvent(models.Model):
    """办理记录: one row per transition or update, with who, when and why. `is_public` rows make
    the resident's and the board's timeline; internal notes never leave the staff pages."""

    # No index of its own: concern_event_timeline_idx leads with it.
    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="events", db_index=False
    )
    at = models.DateTimeField("时间", default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField("操作人", max_length=80, blank=True)
    kind = models.CharField("类型", max_length=20, choices=EventKind.choices)
    from_status = models.CharField("原状态", max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField("新状态", max_length=12, choices=Status.choices, blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name="部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    public_text = models.TextField("公开内容", blank=True)
    internal_note = models.TextField("内部备注", blank=True)
    reason = models.CharField("理由", max_length=500, blank=True)
    is_public = models.BooleanField("公开", default=False)
    data = models.JSONField("附加信息", default=dict, blank=True)

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["concern", "at"], name="concern_event_timeline_idx")]

    def __str__(self):
        return f"{self.concern_id} {self.get_kind_display()}"

    @property
    def public_actor_label(self):
        """Who acted, as the public timeline names it: a unit or the resident, never a person."""
        if self.actor_id is None:
            return "诉求人" if self.kind in RESIDENT_EVENT_KINDS else "系统"
        if self.department_id and self.kind not in (EventKind.DISPATCHED, EventKind.RECATEGORISED):
            return self.department.name
        return "民情受理中心"


def _photo_path(instance, filename):
    ext = os.path.splitext(filename)[1].lower()[:6]
    now = timezone.now()
    return f"concerns/{now:%Y/%m}/{uuid.uuid4().hex}{ext}"


MAX_PHOTOS_PER_CONCERN = 9


class PhotoKind(models.TextChoices):
    REPORTED = "reported", "诉求人"
    BEFORE = "before", "办理前"
    AFTER = "after", "办理后"


# Photos a handler attaches when resolving (办理前后对比); at most MAX_PHOTOS_PER_CONCERN of them,
# counted apart from the resident's.
RESOLUTION_PHOTO_KINDS = (PhotoKind.BEFORE, PhotoKind.AFTER)


class ConcernPhoto(models.Model):
    """诉求照片 (up to MAX_PHOTOS_PER_CONCERN per concern), stored through the storage API under a
    random name; served later through a view that checks who asks. `kind` says whose photo it is
    (the resident's, or the handler's 办理前/办理后); only photos staff published (`is_public`) are
    shown on the public board."""

    concern = models.ForeignKey(Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="photos")
    file = models.FileField("照片", upload_to=_photo_path)
    kind = models.CharField("照片类型", max_length=10, choices=PhotoKind.choices, default=PhotoKind.REPORTED)
    is_public = models.BooleanField("在公示栏公开", default=False)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "诉求照片"
        verbose_name_plural = "诉求照片"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.concern_id} 照片{self.pk}"


class PhotoSettings(models.Model):
    """照片公开设置 of a town: whether a newly uploaded photo shows on the public board before staff
    choose (default: no photo is public until a dispatcher or the department publishes it)."""

    town = models.OneToOneField(
        "org.Area", verbose_name="镇", on_delete=models.CASCADE, related_name="concern_photo_settings"
    )
    public_by_default = models.BooleanField(
        "新照片默认公开", default=False,
        help_text="不勾选时，照片须经工作人员审核、逐张选择后才在公示栏显示",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "照片公开设置"
        verbose_name_plural = "照片公开设置"

    def __str__(self):
        return f"{self.town} 照片公开设置"

    @classmethod
    def public_by_default_for(cls, town_id):
        """Whether a new photo of a concern in `town_id` starts public (False without a row)."""
        if town_id is None:
            return False
        return bool(cls.objects.filter(town_id=town_id).values_list("public_by_default", flat=True).first())


class FollowerSource(models.TextChoices):
    FOLLOW = "follow", "关注"
    DUPLICATE = "duplicate", "重复件转入"
    STAFF = "staff", "工作人员关注"


class ConcernFollower(models.Model):
    """关注: a resident (by a private token, optionally a phone for SMS) or a staff account that
    follows a concern. Followers of a duplicate move to its original."""

    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="followers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    token_hash = models.CharField("查询凭据哈希", max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField("短信通知电话", blank=True)
    # Blind index of the phone: how 我的反映 finds what a phone follows.
    phone_hash = models.CharField("电话索引", max_length=64, blank=True, db_index=True, editable=False)
    source = models.CharField(
        "来源", max_length=10, choices=FollowerSource.choices, default=FollowerSource.FOLLOW
    )
    created_at = models.DateTimeField("关注时间", default=timezone.now)

    class Meta:
        verbose_name = "关注人"
        verbose_name_plural = "关注人"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(token_hash=""),
                name="follower_has_user_or_token",
            ),
            models.UniqueConstraint(
                fields=["concern", "user"],
                condition=models.Q(user__isnull=False),
                name="follower_user_unique",
            ),
            models.UniqueConstraint(
                fields=["concern", "token_hash"],
                condition=~models.Q(token_hash=""),
                name="follower_token_unique",
            ),
        ]

    def __str__(self):
        return f"{self.concern_id} 关注人{self.pk}"


class ProjectStageKind(models.TextChoices):
    INITIATION = "initiation", "立项"
    DESIGN_REVIEW = "design_review", "初步设计评审"
    ESTIMATE_APPROVAL = "estimate_approval", "概算审批"
    BUDGET = "budget", "工程预算"
    FINANCE_APPROVAL = "finance_approval", "财政审批"
    TENDERING = "tendering", "招投标"
    CONSTRUCTION = "construction", "施工"
    COMPLETION = "completion", "竣工"


PROJECT_STAGE_ORDER = list(ProjectStageKind)


class Project(models.Model):
    """项目: works that one or more concerns need, moving through the eight stages in order.
    `progress` (0–100) is the overall figure for progress bars: finished stages plus the current
    stage's own percentage, each stage weighing one eighth."""

    name = models.CharField("项目名称", max_length=100)
    description = models.TextField("项目概况", blank=True)
    department = models.ForeignKey(
        "org.Department",
        verbose_name="牵头部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    town = models.ForeignKey(
        "org.Area", verbose_name="镇", null=True, on_delete=models.PROTECT, related_name="+"
    )
    stage = models.CharField(
        "当前阶段", max_length=20, choices=ProjectStageKind.choices, default=ProjectStageKind.INITIATION
    )
    progress = models.PositiveSmallIntegerField("总体进度(%)", default=0)
    # Where the works are (WGS-84); a project started from a concern takes the concern's point.
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    is_completed = models.BooleanField("已竣工", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = "项目"
        verbose_name_plural = "项目"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="project_progress_max_100"),
        ]

    def __str__(self):
        return self.name


class ProjectStage(models.Model):
    """项目阶段 with planned and actual dates and its own progress."""

    project = models.ForeignKey(Project, verbose_name="项目", on_delete=models.CASCADE, related_name="stages")
    kind = models.CharField("阶段", max_length=20, choices=ProjectStageKind.choices)
    order = models.PositiveSmallIntegerField("顺序")
    planned_start = models.DateField("计划开始", null=True, blank=True)
    planned_end = models.DateField("计划完成", null=True, blank=True)
    actual_start = models.DateField("实际开始", null=True, blank=True)
    actual_end = models.DateField("实际完成", null=True, blank=True)
    progress = models.PositiveSmallIntegerField("阶段进度(%)", default=0)
    note = models.TextField("说明", blank=True)

    class Meta:
        verbose_name = "项目阶段"
        verbose_name_plural = "项目阶段"
        ordering = ["project_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["project", "kind"], name="project_stage_unique"),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="project_stage_progress_max_100"
            ),
        ]

    def __str__(self):
        return f"{self.project} · {self.get_kind_display()}"

    @property
    def is_done(self):
        return self.actual_end is not None


def _document_path(instance, filename):
    ext = os.path.splitext(filename)[1].lower()[:6]
    return f"projects/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


class ProjectDocument(models.Model):
    """项目附件 (approvals, drawings, tender notices) attached to a stage."""

    stage = models.ForeignKey(
        ProjectStage, verbose_name="阶段", on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField("名称", max_length=100)
    file = models.FileField("文件", upload_to=_document_path)
    is_public = models.BooleanField("公开", default=True)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上传人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = "项目附件"
        verbose_name_plural = "项目附件"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.title


class SupervisionKind(models.TextChoices):
    OVERDUE_RESPONSE = "overdue_response", "超期未响应"
    OVERDUE_RESOLUTION = "overdue_resolution", "超期未办结"
    LEADER = "leader", "领导督办"


class Supervision(models.Model):
    """督办: raised automatically when a deadline passes (once per concern, kind and deadline) or by
    a leader; closed when the concern is resolved, declined or merged."""

    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="supervisions"
    )
    kind = models.CharField("类型", max_length=20, choices=SupervisionKind.choices)
    due_at = models.DateTimeField("所超时限", null=True, blank=True)
    note = models.CharField("督办意见", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="督办人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("督办时间", default=timezone.now)
    closed_at = models.DateTimeField("解除时间", null=True, blank=True)

    class Meta:
        verbose_name = "督办"
        verbose_name_plural = "督办"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["concern", "kind", "due_at"], name="supervision_once_per_deadline"
            ),
        ]

    def __str__(self):
        return f"{self.concern_id} {self.get_kind_display()}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


class DeadlineExtension(models.Model):
    """延期申请: the department asks (before the deadline) to move the resolution deadline to a
    later working day; a dispatcher or leader approves or refuses it with a note. At most one
    request per concern is pending."""

    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="extensions"
    )
    status = models.CharField("状态", max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    reason = models.CharField("延期理由", max_length=500)
    requested_date = models.DateField("申请延至")
    previous_due = models.DateTimeField("原办结截止")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="申请人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=300, blank=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["concern"], condition=models.Q(status="pending"), name="extension_one_pending"
            ),
        ]

    def __str__(self):
        return f"{self.concern_id} 延期至{self.requested_date:%Y-%m-%d} {self.get_status_display()}"


class Suspension(models.Model):
    """挂起: the concern waits on something outside the town's hands (a court, a season, a budget);
    its clock stops from `started_at` to `ended_at`, and on resuming its deadlines move by the
    working days it was suspended (`workdays`). At most one suspension per concern is open."""

    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="suspensions"
    )
    reason = models.CharField("挂起理由", max_length=500)
    expected_resume = models.DateField("预计恢复日期")
    # The state the concern returns to on resuming.
    from_status = models.CharField("挂起前状态", max_length=12, choices=Status.choices)
    started_at = models.DateTimeField("挂起时间", default=timezone.now)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="挂起人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField("恢复时间", null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="恢复人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    workdays = models.PositiveIntegerField("挂起工作日", null=True, blank=True)

    class Meta:
        verbose_name = "挂起"
        verbose_name_plural = "挂起"
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["concern"], condition=models.Q(ended_at__isnull=True), name="suspension_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.concern_id} 挂起{self.started_at:%Y-%m-%d}"


class CallBack(models.Model):
    """回访: the resident's verdict on a resolution, by phone or on the follow page. Two answers,
    as in 接诉即办: whether the problem is solved, and how satisfied they are."""

    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="call_backs"
    )
    result = models.CharField("满意度", max_length=20, choices=CallBackResult.choices)
    solved = models.BooleanField("问题已解决", null=True, blank=True)  # None: 联系不上
    channel = models.CharField("回访方式", max_length=12, choices=CallBackChannel.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回访人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("回访时间", default=timezone.now)
    note = models.TextField("回访记录", blank=True)
    round = models.PositiveSmallIntegerField("办理轮次", default=1)

    class Meta:
        verbose_name = "回访"
        verbose_name_plural = "回访"
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.concern_id} {self.get_result_display()}"


class CallBackAttempt(models.Model):
    """回访尝试: one try to reach the resident for the call-back that did not get through (no
    answer, switched off, a visit finding nobody home). 联系不上 may be recorded once the attempts
    of the current round (办理轮次) fall on settings.ZHENWU_CALLBACK_ATTEMPTS different working
    days (zhenwu.concerns.callbacks)."""

    # No index of its own: callback_attempt_round_idx leads with it.
    concern = models.ForeignKey(
        Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="call_back_attempts", db_index=False
    )
    round = models.PositiveSmallIntegerField("办理轮次", default=1)
    at = models.DateTimeField("时间", default=timezone.now)
    channel = models.CharField("方式", max_length=8, choices=AttemptChannel.choices, default=AttemptChannel.PHONE)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="回访人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField("情况", max_length=200, blank=True)

    class Meta:
        verbose_name = "回访尝试"
        verbose_name_plural = "回访尝试"
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["concern", "round", "at"], name="callback_attempt_round_idx")]

    def __str__(self):
        return f"{self.concern_id} 第{self.round}轮 {self.at:%Y-%m-%d}"


class ReplyTemplate(models.Model):
    """答复模板 per state: text a dispatcher or handler starts from. Placeholders: {reference},
    {category}, {department}, {village}, {due_date}."""

    status = models.CharField("适用状态", max_length=12, choices=Status.choices)
    title = models.CharField("名称", max_length=50)
    text = models.TextField("模板内容")
    is_active = models.BooleanField("启用", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "答复模板"
        verbose_name_plural = "答复模板"
        ordering = ["status", "sort_order", "id"]

    def __str__(self):
        return f"{self.get_status_display()} · {self.title}"

    def render(self, concern):
        """The template filled in for `concern`; unknown placeholders are left as written."""
        values = {
            "reference": concern.reference,
            "category": concern.category.name,
            "department": concern.department.name if concern.department_id else "",
            "village": concern.village.name if concern.village_id else "",
            "due_date": f"{timezone.localtime(concern.resolution_due):%Y年%m月%d日}",
        }

        class _Keep(dict):
            def __missing__(self, key):
                return "{" + key + "}"

        try:
            return self.text.format_map(_Keep(values))
        except (ValueError, IndexError):
            return self.text


class Notification(models.Model):
    """站内通知 for a staff account: new dispatches, returns, supervision."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="接收人",
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    text = models.CharField("内容", max_length=300)
    link = models.CharField("链接", max_length=200, blank=True)
    concern = models.ForeignKey(
        Concern, verbose_name="诉求", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = "站内通知"
        verbose_name_plural = "站内通知"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "created_at"], name="notification_inbox_idx")]

    def __str__(self):
        return self.text[:40]


# --- Open311 service attributes ---------------------------------------------------------------


class AttributeDatatype(models.TextChoices):
    STRING = "string", "单行文字"
    NUMBER = "number", "数字"
    DATETIME = "datetime", "日期时间"
    TEXT = "text", "多行文字"
    SINGLE = "singlevaluelist", "单选"
    MULTI = "multivaluelist", "多选"


class ServiceAttribute(models.Model):
    """诉求类别的补充问题 (an Open311 service attribute): an extra question asked for every concern
    of a category. `values` lists the choices of a list question as [{"key": ..., "name": ...}]."""

    category = models.ForeignKey(
        Category, verbose_name="类别", on_delete=models.CASCADE, related_name="attributes"
    )
    code = models.CharField("代码", max_length=40)
    datatype = models.CharField("类型", max_length=16, choices=AttributeDatatype.choices)
    required = models.BooleanField("必填", default=False)
    description = models.CharField("问题", max_length=200)
    datatype_description = models.CharField("填写说明", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField("顺序")
    values = models.JSONField("选项", default=list, blank=True)

    class Meta:
        verbose_name = "补充问题"
        verbose_name_plural = "补充问题"
        ordering = ["category_id", "order"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="service_attribute_code_unique"),
            models.UniqueConstraint(fields=["category", "order"], name="service_attribute_order_unique"),
            models.CheckConstraint(condition=models.Q(order__gte=1), name="service_attribute_order_positive"),
        ]

    def __str__(self):
        return f"{self.category} · {self.description}"

    @property
    def is_list(self):
        return self.datatype in (AttributeDatatype.SINGLE, AttributeDatatype.MULTI)

    @property
    def choices(self):
        """The well-formed options of a list question as [(key, name)], in their order."""
        if not self.is_list or not isinstance(self.values, list):
            return []
        return [
            (str(v["key"]), str(v.get("name", v["key"])))
            for v in self.values
            if isinstance(v, dict) and str(v.get("key", "")).strip()
        ]

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.is_list:
            if not isinstance(self.values, list) or not self.values or len(self.choices) != len(self.values):
                raise ValidationError({"values": '单选、多选问题须填写选项，格式如 [{"key": "a", "name": "选项A"}]'})
            keys = [key for key, _ in self.choices]
            if len(keys) != len(set(keys)):
                raise ValidationError({"values": "选项的key不能重复"})
        elif self.values:
            raise ValidationError({"values": "只有单选、多选问题才有选项"})


class RateMonth(models.Model):
    """A settled month whose three rates are kept in RateSummary (zhenwu.concerns.rates_summary).
    Database triggers on the concerns table add one to `version` whenever a concern of the month
    is inserted, changed or deleted, however it is written; the summary counts only while it was
    computed at the current version."""

    month = models.DateField("登记月份", primary_key=True)
    version = models.BigIntegerField("变更次数", default=0)
    summarised_version = models.BigIntegerField("汇总时的变更次数", null=True, blank=True)
    # False when, at computing, a dispatched concern without a response still had its response
    # deadline ahead: the month's 响应率 then moves with time alone, so it is computed live.
    settled = models.BooleanField("已稳定", default=False)
    computed_at = models.DateTimeField("汇总时间", null=True, blank=True)

    class Meta:
        verbose_name = "三率月度汇总"
        verbose_name_plural = "三率月度汇总"

    def __str__(self):
        return f"{self.month:%Y-%m}"


class RateSummary(models.Model):
    """One (month, town, department) group of a settled month: the counts of
    zhenwu.concerns.rates.COUNT_FIELDS and the histogram of working days to resolve."""

    month = models.DateField("登记月份")
    town_id = models.BigIntegerField("镇", null=True)
    department_id = models.BigIntegerField("承办部门", null=True)
    received = models.PositiveIntegerField(default=0)
    due_for_response = models.PositiveIntegerField(default=0)
    responded_in_time = models.PositiveIntegerField(default=0)
    assessed = models.PositiveIntegerField(default=0)
    solved = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    basically_satisfied = models.PositiveIntegerField(default=0)
    unsatisfied = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)
    histogram = models.TextField("办结用时分布", default="[]")  # JSON [working days, concerns, ...]

    class Meta:
        verbose_name = "三率汇总"
        verbose_name_plural = "三率汇总"
        indexes = [models.Index(fields=["month", "town_id"], name="concern_rate_summary_idx")]

    def __str__(self):
        return f"{self.month:%Y-%m} 镇{self.town_id} 部门{self.department_id}"


class RecoveredLink(models.Model):
    """找回的查询链接: a private follow link 我的反映 gave a verified phone for one of its concerns.
    The reporter's phone gets the reporter's rights (the call-back), a follower's a follower's.
    One per phone and concern (a new one replaces the last); kept apart from the followers, so
    it neither texts nor counts anyone twice, and stays with its concern when that is merged."""

    concern = models.ForeignKey(Concern, verbose_name="诉求", on_delete=models.PROTECT, related_name="+")
    phone_hash = models.CharField("电话索引", max_length=64, editable=False)
    token_hash = models.CharField("查询凭据哈希", max_length=64, unique=True, editable=False)
    is_reporter = models.BooleanField("反映人本人", default=False)
    created_at = models.DateTimeField("找回时间", default=timezone.now)

    class Meta:
        verbose_name = "找回的查询链接"
        verbose_name_plural = "找回的查询链接"
        constraints = [
            models.UniqueConstraint(fields=["concern", "phone_hash"], name="recovered_link_one_per_phone"),
        ]

    def __str__(self):
        return f"{self.concern_id} 找回链接{self.pk}"


class PhoneCode(models.Model):
    """短信验证码 of 我的反映: a one-time code sent to a resident's phone. Only keyed hashes are
    kept (of the phone and of the code); a code is spent by its first correct use, dies after a
    few wrong ones, and expires within minutes."""

    phone_hash = models.CharField("电话索引", max_length=64, editable=False)
    code_hash = models.CharField("验证码哈希", max_length=64, editable=False)
    created_at = models.DateTimeField("发送时间", default=timezone.now)
    expires_at = models.DateTimeField("失效时间")
    failed_attempts = models.PositiveSmallIntegerField("错误次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "短信验证码"
        verbose_name_plural = "短信验证码"
        indexes = [models.Index(fields=["phone_hash", "created_at"], name="phonecode_phone_created")]

    def __str__(self):
        return f"验证码{self.pk}"
