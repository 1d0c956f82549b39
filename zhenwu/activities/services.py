"""Writes in 活动与志愿. Every function runs in one transaction and writes the audit log; bad input
raises ActivityError (a ValidationError with a Chinese message keyed by the field)."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_create, record_delete, record_event, record_update, snapshot
from zhenwu.core.errors import DomainError
from zhenwu.lib import photos, uploads
from zhenwu.study.access import visible_sessions
from zhenwu.study.models import StudySession

from .access import town_of_area
from .models import (
    Activity,
    ActivityKind,
    ActivityPhoto,
    AwardLevel,
    Beneficiary,
    Contest,
    ContestKind,
    Entry,
    Participation,
    ParticipationRole,
    RoleModel,
    RoleModelCategory,
    RoleModelPhoto,
    Score,
)

MAX_PHOTO_BYTES = uploads.max_photo_bytes()
MAX_ATTACHMENT_BYTES = uploads.max_upload_bytes()
MAX_HOURS = Decimal("24")


class ActivityError(DomainError):
    """A rule of the activities domain was broken; the message is shown to the user as it is."""


def _text(value, field, label, *, required=True, max_length=None):
    value = (value or "").strip()
    if required and not value:
        raise ActivityError(f"请填写{label}", field=field)
    if max_length and len(value) > max_length:
        raise ActivityError(f"{label}不能超过{max_length}字", field=field)
    return value


def _hours(value, field="hours"):
    if value in (None, ""):
        return None
    try:
        hours = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, ValueError):
        raise ActivityError("服务时长应为数字（小时）", field=field) from None
    if hours <= 0 or hours > MAX_HOURS:
        raise ActivityError("服务时长应在0到24小时之间", field=field)
    return hours


# --- activities -----------------------------------------------------------------------------------


def _check_activity(*, kind, title, starts_at, ends_at, place, area, department, party_org,
                    beneficiary_count, beneficiary_description):
    if kind not in ActivityKind.values:
        raise ActivityError("请选择活动类型", field="kind")
    title = _text(title, "title", "活动名称", max_length=120)
    place = _text(place, "place", "活动地点", max_length=100)
    if starts_at is None:
        raise ActivityError("请填写开始时间", field="starts_at")
    if ends_at is not None and ends_at < starts_at:
        raise ActivityError("结束时间不能早于开始时间", field="ends_at")
    if area is None:
        raise ActivityError("请选择活动所属区域", field="area")
    if department is None and party_org is None:
        raise ActivityError("请选择组织部门或组织党组织", field="department")
    if beneficiary_count is None or int(beneficiary_count) < 0:
        raise ActivityError("受益人数不能为负数", field="beneficiary_count")
    description = _text(beneficiary_description, "beneficiary_description", "受益对象", required=False,
                        max_length=200)
    return title, place, int(beneficiary_count), description


@transaction.atomic
def create_activity(*, kind, title, starts_at, place, area, department=None, party_org=None, campaign=None,
                    ends_at=None, summary="", beneficiary_count=0, beneficiary_description="", by=None):
    title, place, count, description = _check_activity(
        kind=kind, title=title, starts_at=starts_at, ends_at=ends_at, place=place, area=area,
        department=department, party_org=party_org, beneficiary_count=beneficiary_count,
        beneficiary_description=beneficiary_description)
    activity = Activity.objects.create(
        kind=kind, title=title, starts_at=starts_at, ends_at=ends_at, place=place, area=area,
        department=department, party_org=party_org, campaign=campaign, summary=(summary or "").strip(),
        beneficiary_count=count, beneficiary_description=description, created_by=by)
    record_create(activity)
    return activity


@transaction.atomic
def update_activity(activity, *, kind, title, starts_at, place, area, department=None, party_org=None,
                    campaign=None, ends_at=None, summary="", beneficiary_count=0, beneficiary_description="",
                    by=None):
    title, place, count, description = _check_activity(
        kind=kind, title=title, starts_at=starts_at, ends_at=ends_at, place=place, area=area,
        department=department, party_org=party_org, beneficiary_count=beneficiary_count,
        beneficiary_description=beneficiary_description)
    listed = activity.beneficiary_rows.count()
    if listed and 0 < count < listed:
        raise ActivityError(f"已登记{listed}名受益人，受益总数不能少于{listed}（填0则按名单计）", field="beneficiary_count")
    before = snapshot(activity)
    activity.kind, activity.title, activity.starts_at, activity.ends_at = kind, title, starts_at, ends_at
    activity.place, activity.area, activity.department, activity.party_org = place, area, department, party_org
    activity.campaign, activity.summary = campaign, (summary or "").strip()
    activity.beneficiary_count, activity.beneficiary_description = count, description
    activity.save()
    record_update(activity, before)
    return activity


@transaction.atomic
def set_beneficiaries(activity, *, count, description="", by=None):
    """The declared total of people served ("200余名老人") and who they were. Named beneficiaries
    are recorded one by one (add_beneficiary); how the two combine: beneficiaries.beneficiary_total."""
    description = _text(description, "beneficiary_description", "受益对象", required=False, max_length=200)
    if count is None or int(count) < 0:
        raise ActivityError("请填写受益人数", field="beneficiary_count")
    count = int(count)
    listed = activity.beneficiary_rows.count()
    if listed and 0 < count < listed:
        raise ActivityError(f"已登记{listed}名受益人，受益总数不能少于{listed}（填0则按名单计）", field="beneficiary_count")
    before = snapshot(activity)
    activity.beneficiary_count, activity.beneficiary_description = count, description
    activity.save(update_fields=["beneficiary_count", "beneficiary_description"])
    record_update(activity, before)
    return activity


# Activities whose beneficiaries are recorded by name: visits (慰问) and service (志愿服务, 义务劳动).
NAMED_BENEFICIARY_KINDS = (ActivityKind.CARE_VISIT, ActivityKind.VOLUNTEER, ActivityKind.LABOUR)
VISITOR_ROLES = (ParticipationRole.ORGANISER, ParticipationRole.VOLUNTEER)


@transaction.atomic
def add_beneficiary(activity, *, resident=None, person_name="", note="", visited_by=None, gift="", by=None):
    """Name one person the activity served: a resident of the activity's town, or someone not on the
    roll (a name and a note), with who of the activity visited them (its organiser or a volunteer)
    and what they were given. The declared total is left as it is (see beneficiaries.py)."""
    if activity.kind not in NAMED_BENEFICIARY_KINDS:
        raise ActivityError("只有慰问、志愿服务和义务劳动活动登记受益人名单", field="resident")
    person_name = _text(person_name, "person_name", "姓名", required=False, max_length=50)
    note = _text(note, "note", "备注", required=False, max_length=100)
    gift = _text(gift, "gift", "慰问品/服务内容", required=False, max_length=200)
    if resident is None and not person_name:
        raise ActivityError("请选择居民，或填写不在名册中的受益人姓名", field="person_name")
    if resident is not None:
        if not resident.household.grid.path.startswith(town_of_area(activity.area).path):
            raise ActivityError(f"{resident.name}不是本镇居民，请按姓名登记", field="resident")
        if activity.beneficiary_rows.filter(resident=resident).exists():
            raise ActivityError(f"{resident.name}已在受益人名单中", field="resident")
        person_name = ""
    if visited_by is not None and (visited_by.activity_id != activity.pk or visited_by.role not in VISITOR_ROLES):
        raise ActivityError("走访人须是本活动的组织者或志愿者", field="visited_by")
    row = Beneficiary.objects.create(activity=activity, resident=resident, person_name=person_name, note=note,
                                     visited_by=visited_by, gift=gift, recorded_by=by)
    visitor = f"，走访人{visited_by.person_label}" if visited_by is not None else ""
    record_create(row, note=f"受益人：{row.person_label}{visitor}")
    return row


@transaction.atomic
def remove_beneficiary(beneficiary, *, by=None):
    record_delete(beneficiary, note=f"移出受益人名单：{beneficiary.person_label}")
    beneficiary.delete()


@transaction.atomic
def add_participant(activity, *, role, member=None, resident=None, person_name="", hours=None, by=None):
    """Record that someone took part. Hours may be claimed now; they count once confirmed."""
    if role not in ParticipationRole.values:
        raise ActivityError("请选择参与角色", field="role")
    person_name = _text(person_name, "person_name", "姓名", required=False, max_length=50)
    if member is None and resident is None and not person_name:
        raise ActivityError("请选择党员、居民或填写姓名", field="person_name")
    hours = _hours(hours)
    if hours is not None and role != ParticipationRole.VOLUNTEER:
        raise ActivityError("只有志愿者登记服务时长", field="hours")
    if member is not None and activity.participations.filter(member=member).exists():
        raise ActivityError(f"{member.name}已在本活动名单中", field="member")
    if resident is not None and activity.participations.filter(resident=resident).exists():
        raise ActivityError(f"{resident.name}已在本活动名单中", field="resident")
    participation = Participation.objects.create(activity=activity, role=role, member=member, resident=resident,
                                                 person_name=person_name if member is None and resident is None
                                                 else "", hours=hours, recorded_by=by)
    record_create(participation, note=f"{participation.get_role_display()}：{participation.person_label}")
    return participation


@transaction.atomic
def set_claimed_hours(participation, *, hours, by=None):
    """Change the hours of a volunteer before confirmation (after it, only the organiser's
    confirmation with new hours changes them)."""
    if participation.role != ParticipationRole.VOLUNTEER:
        raise ActivityError("只有志愿者登记服务时长", field="hours")
    if participation.hours_confirmed:
        raise ActivityError("服务时长已确认，如需更正请由组织者重新确认", field="hours")
    before = snapshot(participation)
    participation.hours = _hours(hours)
    participation.save(update_fields=["hours"])
    record_update(participation, before)
    return participation


@transaction.atomic
def confirm_hours(participation, *, by, hours=None, now=None):
    """The organiser confirms a volunteer's hours (optionally correcting them); who and when are
    kept. Confirming again with other hours is a correction, audited as such."""
    if participation.role != ParticipationRole.VOLUNTEER:
        raise ActivityError(f"{participation.person_label}不是志愿者，无需确认服务时长", field="hours")
    value = _hours(hours) if hours not in (None, "") else participation.hours
    if value is None:
        raise ActivityError(f"请填写{participation.person_label}的服务时长", field="hours")
    before = snapshot(participation)
    corrected = participation.hours_confirmed and value != participation.hours
    participation.hours = value
    participation.hours_confirmed_at = now or timezone.now()
    participation.hours_confirmed_by = by
    participation.save(update_fields=["hours", "hours_confirmed_at", "hours_confirmed_by"])
    record_update(participation, before, note="更正已确认的服务时长" if corrected else "确认服务时长")
    return participation


@transaction.atomic
def confirm_all_hours(activity, *, by, now=None):
    """Confirm every volunteer of the activity whose hours are recorded and not yet confirmed.
    Returns how many were confirmed."""
    pending = list(activity.participations.filter(role=ParticipationRole.VOLUNTEER, hours__isnull=False,
                                                  hours_confirmed_at__isnull=True)
                   .select_related("member", "resident"))
    for participation in pending:
        confirm_hours(participation, by=by, now=now)
    return len(pending)


@transaction.atomic
def add_activity_photo(activity, *, upload, caption="", by=None):
    try:
        cleaned = photos.clean_photo(upload, max_bytes=MAX_PHOTO_BYTES)
    except ValidationError as exc:
        raise ActivityError(exc.messages[0], field="photo") from None
    caption = _text(caption, "caption", "照片说明", required=False, max_length=200)
    photo = ActivityPhoto(activity=activity, content_type=cleaned.content_type, size=cleaned.size, caption=caption,
                          uploaded_by=by)
    photo.file.save(cleaned.name, cleaned, save=False)
    photo.save()
    record_create(photo)
    return photo


# --- contests -------------------------------------------------------------------------------------


@transaction.atomic
def create_contest(*, kind, title, held_on, area, department=None, party_org=None, campaign=None, activity=None,
                   description="", judges=(), by=None):
    if kind not in ContestKind.values:
        raise ActivityError("请选择比赛类型", field="kind")
    title = _text(title, "title", "比赛名称", max_length=120)
    if held_on is None:
        raise ActivityError("请填写举办日期", field="held_on")
    if area is None:
        raise ActivityError("请选择所属区域", field="area")
    if department is None and party_org is None:
        raise ActivityError("请选择组织部门或组织党组织", field="department")
    contest = Contest.objects.create(kind=kind, title=title, held_on=held_on, area=area, department=department,
                                     party_org=party_org, campaign=campaign, activity=activity,
                                     description=(description or "").strip(), created_by=by)
    judges = list(judges or [])
    contest.judges.set(judges)
    record_create(contest, note="评委：" + "、".join(j.full_name or j.username for j in judges) if judges else "")
    return contest


@transaction.atomic
def add_entry(contest, *, title, author_member=None, author_resident=None, author_name="", description="",
              attachment=None, by=None, now=None):
    title = _text(title, "title", "作品名称", max_length=120)
    author_name = _text(author_name, "author_name", "作者", required=False, max_length=50)
    if author_member is None and author_resident is None and not author_name:
        raise ActivityError("请选择作者或填写作者姓名", field="author_name")
    entry = Entry(contest=contest, title=title, author_member=author_member, author_resident=author_resident,
                  author_name="" if (author_member or author_resident) else author_name,
                  description=(description or "").strip(), recorded_by=by, submitted_at=now or timezone.now())
    if attachment is not None:
        content_type = getattr(attachment, "content_type", "") or ""
        if content_type.startswith("image/"):
            try:
                attachment = photos.clean_photo(attachment, max_bytes=MAX_PHOTO_BYTES)
            except ValidationError as exc:
                raise ActivityError(exc.messages[0], field="attachment") from None
            content_type = attachment.content_type
        elif content_type not in ("application/pdf", "application/msword",
                                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                  "audio/mpeg", "video/mp4"):
            raise ActivityError("附件应为照片、PDF、Word文档或音视频(MP3/MP4)", field="attachment")
        if attachment.size > MAX_ATTACHMENT_BYTES:
            raise ActivityError("附件不能超过20MB", field="attachment")
        entry.attachment_content_type = content_type
        entry.attachment.save(attachment.name, attachment, save=False)
    entry.save()
    record_create(entry)
    return entry


def _score(value):
    try:
        score = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ActivityError("得分应为0到100之间的数字", field="score") from None
    if score < 0 or score > 100:
        raise ActivityError("得分应为0到100之间的数字", field="score")
    return score


@transaction.atomic
def score_entry(entry, *, judge, score, comment="", now=None):
    """A judge of the contest scores an entry (again: the new score replaces the old one)."""
    if not entry.contest.judges.filter(pk=judge.pk).exists():
        raise ActivityError("您不是本比赛的评委", field="score")
    value = _score(score)
    comment = _text(comment, "comment", "评语", required=False, max_length=200)
    existing = Score.objects.filter(entry=entry, judge=judge).first()
    if existing is None:
        row = Score.objects.create(entry=entry, judge=judge, score=value, comment=comment,
                                   scored_at=now or timezone.now())
        record_create(row)
        return row
    before = snapshot(existing)
    existing.score, existing.comment, existing.scored_at = value, comment, now or timezone.now()
    existing.save()
    record_update(existing, before, note="评委修改评分")
    return existing


@transaction.atomic
def assign_award(entry, *, award, by, now=None):
    """Give an entry its award level ("" withdraws it)."""
    if award and award not in AwardLevel.values:
        raise ActivityError("请选择奖项", field="award")
    before = snapshot(entry)
    entry.award = award or ""
    entry.awarded_by = by if award else None
    entry.awarded_at = (now or timezone.now()) if award else None
    entry.save(update_fields=["award", "awarded_by", "awarded_at"])
    record_update(entry, before)
    return entry


# --- role models ----------------------------------------------------------------------------------


def _check_role_model(*, category, name, headline, story, area):
    if category not in RoleModelCategory.values:
        raise ActivityError("请选择榜样类别", field="category")
    name = _text(name, "name", "姓名", max_length=50)
    headline = _text(headline, "headline", "事迹标题", max_length=120)
    story = _text(story, "story", "事迹")
    if area is None:
        raise ActivityError("请选择所属区域", field="area")
    return name, headline, story


@transaction.atomic
def create_role_model(*, category, name, headline, story, area, member=None, by=None):
    name, headline, story = _check_role_model(category=category, name=name, headline=headline, story=story, area=area)
    if RoleModel.objects.filter(area=area, name=name, category=category).exists():
        raise ActivityError(f"{area.name}已有{RoleModelCategory(category).label}榜样“{name}”", field="name")
    role_model = RoleModel.objects.create(category=category, name=name, headline=headline, story=story, area=area,
                                          member=member, created_by=by)
    record_create(role_model)
    return role_model


@transaction.atomic
def update_role_model(role_model, *, category, name, headline, story, area, member=None, by=None):
    name, headline, story = _check_role_model(category=category, name=name, headline=headline, story=story, area=area)
    if RoleModel.objects.filter(area=area, name=name, category=category).exclude(pk=role_model.pk).exists():
        raise ActivityError(f"{area.name}已有{RoleModelCategory(category).label}榜样“{name}”", field="name")
    before = snapshot(role_model)
    role_model.category, role_model.name, role_model.headline = category, name, headline
    role_model.story, role_model.area, role_model.member = story, area, member
    role_model.save()
    record_update(role_model, before)
    return role_model


@transaction.atomic
def link_role_model_sessions(role_model, *, sessions, by=None):
    """The study sessions that used this role model's story as material."""
    sessions = list(sessions or [])
    role_model.sessions.set(sessions)
    record_event(action=AuditAction.UPDATE, obj=role_model,
                 note="学习材料用于：" + ("、".join(s.title for s in sessions) or "无"))
    return role_model


def _visible_session_links(user):
    """Links of role models to the study sessions the user may see: the one definition behind
    every "用于学习活动 N 场" and the sessions listed under a role model."""
    return RoleModel.sessions.through.objects.filter(studysession__in=visible_sessions(user).values("pk"))


def role_model_sessions(role_model, *, user):
    """The sessions that used the role model's story, as far as the user may see them."""
    links = _visible_session_links(user).filter(rolemodel=role_model)
    return StudySession.objects.filter(pk__in=links.values("studysession"))


def role_model_session_counts(role_models, *, user):
    """{role model pk: number of sessions the user may see that used its story}, in one query;
    equal to role_model_sessions(...).count() for each (tests hold them together)."""
    rows = (_visible_session_links(user).filter(rolemodel__in=role_models)
            .values("rolemodel").annotate(n=Count("studysession", distinct=True)))
    return {row["rolemodel"]: row["n"] for row in rows}


@transaction.atomic
def add_role_model_photo(role_model, *, upload, caption="", by=None):
    try:
        cleaned = photos.clean_photo(upload, max_bytes=MAX_PHOTO_BYTES)
    except ValidationError as exc:
        raise ActivityError(exc.messages[0], field="photo") from None
    photo = RoleModelPhoto(role_model=role_model, content_type=cleaned.content_type, size=cleaned.size,
                           caption=_text(caption, "caption", "照片说明", required=False, max_length=200))
    photo.file.save(cleaned.name, cleaned, save=False)
    photo.save()
    record_create(photo)
    return photo
