"""学习教育: campaigns and their items, study sessions with sign-in, leave, make-up tasks and home
lessons, mentoring, instructors, the branch site checklist and study packs.

Coverage (不落一人) is not stored: it is read from attendance, confirmed home lessons and approved
leave by the queries in coverage.py.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from zhenwu.org.models import Member, PartyOrg

USER = settings.AUTH_USER_MODEL


def _upload_path(folder, filename):
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"study/{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


def material_path(instance, filename):
    return _upload_path("materials", filename)


def lesson_photo_path(instance, filename):
    return _upload_path("home-lessons", filename)


def site_photo_path(instance, filename):
    return _upload_path("site-checks", filename)


def note_photo_path(instance, filename):
    return _upload_path("notes", filename)


# --- campaigns ------------------------------------------------------------------------------------


class Campaign(models.Model):
    """主题教育: a campaign with required and optional items, run for some party organisations
    (each with everything under it) over a period."""

    name = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    party_orgs = models.ManyToManyField(PartyOrg, verbose_name="参加党组织", related_name="study_campaigns")
    created_by = models.ForeignKey(USER, verbose_name="创建人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        verbose_name = "主题教育"
        verbose_name_plural = "主题教育"
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="campaign_period_valid"),
        ]

    def __str__(self):
        return self.name


class ItemKind(models.TextChoices):
    REQUIRED = "required", "规定动作"
    OPTIONAL = "optional", "自选动作"


class NotesRule(models.TextChoices):
    """Whether taking part in a session completes an item only with the member's 学习笔记 of it."""

    NONE = "", "不要求学习笔记"
    SUBMITTED = "submitted", "须提交学习笔记"
    CHECKED = "checked", "须提交学习笔记并经书记审阅"


class CampaignItem(models.Model):
    """规定动作 / 自选动作 of a campaign: what a member must (or may) take part in. With a notes rule,
    a member who attended completes it only once their notes of that session meet the rule
    (coverage.py)."""

    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", on_delete=models.CASCADE, related_name="items")
    kind = models.CharField("类型", max_length=10, choices=ItemKind.choices, default=ItemKind.REQUIRED)
    title = models.CharField("名称", max_length=100)
    description = models.TextField("说明", blank=True)
    due_on = models.DateField("完成期限", null=True, blank=True)
    position = models.PositiveSmallIntegerField("顺序", default=0)
    notes_rule = models.CharField("学习笔记要求", max_length=10, choices=NotesRule.choices, blank=True, default="")

    class Meta:
        verbose_name = "学习项目"
        verbose_name_plural = "学习项目"
        ordering = ["campaign_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "title"], name="campaign_item_title_unique"),
            models.CheckConstraint(condition=models.Q(kind__in=ItemKind.values), name="campaign_item_kind_valid"),
            models.CheckConstraint(condition=models.Q(notes_rule__in=NotesRule.values),
                                   name="campaign_item_notes_rule_valid"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_required(self):
        return self.kind == ItemKind.REQUIRED


# --- sessions -------------------------------------------------------------------------------------


class SessionKind(models.TextChoices):
    MOBILISATION = "mobilisation", "动员部署会"
    STUDY_CLASS = "study_class", "学习班"
    PARTY_LESSON = "party_lesson", "党课"
    THEMED_LESSON = "themed_lesson", "专题党课"
    PARTY_DAY = "party_day", "主题党日"
    STORY_MEETING = "story_meeting", "故事会"
    GRASSROOTS_TALK = "grassroots_talk", "草根宣讲"


class VenueKind(models.TextChoices):
    SERVICE_CENTRE = "service_centre", "党群服务中心"
    MEETING_ROOM = "meeting_room", "会议室"
    CULTURAL_SQUARE = "cultural_square", "文化广场"
    FARMYARD = "farmyard", "农家院落"
    TEA_ROOM = "tea_room", "民情茶室"
    OTHER = "other", "其他"


class StudySession(models.Model):
    """学习: one class, lesson, themed party day, story meeting or talk, at a venue, for the members
    of some party organisations; it may satisfy items of its campaign."""

    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="sessions")
    kind = models.CharField("形式", max_length=20, choices=SessionKind.choices)
    title = models.CharField("名称", max_length=120)
    topic = models.CharField("主题", max_length=200, blank=True)
    speaker = models.CharField("主讲人", max_length=50, blank=True)
    venue_kind = models.CharField("场地类型", max_length=20, choices=VenueKind.choices, default=VenueKind.SERVICE_CENTRE)
    venue = models.CharField("地点", max_length=100, blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    party_orgs = models.ManyToManyField(PartyOrg, verbose_name="参加党组织", related_name="study_sessions")
    items = models.ManyToManyField(CampaignItem, verbose_name="对应学习项目", through="SessionItem", blank=True,
                                   related_name="sessions")
    is_featured = models.BooleanField("特色党课专场", default=False)
    summary = models.TextField("学习情况", blank=True)
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "学习活动"
        verbose_name_plural = "学习活动"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at"], name="study_session_start_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="session_period_valid"),
            models.CheckConstraint(condition=models.Q(kind__in=SessionKind.values), name="session_kind_valid"),
        ]

    def __str__(self):
        return self.title

    def has_ended(self, now=None):
        return (now or timezone.now()) >= self.ends_at

    @property
    def venue_label(self):
        label = self.get_venue_kind_display()
        return f"{label}·{self.venue}" if self.venue else label


class SessionItem(models.Model):
    """Which campaign items a session satisfies (attending it completes them)."""

    session = models.ForeignKey(StudySession, on_delete=models.CASCADE, related_name="session_items")
    item = models.ForeignKey(CampaignItem, on_delete=models.PROTECT, related_name="session_items")

    class Meta:
        verbose_name = "活动对应项目"
        verbose_name_plural = "活动对应项目"
        constraints = [models.UniqueConstraint(fields=["session", "item"], name="session_item_unique")]
        indexes = [models.Index(fields=["item", "session"], name="study_session_item_idx")]

    def __str__(self):
        return f"{self.session_id}→{self.item_id}"


class SessionMaterial(models.Model):
    """学习材料 of a session, kept through the storage API and served by an access-checked view."""

    session = models.ForeignKey(StudySession, verbose_name="学习活动", on_delete=models.PROTECT,
                                related_name="materials")
    title = models.CharField("名称", max_length=120)
    file = models.FileField("文件", upload_to=material_path)
    filename = models.CharField("原文件名", max_length=200)
    content_type = models.CharField("类型", max_length=100)
    size = models.PositiveIntegerField("大小(字节)")
    uploaded_by = models.ForeignKey(USER, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "学习材料"
        verbose_name_plural = "学习材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.title


class SignInMethod(models.TextChoices):
    QR = "qr", "扫码签到"
    QR_OFFLINE = "qr_offline", "离线扫码"
    ROSTER = "roster", "点名签到"
    LATE = "late", "会后补签"


class Attendance(models.Model):
    """签到: a member was present at a session (by QR code, the secretary's roster, or a late
    sign-in after the session with a reason)."""

    session = models.ForeignKey(StudySession, verbose_name="学习活动", on_delete=models.PROTECT,
                                related_name="attendances")
    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="study_attendances")
    method = models.CharField("签到方式", max_length=10, choices=SignInMethod.choices)
    signed_at = models.DateTimeField("签到时间", default=timezone.now)
    reason = models.CharField("补签原因", max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = "签到"
        verbose_name_plural = "签到"
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="attendance_once_per_session"),
            models.CheckConstraint(condition=~models.Q(method="late") | ~models.Q(reason=""),
                                   name="attendance_late_has_reason"),
        ]
        indexes = [models.Index(fields=["member", "session"], name="study_attendance_member_idx")]

    def __str__(self):
        return f"{self.member_id}@{self.session_id}"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已准假"
    DECLINED = "declined", "未准假"


class LeaveRequest(models.Model):
    """请假: a member asks to be excused from a session, with a reason; the secretary decides."""

    session = models.ForeignKey(StudySession, verbose_name="学习活动", on_delete=models.PROTECT,
                                related_name="leave_requests")
    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="study_leaves")
    reason = models.CharField("请假事由", max_length=200)
    status = models.CharField("状态", max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    requested_by = models.ForeignKey(USER, verbose_name="申请人", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField("申请时间", default=timezone.now)
    decided_by = models.ForeignKey(USER, verbose_name="审批人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        ordering = ["-requested_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["session", "member"], name="leave_once_per_session")]
        indexes = [models.Index(fields=["member", "status"], name="study_leave_member_idx")]

    def __str__(self):
        return f"{self.member_id} 请假 {self.session_id}"


class NoteStatus(models.TextChoices):
    SUBMITTED = "submitted", "待审阅"
    CHECKED = "checked", "已审阅"
    RETURNED = "returned", "退回补充"


class StudyNote(models.Model):
    """学习笔记: a member's notes of a session they attended — typed, a photo of the notebook page, or
    both — which the branch secretary checks (已审阅) or returns for more (退回补充) with a comment.
    One per member and session; a checked note is final."""

    session = models.ForeignKey(StudySession, verbose_name="学习活动", on_delete=models.PROTECT, related_name="notes")
    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="study_notes")
    text = models.TextField("笔记内容", blank=True)
    photo = models.FileField("笔记照片", upload_to=note_photo_path, blank=True)
    photo_content_type = models.CharField("照片类型", max_length=40, blank=True)
    status = models.CharField("状态", max_length=10, choices=NoteStatus.choices, default=NoteStatus.SUBMITTED)
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)
    checked_by = models.ForeignKey(USER, verbose_name="审阅人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    checked_at = models.DateTimeField("审阅时间", null=True, blank=True)
    check_comment = models.CharField("审阅意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "学习笔记"
        verbose_name_plural = "学习笔记"
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="study_note_once_per_session"),
            models.CheckConstraint(condition=~models.Q(text="") | ~models.Q(photo=""), name="study_note_not_empty"),
            models.CheckConstraint(condition=models.Q(status__in=NoteStatus.values), name="study_note_status_valid"),
        ]
        indexes = [
            models.Index(fields=["member", "session"], name="study_note_member_idx"),
            models.Index(fields=["status", "session"], name="study_note_status_idx"),
        ]

    def __str__(self):
        return f"{self.member_id} 笔记 {self.session_id}"

    @property
    def is_checked(self):
        return self.status == NoteStatus.CHECKED


# --- home lessons and mentoring -------------------------------------------------------------------


class Confirmation(models.TextChoices):
    SIGNED = "signed", "本人签字"
    THUMBPRINT = "thumbprint", "本人按手印"
    FAMILY = "family", "家属代签"
    APP = "app", "本人手机确认"


class HomeLesson(models.Model):
    """送学上门 / "一个人的党课": a mentor teaches one member at home (or by phone for a migrant
    member). It makes up the items it names once the member has confirmed it."""

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="home_lessons")
    mentor = models.ForeignKey(Member, verbose_name="送学人", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="lessons_given")
    # An instructor (主题教育指导员, an account, often not a member of the branch) who delivered it.
    instructor = models.ForeignKey(USER, verbose_name="送学指导员", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="home_lessons_given")
    given_on = models.DateField("送学日期")
    content = models.TextField("学习内容")
    items = models.ManyToManyField(CampaignItem, verbose_name="补学项目", through="HomeLessonItem",
                                   related_name="home_lessons")
    confirmation = models.CharField("本人确认方式", max_length=12, choices=Confirmation.choices)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)
    photo = models.FileField("照片", upload_to=lesson_photo_path, blank=True)
    photo_content_type = models.CharField("照片类型", max_length=40, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "送学上门"
        verbose_name_plural = "送学上门"
        ordering = ["-given_on", "-id"]
        indexes = [models.Index(fields=["member", "confirmed_at"], name="study_lesson_member_idx")]

    def __str__(self):
        return f"{self.member_id} {self.given_on}"

    @property
    def is_confirmed(self):
        return self.confirmed_at is not None

    @property
    def deliverer_label(self):
        """送学人 as shown: the instructor (指导员) and/or the member mentor who taught. A lesson that
        names neither was delivered by the person who recorded it (the form's old "本人（登记人）")."""
        parts = []
        if self.instructor_id:
            parts.append(f"{self.instructor.display_name}（指导员）")
        if self.mentor_id:
            parts.append(self.mentor.name)
        if not parts and self.recorded_by_id:
            parts.append(f"{self.recorded_by.display_name}（登记人）")
        return "、".join(parts)


class HomeLessonItem(models.Model):
    lesson = models.ForeignKey(HomeLesson, on_delete=models.CASCADE, related_name="lesson_items")
    item = models.ForeignKey(CampaignItem, on_delete=models.PROTECT, related_name="lesson_items")

    class Meta:
        verbose_name = "送学补学项目"
        verbose_name_plural = "送学补学项目"
        constraints = [models.UniqueConstraint(fields=["lesson", "item"], name="home_lesson_item_unique")]
        indexes = [models.Index(fields=["item", "lesson"], name="study_lesson_item_idx")]

    def __str__(self):
        return f"{self.lesson_id}→{self.item_id}"


class MakeUpReason(models.TextChoices):
    FLAGGED = "flagged", "年老体弱、患病或流动，需送学上门"
    ABSENT = "absent", "缺席集中学习"
    LEAVE = "leave", "请假未参加"


class MakeUpStatus(models.TextChoices):
    OPEN = "open", "待补学"
    MADE_UP = "made_up", "已送学补学"
    ATTENDED = "attended", "已参加集中学习"


class MakeUpTask(models.Model):
    """补学任务: a required item a member still has to make up, usually by a home lesson."""

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="makeup_tasks")
    item = models.ForeignKey(CampaignItem, verbose_name="学习项目", on_delete=models.PROTECT,
                             related_name="makeup_tasks")
    reason = models.CharField("原因", max_length=10, choices=MakeUpReason.choices)
    status = models.CharField("状态", max_length=10, choices=MakeUpStatus.choices, default=MakeUpStatus.OPEN)
    created_at = models.DateTimeField("生成时间", default=timezone.now)
    closed_at = models.DateTimeField("完成时间", null=True, blank=True)
    lesson = models.ForeignKey(HomeLesson, verbose_name="送学记录", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="tasks")

    class Meta:
        verbose_name = "补学任务"
        verbose_name_plural = "补学任务"
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["member", "item"], name="makeup_task_unique")]
        indexes = [models.Index(fields=["status", "member"], name="study_makeup_open_idx")]

    def __str__(self):
        return f"{self.member_id} 补学 {self.item_id}"


class Mentorship(models.Model):
    """帮学结对: a mentor and one (1+1) or several (1+N) members they help study."""

    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="mentorships")
    mentor = models.ForeignKey(Member, verbose_name="帮学人", on_delete=models.PROTECT, related_name="mentorships_led")
    mentees = models.ManyToManyField(Member, verbose_name="帮学对象", related_name="mentorships")
    started_on = models.DateField("结对日期")
    ended_on = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "帮学结对"
        verbose_name_plural = "帮学结对"
        ordering = ["-started_on", "-id"]

    def __str__(self):
        return f"{self.mentor_id} 帮学"

    @property
    def is_active(self):
        return self.ended_on is None


# --- instructors ----------------------------------------------------------------------------------


class InstructorAssignment(models.Model):
    """主题教育指导员 assigned to a party organisation (and everything under it)."""

    instructor = models.ForeignKey(USER, verbose_name="指导员", on_delete=models.CASCADE,
                                   related_name="study_assignments")
    party_org = models.ForeignKey(PartyOrg, verbose_name="指导党组织", on_delete=models.PROTECT,
                                  related_name="instructor_assignments")
    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="instructor_assignments")
    assigned_by = models.ForeignKey(USER, verbose_name="选派人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    assigned_at = models.DateTimeField("选派时间", default=timezone.now)

    class Meta:
        verbose_name = "指导员选派"
        verbose_name_plural = "指导员选派"
        ordering = ["instructor_id", "party_org_id"]
        constraints = [models.UniqueConstraint(fields=["instructor", "party_org"], name="instructor_assignment_unique")]

    def __str__(self):
        return f"{self.instructor_id} → {self.party_org_id}"


class Guidance(models.Model):
    """指导记录: an instructor's visit to a branch: what they found, advised and what follows."""

    instructor = models.ForeignKey(USER, verbose_name="指导员", on_delete=models.PROTECT, related_name="+")
    party_org = models.ForeignKey(PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="guidance")
    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="guidance")
    visited_on = models.DateField("指导日期")
    findings = models.TextField("发现问题")
    advice = models.TextField("指导意见")
    follow_up = models.TextField("整改跟进", blank=True)
    follow_up_done_on = models.DateField("整改完成日期", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "指导记录"
        verbose_name_plural = "指导记录"
        ordering = ["-visited_on", "-id"]

    def __str__(self):
        return f"{self.party_org_id} {self.visited_on}"


# The branch's five standards (支部"五化"), each scored out of 20.
FIVE_STANDARDS = [
    ("score_organisation", "组织设置标准化"),
    ("score_activities", "组织生活正常化"),
    ("score_management", "党员管理精细化"),
    ("score_site", "阵地建设规范化"),
    ("score_support", "工作保障制度化"),
]
STANDARD_MAX = 20


def _score_field(label):
    return models.PositiveSmallIntegerField(label, default=0)


class SiteCheck(models.Model):
    """阵地"五化"检查: a branch's site checked against the five standards, with photos."""

    party_org = models.ForeignKey(PartyOrg, verbose_name="党组织", on_delete=models.PROTECT, related_name="site_checks")
    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="site_checks")
    checked_on = models.DateField("检查日期")
    checked_by = models.ForeignKey(USER, verbose_name="检查人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    score_organisation = _score_field("组织设置标准化")
    score_activities = _score_field("组织生活正常化")
    score_management = _score_field("党员管理精细化")
    score_site = _score_field("阵地建设规范化")
    score_support = _score_field("工作保障制度化")
    notes = models.TextField("检查意见", blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "阵地五化检查"
        verbose_name_plural = "阵地五化检查"
        ordering = ["-checked_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(**{f"{name}__lte": STANDARD_MAX}), name=f"site_check_{name}_max")
            for name, _ in FIVE_STANDARDS
        ]

    def __str__(self):
        return f"{self.party_org_id} {self.checked_on}"

    @property
    def total(self):
        return sum(getattr(self, name) for name, _ in FIVE_STANDARDS)

    def scores(self):
        return [(label, getattr(self, name)) for name, label in FIVE_STANDARDS]


class SiteCheckPhoto(models.Model):
    site_check = models.ForeignKey(SiteCheck, verbose_name="检查", on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=site_photo_path)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "阵地照片"
        verbose_name_plural = "阵地照片"
        ordering = ["id"]

    def __str__(self):
        return f"{self.site_check_id} 照片{self.pk}"


# --- study packs ----------------------------------------------------------------------------------


class StudyPack(models.Model):
    """学习资料包 such as the 初心大礼包 handed to members, each hand-out receipted."""

    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="packs")
    name = models.CharField("名称", max_length=100)
    contents = models.TextField("内容清单")
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "学习资料包"
        verbose_name_plural = "学习资料包"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.name


class PackHandout(models.Model):
    """发放签收: one pack handed to one member; received once signed for (or confirmed by phone)."""

    pack = models.ForeignKey(StudyPack, verbose_name="资料包", on_delete=models.PROTECT, related_name="handouts")
    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.PROTECT, related_name="pack_handouts")
    handed_on = models.DateField("发放日期")
    handed_by = models.ForeignKey(USER, verbose_name="发放人", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    receipt = models.CharField("签收方式", max_length=12, choices=Confirmation.choices)
    received_at = models.DateTimeField("签收时间", null=True, blank=True)

    class Meta:
        verbose_name = "资料发放"
        verbose_name_plural = "资料发放"
        ordering = ["-handed_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["pack", "member"], name="pack_handout_once")]

    def __str__(self):
        return f"{self.pack_id} → {self.member_id}"


# --- notices --------------------------------------------------------------------------------------


class StudyNotice(models.Model):
    """学习提醒 for a staff account, e.g. the list of members still missing required items."""

    recipient = models.ForeignKey(USER, verbose_name="接收人", on_delete=models.CASCADE, related_name="study_notices")
    campaign = models.ForeignKey(Campaign, verbose_name="主题教育", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="+")
    party_org = models.ForeignKey(PartyOrg, verbose_name="党组织", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="+")
    text = models.CharField("内容", max_length=300)
    link = models.CharField("链接", max_length=200, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "学习提醒"
        verbose_name_plural = "学习提醒"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="study_notice_inbox_idx")]

    def __str__(self):
        return self.text[:40]
