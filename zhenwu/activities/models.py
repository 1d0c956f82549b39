"""活动与志愿: activities run by a department or a party organisation (volunteer work, visits to the
elderly, patrols, talks, exhibitions, contests, meetings of returning migrant members), who took part
and in what role, volunteer hours confirmed by the organiser, beneficiaries and photos; contests
(征文, 演讲, 书画摄影) with entries, judges' scores and awards; role models (榜样) whose stories serve
as study material.

Volunteer hours count only once confirmed (`hours_confirmed_at`); rankings and ledgers read them
from Participation through the queries in ranking.py.
"""

import os
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from zhenwu.org.models import Area, Department, Member, PartyOrg, Resident
from zhenwu.study.models import Campaign, StudySession

USER = settings.AUTH_USER_MODEL


def _upload_path(folder, filename):
    ext = os.path.splitext(filename)[1].lower()[:8]
    return f"activities/{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{ext}"


def activity_photo_path(instance, filename):
    return _upload_path("photos", filename)


def entry_file_path(instance, filename):
    return _upload_path("entries", filename)


def role_model_photo_path(instance, filename):
    return _upload_path("role-models", filename)


# --- activities -----------------------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    VOLUNTEER = "volunteer", "志愿服务"
    CARE_VISIT = "care_visit", "慰问"
    LABOUR = "labour", "义务劳动"
    PATROL = "patrol", "巡逻"
    TALK = "talk", "宣讲"
    EXHIBITION = "exhibition", "展览"
    CONTEST = "contest", "比赛"
    RETURN_MEETING = "return_meeting", "返乡座谈"
    CULTURE = "culture", "文艺活动"
    OTHER = "other", "其他"


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .access import scope_q

        q = scope_q(user)
        if q is None:
            return self.none()
        return self.filter(pk__in=Activity.objects.filter(q).values("pk"))

    def held_between(self, start, end):
        """Activities starting between the local dates `start` and `end` (both included)."""
        from zhenwu.workdays import calendar as workdays

        return self.filter(starts_at__gte=workdays.start_of_day(start), starts_at__lte=workdays.end_of_day(end))

    def in_area(self, area):
        return self.filter(area__path__startswith=area.path)


class Activity(models.Model):
    """活动: one event at a place and time, organised by a department (条线) or a party
    organisation, possibly serving a campaign."""

    kind = models.CharField("类型", max_length=20, choices=ActivityKind.choices)
    title = models.CharField("名称", max_length=120)
    summary = models.TextField("活动情况", blank=True)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间", null=True, blank=True)
    place = models.CharField("地点", max_length=100)
    area = models.ForeignKey(Area, verbose_name="所属区域", on_delete=models.PROTECT, related_name="activities")
    department = models.ForeignKey(Department, verbose_name="组织部门", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="activities")
    party_org = models.ForeignKey(PartyOrg, verbose_name="组织党组织", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="activities")
    campaign = models.ForeignKey(Campaign, verbose_name="服务的主题教育", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="activities")
    beneficiary_count = models.PositiveIntegerField("受益人数", default=0)
    beneficiary_description = models.CharField("受益对象", max_length=200, blank=True)
    beneficiaries = models.ManyToManyField(Resident, verbose_name="受益居民", through="Beneficiary", blank=True,
                                           related_name="benefited_activities")
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = "活动"
        verbose_name_plural = "活动"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["starts_at"], name="activity_start_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ActivityKind.values), name="activity_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(department__isnull=False) | models.Q(party_org__isnull=False),
                name="activity_has_organiser",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gte=models.F("starts_at")),
                name="activity_period_valid",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def organiser_label(self):
        parts = [str(x) for x in (self.department, self.party_org) if x is not None]
        return "、".join(parts)


class ParticipationRole(models.TextChoices):
    ORGANISER = "organiser", "组织者"
    VOLUNTEER = "volunteer", "志愿者"
    PARTICIPANT = "participant", "参与者"


class Participation(models.Model):
    """参与: a member, a resident or a person named in free text took part in an activity. A
    volunteer's hours count once the organiser has confirmed them."""

    activity = models.ForeignKey(Activity, verbose_name="活动", on_delete=models.CASCADE,
                                 related_name="participations")
    role = models.CharField("角色", max_length=12, choices=ParticipationRole.choices)
    member = models.ForeignKey(Member, verbose_name="党员", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="participations")
    resident = models.ForeignKey(Resident, verbose_name="居民", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="participations")
    person_name = models.CharField("姓名", max_length=50, blank=True)
    hours = models.DecimalField("服务时长(小时)", max_digits=5, decimal_places=1, null=True, blank=True)
    hours_confirmed_at = models.DateTimeField("时长确认时间", null=True, blank=True)
    hours_confirmed_by = models.ForeignKey(USER, verbose_name="时长确认人", null=True, blank=True,
                                           on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "活动参与"
        verbose_name_plural = "活动参与"
        ordering = ["activity_id", "role", "id"]
        indexes = [
            models.Index(fields=["member", "hours_confirmed_at"], name="activity_part_member_idx"),
            models.Index(fields=["activity", "role"], name="activity_part_role_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(role__in=ParticipationRole.values),
                                   name="participation_role_valid"),
            models.CheckConstraint(
                condition=models.Q(member__isnull=False) | models.Q(resident__isnull=False) | ~models.Q(person_name=""),
                name="participation_has_person",
            ),
            models.CheckConstraint(condition=models.Q(hours__isnull=True) | models.Q(hours__gte=0),
                                   name="participation_hours_positive"),
            models.UniqueConstraint(fields=["activity", "member"], condition=models.Q(member__isnull=False),
                                    name="participation_member_once"),
            models.UniqueConstraint(fields=["activity", "resident"], condition=models.Q(resident__isnull=False),
                                    name="participation_resident_once"),
        ]

    def __str__(self):
        return f"{self.person_label} @ {self.activity_id}"

    @property
    def person_label(self):
        if self.member_id:
            return self.member.name
        if self.resident_id:
            return self.resident.name
        return self.person_name

    @property
    def hours_confirmed(self):
        return self.hours_confirmed_at is not None


class Beneficiary(models.Model):
    """受益人: someone an activity served, by name — a resident of the town picked from the roll, or a
    person typed in who is not on it (a name and a note) — with who of the activity visited them and
    what they were given. The activity's declared `beneficiary_count` stays the total where not
    everyone is named; zhenwu.activities.beneficiaries.beneficiary_total states how the two combine."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="beneficiary_rows")
    resident = models.ForeignKey(Resident, verbose_name="居民", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    person_name = models.CharField("姓名", max_length=50, blank=True)
    note = models.CharField("备注", max_length=100, blank=True)
    visited_by = models.ForeignKey(Participation, verbose_name="走访人", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="visited_beneficiaries")
    gift = models.CharField("慰问品/服务内容", max_length=200, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "受益人"
        verbose_name_plural = "受益人"
        ordering = ["activity_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "resident"], condition=models.Q(resident__isnull=False),
                                    name="beneficiary_once"),
            models.CheckConstraint(condition=models.Q(resident__isnull=False) | ~models.Q(person_name=""),
                                   name="beneficiary_has_person"),
        ]

    def __str__(self):
        return f"{self.person_label}←{self.activity_id}"

    @property
    def person_label(self):
        return self.resident.name if self.resident_id else self.person_name


class ActivityPhoto(models.Model):
    activity = models.ForeignKey(Activity, verbose_name="活动", on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=activity_photo_path)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    caption = models.CharField("说明", max_length=200, blank=True)
    uploaded_by = models.ForeignKey(USER, verbose_name="上传人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "活动照片"
        verbose_name_plural = "活动照片"
        ordering = ["id"]

    def __str__(self):
        return f"{self.activity_id} 照片{self.pk}"


# --- contests -------------------------------------------------------------------------------------


class ContestKind(models.TextChoices):
    ESSAY = "essay", "征文"
    SPEECH = "speech", "演讲"
    ART_PHOTO = "art_photo", "书画摄影"


class Contest(models.Model):
    """比赛/征集: an essay call, a speech contest or an art and photo exhibition, judged by users."""

    kind = models.CharField("类型", max_length=12, choices=ContestKind.choices)
    title = models.CharField("名称", max_length=120)
    description = models.TextField("说明", blank=True)
    area = models.ForeignKey(Area, verbose_name="所属区域", on_delete=models.PROTECT, related_name="contests")
    department = models.ForeignKey(Department, verbose_name="组织部门", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="contests")
    party_org = models.ForeignKey(PartyOrg, verbose_name="组织党组织", null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="contests")
    campaign = models.ForeignKey(Campaign, verbose_name="服务的主题教育", null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="contests")
    activity = models.OneToOneField(Activity, verbose_name="对应活动", null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="contest")
    held_on = models.DateField("举办日期")
    judges = models.ManyToManyField(USER, verbose_name="评委", blank=True, related_name="judged_contests")
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "比赛"
        verbose_name_plural = "比赛"
        ordering = ["-held_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=ContestKind.values), name="contest_kind_valid"),
        ]

    def __str__(self):
        return self.title


class AwardLevel(models.TextChoices):
    FIRST = "first", "一等奖"
    SECOND = "second", "二等奖"
    THIRD = "third", "三等奖"
    EXCELLENCE = "excellence", "优秀奖"


class EntryQuerySet(models.QuerySet):
    def with_scores(self):
        """Each entry with `average` (mean of its judges' scores, None before any) and `judged`
        (how many judges scored it)."""
        return self.annotate(average=models.Avg("scores__score"), judged=models.Count("scores", distinct=True))


class Entry(models.Model):
    """参赛作品: an essay, a speech or a work of art or photography, by a member, a resident or a
    person named in free text."""

    contest = models.ForeignKey(Contest, verbose_name="比赛", on_delete=models.CASCADE, related_name="entries")
    author_member = models.ForeignKey(Member, verbose_name="作者(党员)", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="contest_entries")
    author_resident = models.ForeignKey(Resident, verbose_name="作者(居民)", null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="contest_entries")
    author_name = models.CharField("作者", max_length=50, blank=True)
    title = models.CharField("作品名称", max_length=120)
    description = models.TextField("作品简介", blank=True)
    attachment = models.FileField("附件", upload_to=entry_file_path, blank=True)
    attachment_content_type = models.CharField("附件类型", max_length=100, blank=True)
    award = models.CharField("奖项", max_length=12, choices=AwardLevel.choices, blank=True)
    awarded_by = models.ForeignKey(USER, verbose_name="评奖人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    awarded_at = models.DateTimeField("评奖时间", null=True, blank=True)
    recorded_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    submitted_at = models.DateTimeField("提交时间", default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        verbose_name = "参赛作品"
        verbose_name_plural = "参赛作品"
        ordering = ["contest_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(author_member__isnull=False) | models.Q(author_resident__isnull=False)
                           | ~models.Q(author_name="")),
                name="entry_has_author",
            ),
            models.CheckConstraint(condition=models.Q(award="") | models.Q(award__in=AwardLevel.values),
                                   name="entry_award_valid"),
        ]

    def __str__(self):
        return self.title

    @property
    def author_label(self):
        if self.author_member_id:
            return self.author_member.name
        if self.author_resident_id:
            return self.author_resident.name
        return self.author_name


class Score(models.Model):
    """评分: one judge's score of one entry, out of 100."""

    entry = models.ForeignKey(Entry, verbose_name="作品", on_delete=models.CASCADE, related_name="scores")
    judge = models.ForeignKey(USER, verbose_name="评委", on_delete=models.PROTECT, related_name="contest_scores")
    score = models.DecimalField("得分", max_digits=5, decimal_places=2)
    comment = models.CharField("评语", max_length=200, blank=True)
    scored_at = models.DateTimeField("评分时间", default=timezone.now)

    class Meta:
        verbose_name = "评分"
        verbose_name_plural = "评分"
        ordering = ["entry_id", "judge_id"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "judge"], name="score_once_per_judge"),
            models.CheckConstraint(condition=models.Q(score__gte=0) & models.Q(score__lte=100), name="score_range"),
        ]

    def __str__(self):
        return f"{self.entry_id}:{self.judge_id}={self.score}"


# --- role models ----------------------------------------------------------------------------------


class RoleModelCategory(models.TextChoices):
    MARTYR = "martyr", "革命先烈"
    CUSTOMS = "customs", "移风易俗"
    SAGE = "sage", "最美乡贤"
    BRAVERY = "bravery", "见义勇为"
    POVERTY = "poverty", "精准扶贫"
    OTHER = "other", "其他"


class RoleModel(models.Model):
    """榜样: a local martyr or a model of today whose story is told in study sessions; the sessions
    that used it as material are linked here (study does not know about role models)."""

    category = models.CharField("类别", max_length=12, choices=RoleModelCategory.choices)
    name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(Member, verbose_name="党员档案", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="role_models")
    headline = models.CharField("事迹标题", max_length=120)
    story = models.TextField("事迹")
    area = models.ForeignKey(Area, verbose_name="所属区域", on_delete=models.PROTECT, related_name="role_models")
    sessions = models.ManyToManyField(StudySession, verbose_name="作为学习材料的学习活动", blank=True,
                                      related_name="role_models")
    created_by = models.ForeignKey(USER, verbose_name="登记人", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField("登记时间", default=timezone.now)

    class Meta:
        verbose_name = "榜样"
        verbose_name_plural = "榜样"
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(category__in=RoleModelCategory.values),
                                   name="role_model_category_valid"),
            models.UniqueConstraint(fields=["area", "name", "category"], name="role_model_unique"),
        ]

    def __str__(self):
        return f"{self.get_category_display()}{self.name}"


class RoleModelPhoto(models.Model):
    role_model = models.ForeignKey(RoleModel, verbose_name="榜样", on_delete=models.CASCADE, related_name="photos")
    file = models.FileField("照片", upload_to=role_model_photo_path)
    content_type = models.CharField("类型", max_length=40)
    size = models.PositiveIntegerField("大小(字节)")
    caption = models.CharField("说明", max_length=200, blank=True)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        verbose_name = "榜样照片"
        verbose_name_plural = "榜样照片"
        ordering = ["id"]

    def __str__(self):
        return f"{self.role_model_id} 照片{self.pk}"
