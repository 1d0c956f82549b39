"""Writes in 学习教育. Every function runs in one transaction and writes the audit log; bad input
raises StudyError (a ValidationError with a Chinese message keyed by the field).

Time: functions that depend on the clock take `now` (default timezone.now()), so tests and the
demo loader can act at a chosen moment.
"""

import datetime
import mimetypes
import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from zhenwu.accounts.models import Role, User
from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import (
    record_create,
    record_created_many,
    record_delete,
    record_event,
    record_update,
    snapshot,
)
from zhenwu.core.errors import DomainError
from zhenwu.lib import photos, uploads
from zhenwu.org.models import Member

from . import coverage
from .access import _minimal, org_q, session_expects
from .models import (
    FIVE_STANDARDS,
    STANDARD_MAX,
    Attendance,
    Campaign,
    CampaignItem,
    Confirmation,
    Guidance,
    HomeLesson,
    HomeLessonItem,
    InstructorAssignment,
    ItemKind,
    LeaveRequest,
    LeaveStatus,
    MakeUpReason,
    MakeUpStatus,
    MakeUpTask,
    Mentorship,
    NotesRule,
    NoteStatus,
    PackHandout,
    SessionItem,
    SessionKind,
    SessionMaterial,
    SignInMethod,
    SiteCheck,
    SiteCheckPhoto,
    StudyNote,
    StudyNotice,
    StudyPack,
    StudySession,
    VenueKind,
)


class StudyError(DomainError):
    """A rule of the study domain was broken; the message is shown to the user as it is."""


def _now(now):
    return now or timezone.now()


def _text(value, field, label, *, required=True, max_length=None):
    value = (value or "").strip()
    if required and not value:
        raise StudyError(f"请填写{label}", field=field)
    if max_length and len(value) > max_length:
        raise StudyError(f"{label}不能超过{max_length}字", field=field)
    return value


# --- campaigns --------------------------------------------------------------------------------------


def _check_campaign(*, name, starts_on, ends_on, party_orgs):
    name = _text(name, "name", "名称", max_length=100)
    if starts_on is None:
        raise StudyError("请填写开始日期", field="starts_on")
    if ends_on is None:
        raise StudyError("请填写结束日期", field="ends_on")
    if ends_on < starts_on:
        raise StudyError("结束日期不能早于开始日期", field="ends_on")
    party_orgs = list(party_orgs or [])
    if not party_orgs:
        raise StudyError("请选择参加的党组织", field="party_orgs")
    return name, party_orgs


@transaction.atomic
def create_campaign(*, name, starts_on, ends_on, party_orgs, description="", by=None):
    name, party_orgs = _check_campaign(name=name, starts_on=starts_on, ends_on=ends_on, party_orgs=party_orgs)
    campaign = Campaign.objects.create(name=name, description=(description or "").strip(), starts_on=starts_on,
                                       ends_on=ends_on, created_by=by)
    campaign.party_orgs.set(party_orgs)
    record_create(campaign, note="参加党组织：" + "、".join(o.name for o in party_orgs))
    return campaign


@transaction.atomic
def update_campaign(campaign, *, name, starts_on, ends_on, party_orgs, description="", by=None):
    name, party_orgs = _check_campaign(name=name, starts_on=starts_on, ends_on=ends_on, party_orgs=party_orgs)
    before = snapshot(campaign)
    old_orgs = set(campaign.party_orgs.values_list("pk", flat=True))
    campaign.name, campaign.starts_on, campaign.ends_on = name, starts_on, ends_on
    campaign.description = (description or "").strip()
    campaign.save()
    campaign.party_orgs.set(party_orgs)
    note = ""
    if old_orgs != {o.pk for o in party_orgs}:
        note = "参加党组织改为：" + "、".join(o.name for o in party_orgs)
        record_event(action=AuditAction.UPDATE, obj=campaign, note=note)
    record_update(campaign, before)
    return campaign


def _notes_rule(value):
    value = value or ""
    if value not in NotesRule.values:
        raise StudyError("请选择学习笔记要求", field="notes_rule")
    return value


@transaction.atomic
def add_campaign_item(campaign, *, kind, title, description="", due_on=None, notes_rule="", by=None):
    """Add a 规定动作 or 自选动作; `notes_rule` (NotesRule) makes attendance count only with notes."""
    if kind not in ItemKind.values:
        raise StudyError("请选择规定动作或自选动作", field="kind")
    notes_rule = _notes_rule(notes_rule)
    title = _text(title, "title", "名称", max_length=100)
    if campaign.items.filter(title=title).exists():
        raise StudyError(f"本次主题教育已有“{title}”", field="title")
    if due_on is not None and not (campaign.starts_on <= due_on <= campaign.ends_on + datetime.timedelta(days=60)):
        raise StudyError("完成期限应在主题教育期间", field="due_on")
    position = (campaign.items.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    item = CampaignItem.objects.create(campaign=campaign, kind=kind, title=title,
                                       description=(description or "").strip(), due_on=due_on, position=position,
                                       notes_rule=notes_rule)
    record_create(item)
    return item


@transaction.atomic
def update_campaign_item(item, *, kind, title, description="", due_on=None, notes_rule="", by=None):
    if kind not in ItemKind.values:
        raise StudyError("请选择规定动作或自选动作", field="kind")
    notes_rule = _notes_rule(notes_rule)
    title = _text(title, "title", "名称", max_length=100)
    if item.campaign.items.filter(title=title).exclude(pk=item.pk).exists():
        raise StudyError(f"本次主题教育已有“{title}”", field="title")
    before = snapshot(item)
    item.kind, item.title, item.description, item.due_on = kind, title, (description or "").strip(), due_on
    item.notes_rule = notes_rule
    item.save()
    record_update(item, before)
    return item


# --- sessions ---------------------------------------------------------------------------------------


def _check_session(*, campaign, kind, title, starts_at, ends_at, party_orgs, items, venue_kind):
    if kind not in SessionKind.values:
        raise StudyError("请选择学习形式", field="kind")
    if venue_kind not in VenueKind.values:
        raise StudyError("请选择场地类型", field="venue_kind")
    title = _text(title, "title", "名称", max_length=120)
    if starts_at is None:
        raise StudyError("请填写开始时间", field="starts_at")
    if ends_at is None:
        raise StudyError("请填写结束时间", field="ends_at")
    if ends_at <= starts_at:
        raise StudyError("结束时间应晚于开始时间", field="ends_at")
    if ends_at - starts_at > datetime.timedelta(days=3):
        raise StudyError("一次学习活动不能超过3天，请分场次登记", field="ends_at")
    party_orgs = list(party_orgs or [])
    if not party_orgs:
        raise StudyError("请选择参加的党组织", field="party_orgs")
    items = list(items or [])
    if items and campaign is None:
        raise StudyError("对应学习项目须先选择主题教育", field="items")
    foreign = [i.title for i in items if campaign is not None and i.campaign_id != campaign.pk]
    if foreign:
        raise StudyError(f"对应学习项目“{foreign[0]}”不属于主题教育“{campaign.name}”，请重新选择", field="items")
    if campaign is not None:
        _check_within_campaign(campaign, starts_at=starts_at, ends_at=ends_at)
    return title, party_orgs, items


def _check_within_campaign(campaign, *, starts_at, ends_at):
    """A session counts toward its campaign's coverage, so it must take place in the campaign's
    period: a 2026 session filed into a 2019 campaign would mark 2019's items done."""
    period = f"{campaign.starts_on:%Y年%-m月%-d日}至{campaign.ends_on:%Y年%-m月%-d日}"
    if not campaign.starts_on <= timezone.localdate(starts_at) <= campaign.ends_on:
        raise StudyError(f"开始时间不在主题教育“{campaign.name}”的期间（{period}）内，请核对日期或改选主题教育",
                         field="starts_at")
    if timezone.localdate(ends_at) > campaign.ends_on:
        raise StudyError(f"结束时间晚于主题教育“{campaign.name}”的结束日期（{period}），请核对日期", field="ends_at")


def _session_fields(*, topic, speaker, venue, summary):
    return {
        "topic": _text(topic, "topic", "主题", required=False, max_length=200),
        "speaker": _text(speaker, "speaker", "主讲人", required=False, max_length=50),
        "venue": _text(venue, "venue", "地点", required=False, max_length=100),
        "summary": (summary or "").strip(),
    }


@transaction.atomic
def create_session(*, kind, title, starts_at, ends_at, party_orgs, campaign=None, items=(), topic="", speaker="",
                   venue_kind=VenueKind.SERVICE_CENTRE, venue="", is_featured=False, summary="", by=None):
    title, party_orgs, items = _check_session(campaign=campaign, kind=kind, title=title, starts_at=starts_at,
                                              ends_at=ends_at, party_orgs=party_orgs, items=items,
                                              venue_kind=venue_kind)
    session = StudySession.objects.create(
        campaign=campaign, kind=kind, title=title, starts_at=starts_at, ends_at=ends_at, venue_kind=venue_kind,
        is_featured=bool(is_featured), created_by=by,
        **_session_fields(topic=topic, speaker=speaker, venue=venue, summary=summary),
    )
    session.party_orgs.set(party_orgs)
    SessionItem.objects.bulk_create([SessionItem(session=session, item=i) for i in items])
    record_create(session, note=_session_note(party_orgs, items))
    return session


def _session_note(party_orgs, items):
    note = "参加党组织：" + "、".join(o.name for o in party_orgs)
    if items:
        note += "；对应项目：" + "、".join(i.title for i in items)
    return note


@transaction.atomic
def update_session(session, *, kind, title, starts_at, ends_at, party_orgs, campaign=None, items=(), topic="",
                   speaker="", venue_kind=VenueKind.SERVICE_CENTRE, venue="", is_featured=False, summary="", by=None):
    title, party_orgs, items = _check_session(campaign=campaign, kind=kind, title=title, starts_at=starts_at,
                                              ends_at=ends_at, party_orgs=party_orgs, items=items,
                                              venue_kind=venue_kind)
    before = snapshot(session)
    old_orgs = set(session.party_orgs.values_list("pk", flat=True))
    old_items = set(session.session_items.values_list("item_id", flat=True))
    session.kind, session.title, session.campaign = kind, title, campaign
    session.starts_at, session.ends_at, session.venue_kind = starts_at, ends_at, venue_kind
    session.is_featured = bool(is_featured)
    for key, value in _session_fields(topic=topic, speaker=speaker, venue=venue, summary=summary).items():
        setattr(session, key, value)
    session.save()
    session.party_orgs.set(party_orgs)
    new_items = {i.pk for i in items}
    if new_items != old_items:
        SessionItem.objects.filter(session=session).exclude(item_id__in=new_items).delete()
        SessionItem.objects.bulk_create([SessionItem(session=session, item_id=pk) for pk in new_items - old_items])
        # Attendance now completes other items: the make-up tasks of those who came follow.
        member_ids = list(session.attendances.values_list("member_id", flat=True))
        _refresh_tasks(member_ids, old_items | new_items)
    if new_items != old_items or old_orgs != {o.pk for o in party_orgs}:
        record_event(action=AuditAction.UPDATE, obj=session, note=_session_note(party_orgs, items))
    record_update(session, before)
    return session


MATERIAL_TYPES = {
    ".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx", ".txt", ".jpg", ".jpeg", ".png", ".mp3", ".mp4",
}


def max_material_bytes():
    return uploads.max_upload_bytes()


@transaction.atomic
def add_material(session, *, upload, title="", by=None):
    if upload is None:
        raise StudyError("请选择文件", field="file")
    name = os.path.basename(getattr(upload, "name", "") or "材料")
    ext = os.path.splitext(name)[1].lower()
    if ext not in MATERIAL_TYPES:
        raise StudyError(f"“{name}”的类型不支持，请上传PDF、Word、PPT、Excel、文本、图片或音视频文件", field="file")
    limit = max_material_bytes()
    if upload.size > limit:
        raise StudyError(f"“{name}”超过{limit // (1024 * 1024)}MB", field="file")
    if upload.size == 0:
        raise StudyError(f"“{name}”是空文件", field="file")
    title = _text(title, "title", "名称", required=False, max_length=120) or os.path.splitext(name)[0][:120]
    material = SessionMaterial(session=session, title=title, filename=name[:200], size=upload.size,
                               content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                               uploaded_by=by)
    material.file.save(name, upload, save=False)
    material.save()
    record_create(material)
    return material


# --- sign-in ----------------------------------------------------------------------------------------

SIGNIN_SALT = "zhenwu.study.signin"
SIGNIN_OPENS_BEFORE = datetime.timedelta(hours=1)
# A member who scanned a fresh code but had to log in first has this long to finish.
PENDING_SCAN_MAX = datetime.timedelta(minutes=10)


class SignInRefused(Exception):
    """A sign-in that must not happen; `message` says why, in words a member understands."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def slot_seconds():
    """How long one QR code lives on the screen; the previous one is still accepted."""
    return int(getattr(settings, "ZHENWU_SIGNIN_SLOT_SECONDS", 30))


def signin_slot(at):
    return int(at.timestamp()) // slot_seconds()


def _token(session_pk, slot):
    return salted_hmac(SIGNIN_SALT, f"{session_pk}:{slot}", algorithm="sha256").hexdigest()[:20]


def signin_code(session, *, at=None):
    slot = signin_slot(_now(at))
    return f"{slot}-{_token(session.pk, slot)}"


def signin_path(session, *, at=None):
    """The path the session's QR code encodes at `at` (default: now)."""
    return reverse("study:qr_signin", args=[session.pk, signin_code(session, at=at)])


def check_signin_code(session, code, *, now=None):
    """Raise SignInRefused unless `code` is the session's code for the current or the previous
    time slot and the session is open for sign-in at `now`."""
    now = _now(now)
    slot_text, _, token = (code or "").partition("-")
    try:
        slot = int(slot_text)
    except ValueError:
        slot = None
    if slot is None or not constant_time_compare(token, _token(session.pk, slot)):
        raise SignInRefused("invalid", "二维码无效，请扫描会场屏幕上的签到二维码。")
    current = signin_slot(now)
    if slot > current:
        raise SignInRefused("invalid", "二维码无效，请扫描会场屏幕上的签到二维码。")
    if slot < current - 1:
        raise SignInRefused(
            "stale",
            "二维码已过期：签到二维码每隔半分钟更换一次，转发或拍照的二维码不能签到。请在会场重新扫描屏幕上的二维码。",
        )
    if now < session.starts_at - SIGNIN_OPENS_BEFORE:
        raise SignInRefused("not_open", "签到尚未开始（学习开始前1小时开放扫码签到）。")
    if now >= session.ends_at:
        raise SignInRefused("ended", "本次学习已结束，不能扫码签到。如需补签，请联系支部书记说明原因。")


def _expected_or_refuse(session, member):
    if member is None:
        raise SignInRefused("no_member", "您的账号尚未关联党员档案，不能签到。请联系所在支部书记。")
    if not session_expects(session, member):
        raise SignInRefused("not_expected", f"您（{member.party_org.name}）不在本次学习的参加范围内，不能签到。")


@transaction.atomic
def sign_in_by_qr(session, *, member, code, by=None, now=None, scanned_at=None):
    """Sign a member in from the QR link they opened at `scanned_at` (default: now). Idempotent:
    a second scan returns the first attendance. Returns (attendance, created)."""
    now = _now(now)
    scanned_at = scanned_at or now
    if now - scanned_at > PENDING_SCAN_MAX:
        raise SignInRefused("stale", "扫码后超过10分钟未完成登录，请在会场重新扫描屏幕上的二维码。")
    check_signin_code(session, code, now=scanned_at)
    return _scanned_in(session, member, method=SignInMethod.QR, how="扫码", signed_at=scanned_at, by=by)


def _scanned_in(session, member, *, method, how, signed_at, by):
    """A scanned sign-in once its code is accepted: the member must be expected; a repeat returns
    the first attendance. Returns (attendance, created)."""
    _expected_or_refuse(session, member)
    existing = Attendance.objects.filter(session=session, member=member).first()
    if existing is not None:
        return existing, False
    attendance = Attendance.objects.create(session=session, member=member, method=method,
                                           signed_at=signed_at, recorded_by=by)
    record_create(attendance, note=f"{member.name} {how}签到《{session.title}》")
    _refresh_tasks([member.pk], _session_item_ids(session))
    return attendance, True


def offline_signin_grace():
    """How long after a session ends a sign-in scanned without signal may still reach the server."""
    return datetime.timedelta(minutes=int(getattr(settings, "ZHENWU_OFFLINE_SIGNIN_GRACE_MINUTES", 120)))


def code_time(session, code):
    """When the session's screen showed `code` (the start of its time slot), checked against the
    server's key; raise SignInRefused when the code is not one the screen made."""
    slot_text, _, token = (code or "").partition("-")
    try:
        slot = int(slot_text)
    except ValueError:
        slot = None
    if slot is None or slot < 0 or not constant_time_compare(token, _token(session.pk, slot)):
        raise SignInRefused("invalid", "签到码无效：不是本次学习会场屏幕上的签到二维码，无法签到。")
    return datetime.datetime.fromtimestamp(slot * slot_seconds(), tz=datetime.UTC)


@transaction.atomic
def sign_in_offline(session, *, member, code, by=None, now=None):
    """A sign-in scanned without signal and sent by the phone later (离线扫码). The code's time
    slot is signed with the server's key, so it says when the member saw the screen: it must lie
    in the session's sign-in window (from an hour before the start to the end), and the sign-in
    must reach the server by `offline_signin_grace()` after the end. The attendance is dated at
    the code's time, not the phone's clock. Idempotent. Returns (attendance, created)."""
    now = _now(now)
    seen_at = code_time(session, code)
    if seen_at < session.starts_at - SIGNIN_OPENS_BEFORE or seen_at >= session.ends_at:
        raise SignInRefused("outside", f"这个签到码不在《{session.title}》的签到时间内（开始前1小时至结束），无法签到。")
    deadline = session.ends_at + offline_signin_grace()
    if now > deadline:
        local = timezone.localtime(deadline)
        raise SignInRefused(
            "late", f"离线签到须在{local:%m月%d日%H:%M}前联网送达，现已超时。如确实参加，请联系支部书记会后补签。"
        )
    return _scanned_in(session, member, method=SignInMethod.QR_OFFLINE, how="离线扫码", signed_at=seen_at, by=by)


@transaction.atomic
def tick_roster(session, *, member, by, reason="", now=None):
    """The secretary marks a member present. After the session has ended this is a late sign-in
    (会后补签) and needs a reason. Idempotent. Returns (attendance, created)."""
    now = _now(now)
    if not session_expects(session, member):
        raise StudyError(f"{member.name}不在本次学习的参加范围内", field="member")
    if now < session.starts_at - SIGNIN_OPENS_BEFORE:
        raise StudyError("学习尚未开始，不能签到", field="member")
    existing = Attendance.objects.filter(session=session, member=member).first()
    if existing is not None:
        return existing, False
    reason = (reason or "").strip()
    if session.has_ended(now):
        if not reason:
            raise StudyError(f"学习已结束，为{member.name}补签须填写补签原因", field="reason")
        if len(reason) > 200:
            raise StudyError("补签原因不能超过200字", field="reason")
        method = SignInMethod.LATE
    else:
        method, reason = SignInMethod.ROSTER, ""
    attendance = Attendance.objects.create(session=session, member=member, method=method, reason=reason,
                                           signed_at=now, recorded_by=by)
    record_create(attendance, note=f"{member.name} {attendance.get_method_display()}《{session.title}》")
    _refresh_tasks([member.pk], _session_item_ids(session))
    return attendance, True


@transaction.atomic
def remove_attendance(session, *, member, by, reason=""):
    """Undo a sign-in made in error (a wrong tick, a code used for someone else)."""
    attendance = Attendance.objects.filter(session=session, member=member).first()
    if attendance is None:
        return False
    record_delete(attendance, note=f"撤销{member.name}的签到" + (f"：{reason}" if reason else ""))
    attendance.delete()
    _refresh_tasks([member.pk], _session_item_ids(session))
    return True


@transaction.atomic
def record_attendances_many(rows, *, note=""):
    """Bulk sign-ins for loaders: rows are dicts of session, member, method, signed_at, reason,
    recorded_by. Existing (session, member) pairs are skipped. Returns the created rows."""
    wanted = [Attendance(session=r["session"], member=r["member"], method=r.get("method", SignInMethod.ROSTER),
                         signed_at=r["signed_at"], reason=r.get("reason", ""), recorded_by=r.get("recorded_by"))
              for r in rows]
    for a in wanted:
        if a.method == SignInMethod.LATE and not a.reason:
            raise StudyError(f"{a.member.name}的会后补签缺少原因", field="reason")
    sessions = {a.session_id for a in wanted}
    taken = set(Attendance.objects.filter(session_id__in=sessions).values_list("session_id", "member_id"))
    fresh = []
    for a in wanted:
        key = (a.session_id, a.member_id)
        if key not in taken:
            taken.add(key)
            fresh.append(a)
    created = Attendance.objects.bulk_create(fresh, batch_size=1000)
    record_created_many(created, note=note)
    return created


def _session_item_ids(session):
    return set(session.session_items.values_list("item_id", flat=True))


# --- leave ------------------------------------------------------------------------------------------


@transaction.atomic
def request_leave(session, *, member, reason, by, approve=False, now=None):
    """A member asks to be excused (before the session ends). With approve=True (the secretary
    records it) the leave is approved at once. Returns the LeaveRequest."""
    now = _now(now)
    reason = _text(reason, "reason", "请假事由", max_length=200)
    if not session_expects(session, member):
        raise StudyError(f"{member.name}不在本次学习的参加范围内", field="member")
    if Attendance.objects.filter(session=session, member=member).exists():
        raise StudyError(f"{member.name}已签到，无需请假", field="reason")
    if session.has_ended(now) and not approve:
        raise StudyError("学习已结束，不能再请假；如确有原因，请联系支部书记", field="reason")
    leave = LeaveRequest.objects.filter(session=session, member=member).first()
    if leave is not None and leave.status != LeaveStatus.PENDING:
        raise StudyError(f"{member.name}的请假已审批（{leave.get_status_display()}）", field="reason")
    if leave is None:
        leave = LeaveRequest(session=session, member=member, requested_by=by, requested_at=now)
        before = None
    else:
        before = snapshot(leave)
    leave.reason = reason
    if approve:
        leave.status, leave.decided_by, leave.decided_at = LeaveStatus.APPROVED, by, now
    leave.save()
    if before is None:
        record_create(leave, note=f"{member.name} 请假：{reason}")
    else:
        record_update(leave, before)
    return leave


@transaction.atomic
def decide_leave(leave, *, approve, by, note="", now=None):
    if leave.status != LeaveStatus.PENDING:
        raise StudyError(f"该请假已审批（{leave.get_status_display()}）", field="status")
    before = snapshot(leave)
    leave.status = LeaveStatus.APPROVED if approve else LeaveStatus.DECLINED
    leave.decided_by, leave.decided_at = by, _now(now)
    leave.decision_note = _text(note, "decision_note", "审批意见", required=False, max_length=200)
    leave.save()
    record_update(leave, before)
    return leave


# --- make-up tasks and home lessons -----------------------------------------------------------------


def _refresh_tasks(member_ids, item_ids):
    """Bring existing make-up tasks of these members and items in line with what is recorded:
    attended → closed as attended, confirmed home lesson → made up, otherwise open again."""
    member_ids, item_ids = list(member_ids), list(item_ids)
    if not member_ids or not item_ids:
        return 0
    tasks = list(MakeUpTask.objects.filter(member_id__in=member_ids, item_id__in=item_ids))
    if not tasks:
        return 0
    statuses = coverage.pair_statuses({t.member_id for t in tasks}, list({t.item_id for t in tasks}))
    lessons = {}
    for lesson_id, member_id, item_id in (
        HomeLessonItem.objects.filter(lesson__member_id__in={t.member_id for t in tasks}, item_id__in=item_ids,
                                      lesson__confirmed_at__isnull=False)
        .order_by("lesson__given_on").values_list("lesson_id", "lesson__member_id", "item_id")
    ):
        lessons.setdefault((member_id, item_id), lesson_id)
    now = timezone.now()
    changed = 0
    for task in tasks:
        status = statuses.get((task.member_id, task.item_id))
        # A member who came but still owes notes needs no home lesson: the task closes as attended.
        if status in (coverage.Status.DONE, coverage.Status.NOTES_DUE):
            new = MakeUpStatus.ATTENDED
        elif status == coverage.Status.MADE_UP:
            new = MakeUpStatus.MADE_UP
        else:
            new = MakeUpStatus.OPEN
        lesson_id = lessons.get((task.member_id, task.item_id)) if new == MakeUpStatus.MADE_UP else None
        if new == task.status and lesson_id == task.lesson_id:
            continue
        before = snapshot(task)
        task.status, task.lesson_id = new, lesson_id
        task.closed_at = None if new == MakeUpStatus.OPEN else now
        task.save(update_fields=["status", "lesson", "closed_at"])
        record_update(task, before)
        changed += 1
    return changed


@transaction.atomic
def generate_makeup_tasks(*, campaign, now=None):
    """Give a make-up task (补学任务) for each required item to
    - every member flagged elderly, ill or migrant (they are taught at home from the start), and
    - every member who was expected at an ended session for the item and has neither attended one
      nor been taught at home (reason: absent, or on leave when the leave was approved).
    Existing tasks are kept. Returns the number created. Set-based: a few queries per item."""
    now = _now(now)
    paths = coverage.campaign_paths(campaign)
    base = Q(is_active=True) & org_q(paths)
    flagged = Q(is_elderly=True) | Q(is_ill=True) | Q(is_migrant=True)
    new_tasks = []
    for item in coverage.required_items(campaign):
        has_task = Exists(MakeUpTask.objects.filter(member_id=OuterRef("pk"), item=item))
        covered = (Exists(Attendance.objects.filter(member_id=OuterRef("pk"), session__session_items__item=item))
                   | Exists(HomeLessonItem.objects.filter(lesson__member_id=OuterRef("pk"), item=item,
                                                          lesson__confirmed_at__isnull=False)))
        open_members = Member.objects.filter(base).exclude(has_task).exclude(covered)
        chosen = {}
        for pk in open_members.filter(flagged).values_list("pk", flat=True):
            chosen[pk] = MakeUpReason.FLAGGED
        ended_paths = _minimal(
            StudySession.objects.filter(session_items__item=item, ends_at__lte=now)
            .values_list("party_orgs__path", flat=True)
        )
        if ended_paths:
            on_leave = Exists(LeaveRequest.objects.filter(member_id=OuterRef("pk"), status=LeaveStatus.APPROVED,
                                                          session__session_items__item=item))
            for pk, leave in (open_members.filter(org_q(ended_paths)).exclude(pk__in=list(chosen))
                              .annotate(on_leave=on_leave).values_list("pk", "on_leave")):
                chosen[pk] = MakeUpReason.LEAVE if leave else MakeUpReason.ABSENT
        new_tasks += [MakeUpTask(member_id=pk, item=item, reason=reason, created_at=now)
                      for pk, reason in chosen.items()]
    created = MakeUpTask.objects.bulk_create(new_tasks, batch_size=1000)
    record_created_many(created, note=f"生成补学任务：{campaign.name}")
    return len(created)


def max_photo_bytes():
    return getattr(settings, "ZHENWU_STUDY_PHOTO_MAX_BYTES", None) or uploads.max_photo_bytes()


def clean_photo(upload, field="photo"):
    """The photo checked and re-encoded without its camera data (a home lesson's photo is taken in
    a member's home): (cleaned upload, content type), or StudyError naming the file."""
    try:
        cleaned = photos.clean_photo(upload, max_bytes=max_photo_bytes())
    except ValidationError as exc:
        raise StudyError(exc.messages[0], field=field) from None
    return cleaned, cleaned.content_type


@transaction.atomic
def record_home_lesson(*, member, given_on, content, items, confirmation, mentor=None, instructor=None, photo=None,
                       by=None, now=None):
    """送学上门: record a lesson given to one member at home, by a member mentor and/or an instructor
    (主题教育指导员) who delivered it. It makes up its items once confirmed: at once for a signature,
    thumbprint or family signature; for confirmation by phone, when the member confirms on their own
    page."""
    now = _now(now)
    if instructor is not None and instructor.role != Role.INSTRUCTOR:
        raise StudyError(f"{instructor.display_name}不是主题教育指导员账号", field="instructor")
    if given_on is None:
        raise StudyError("请填写送学日期", field="given_on")
    if given_on > timezone.localdate(now):
        raise StudyError("送学日期不能晚于今天", field="given_on")
    content = _text(content, "content", "学习内容", max_length=2000)
    items = list(items or [])
    if not items:
        raise StudyError("请选择本次补学的学习项目", field="items")
    if confirmation not in Confirmation.values:
        raise StudyError("请选择本人确认方式", field="confirmation")
    if confirmation == Confirmation.APP and member.user_id is None:
        raise StudyError(f"{member.name}没有镇务通账号，请选择本人签字、按手印或家属代签", field="confirmation")
    if mentor is not None and mentor.pk == member.pk:
        raise StudyError("送学人不能是党员本人", field="mentor")
    photo, content_type = clean_photo(photo) if photo else (None, "")
    lesson = HomeLesson(member=member, mentor=mentor, instructor=instructor, given_on=given_on, content=content,
                        confirmation=confirmation,
                        confirmed_at=None if confirmation == Confirmation.APP else now,
                        photo_content_type=content_type, recorded_by=by, created_at=now)
    if photo:
        lesson.photo.save(getattr(photo, "name", "photo.jpg"), photo, save=False)
    lesson.save()
    HomeLessonItem.objects.bulk_create([HomeLessonItem(lesson=lesson, item=i) for i in items])
    deliverer = f"（送学人：{lesson.deliverer_label}）" if lesson.deliverer_label else ""
    record_create(lesson, note=f"为{member.name}送学上门{deliverer}，补学：" + "、".join(i.title for i in items))
    if lesson.is_confirmed:
        _refresh_tasks([member.pk], [i.pk for i in items])
    return lesson


@transaction.atomic
def confirm_home_lesson(lesson, *, by, now=None):
    """The member confirms on their phone that the lesson took place."""
    member = lesson.member
    if by is None or member.user_id != by.pk:
        raise StudyError("只有党员本人可以确认送学记录", field="confirmation")
    if lesson.is_confirmed:
        return lesson
    before = snapshot(lesson)
    lesson.confirmed_at = _now(now)
    lesson.save(update_fields=["confirmed_at"])
    record_update(lesson, before, note="党员本人手机确认")
    _refresh_tasks([member.pk], list(lesson.lesson_items.values_list("item_id", flat=True)))
    return lesson


# --- 学习笔记 ---------------------------------------------------------------------------------------

MAX_NOTE_LENGTH = 5000


@transaction.atomic
def submit_study_note(session, *, member, by, text="", photo=None, now=None):
    """The member records (or revises) their 学习笔记 of a session they signed in to: text, a photo of
    the notebook page (checked and re-encoded by zhenwu.lib.photos), or both. A revision replaces the
    text (and the photo, if a new one is sent) and goes back to the secretary (待审阅); a checked
    note is final. Returns (note, created)."""
    now = _now(now)
    if by is None or member.user_id != by.pk:
        raise StudyError("只有党员本人可以提交学习笔记", field="text")
    if now < session.starts_at:
        raise StudyError("学习尚未开始，不能提交笔记", field="text")
    if not Attendance.objects.filter(session=session, member=member).exists():
        raise StudyError("只能为已签到参加的学习提交笔记", field="text")
    text = _text(text, "text", "笔记内容", required=False, max_length=MAX_NOTE_LENGTH)
    cleaned, content_type = clean_photo(photo) if photo else (None, "")
    note = StudyNote.objects.select_for_update().filter(session=session, member=member).first()
    if note is not None and note.is_checked:
        raise StudyError("笔记已审阅，不能再修改", field="text")
    if not text and cleaned is None and not (note is not None and note.photo):
        raise StudyError("请填写笔记内容或拍照上传笔记", field="text")
    created = note is None
    if created:
        note = StudyNote(session=session, member=member)
        before = None
    else:
        before = snapshot(note)
    old_photo = note.photo.name if (cleaned is not None and note.photo) else None
    note.text = text
    if cleaned is not None:
        note.photo.save(getattr(cleaned, "name", "note.jpg"), cleaned, save=False)
        note.photo_content_type = content_type
    note.status, note.submitted_at = NoteStatus.SUBMITTED, now
    note.checked_by, note.checked_at, note.check_comment = None, None, ""
    note.save()
    if created:
        record_create(note, note=f"{member.name}提交《{session.title}》学习笔记")
    else:
        record_update(note, before, note=f"{member.name}修改《{session.title}》学习笔记")
    if old_photo:
        storage = note.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo))
    return note, created


@transaction.atomic
def check_study_note(note, *, accept, by, comment="", now=None):
    """The secretary checks a submitted note (已审阅) or returns it for more (退回补充, a comment
    required). Which notes a user may check is access.can_check_note's rule."""
    if note.status != NoteStatus.SUBMITTED:
        raise StudyError(f"该笔记{note.get_status_display()}，请等待党员重新提交", field="comment")
    comment = _text(comment, "comment", "审阅意见", required=False, max_length=200)
    if not accept and not comment:
        raise StudyError("退回补充时请写明审阅意见", field="comment")
    before = snapshot(note)
    note.status = NoteStatus.CHECKED if accept else NoteStatus.RETURNED
    note.checked_by, note.checked_at, note.check_comment = by, _now(now), comment
    note.save(update_fields=["status", "checked_by", "checked_at", "check_comment"])
    record_update(note, before, note=f"{'审阅' if accept else '退回'}{note.member.name}的学习笔记")
    return note


# --- mentoring --------------------------------------------------------------------------------------


@transaction.atomic
def create_mentorship(*, mentor, mentees, started_on, campaign=None, note="", by=None):
    """帮学结对 1+1 or 1+N. A member has at most one active mentor."""
    mentees = list(mentees or [])
    if not mentees:
        raise StudyError("请选择帮学对象", field="mentees")
    if started_on is None:
        raise StudyError("请填写结对日期", field="started_on")
    if any(m.pk == mentor.pk for m in mentees):
        raise StudyError("帮学人不能同时是帮学对象", field="mentees")
    clash = (Mentorship.mentees.through.objects
             .filter(member_id__in=[m.pk for m in mentees], mentorship__ended_on__isnull=True)
             .select_related("member", "mentorship__mentor").first())
    if clash is not None:
        raise StudyError(f"{clash.member.name}已与{clash.mentorship.mentor.name}结对帮学，请先结束原结对", field="mentees")
    mentorship = Mentorship.objects.create(mentor=mentor, started_on=started_on, campaign=campaign,
                                           note=_text(note, "note", "备注", required=False, max_length=200),
                                           created_by=by)
    mentorship.mentees.set(mentees)
    kind = "1+1" if len(mentees) == 1 else f"1+{len(mentees)}"
    record_create(mentorship, note=f"{kind}帮学：{mentor.name} 帮 " + "、".join(m.name for m in mentees))
    return mentorship


@transaction.atomic
def end_mentorship(mentorship, *, ended_on, by=None):
    if ended_on is None or ended_on < mentorship.started_on:
        raise StudyError("结束日期不能早于结对日期", field="ended_on")
    before = snapshot(mentorship)
    mentorship.ended_on = ended_on
    mentorship.save(update_fields=["ended_on"])
    record_update(mentorship, before)
    return mentorship


# --- instructors ------------------------------------------------------------------------------------


@transaction.atomic
def assign_instructor(*, instructor, party_org, campaign=None, by=None, now=None):
    if instructor.role != Role.INSTRUCTOR:
        raise StudyError(f"{instructor.display_name}不是主题教育指导员账号", field="instructor")
    if InstructorAssignment.objects.filter(instructor=instructor, party_org=party_org).exists():
        raise StudyError(f"{instructor.display_name}已选派到{party_org.name}", field="party_org")
    assignment = InstructorAssignment.objects.create(instructor=instructor, party_org=party_org, campaign=campaign,
                                                     assigned_by=by, assigned_at=_now(now))
    instructor.__dict__.pop("_study_scope_paths", None)
    record_create(assignment, note=f"选派{instructor.display_name}指导{party_org.name}")
    return assignment


@transaction.atomic
def remove_instructor_assignment(assignment, *, by=None):
    record_delete(assignment, note=f"撤回{assignment.instructor.display_name}对{assignment.party_org.name}的指导")
    assignment.delete()


@transaction.atomic
def record_guidance(*, instructor, party_org, visited_on, findings, advice, follow_up="", campaign=None, by=None,
                    now=None):
    if visited_on is None:
        raise StudyError("请填写指导日期", field="visited_on")
    if visited_on > timezone.localdate(_now(now)):
        raise StudyError("指导日期不能晚于今天", field="visited_on")
    guidance = Guidance.objects.create(
        instructor=instructor, party_org=party_org, campaign=campaign, visited_on=visited_on,
        findings=_text(findings, "findings", "发现问题", max_length=2000),
        advice=_text(advice, "advice", "指导意见", max_length=2000),
        follow_up=_text(follow_up, "follow_up", "整改跟进", required=False, max_length=2000),
    )
    record_create(guidance)
    return guidance


@transaction.atomic
def update_follow_up(guidance, *, follow_up, done_on=None, by=None, now=None):
    if done_on is not None and done_on > timezone.localdate(_now(now)):
        raise StudyError("整改完成日期不能晚于今天", field="follow_up_done_on")
    before = snapshot(guidance)
    guidance.follow_up = _text(follow_up, "follow_up", "整改跟进", max_length=2000)
    guidance.follow_up_done_on = done_on
    guidance.save(update_fields=["follow_up", "follow_up_done_on"])
    record_update(guidance, before)
    return guidance


MAX_SITE_PHOTOS = 9


@transaction.atomic
def record_site_check(*, party_org, checked_on, scores, notes="", photos=(), campaign=None, by=None, now=None):
    """阵地"五化": five scores out of 20 each, notes and up to nine photos."""
    if checked_on is None:
        raise StudyError("请填写检查日期", field="checked_on")
    if checked_on > timezone.localdate(_now(now)):
        raise StudyError("检查日期不能晚于今天", field="checked_on")
    values = {}
    for name, label in FIVE_STANDARDS:
        value = scores.get(name)
        if value is None or not (0 <= int(value) <= STANDARD_MAX):
            raise StudyError(f"“{label}”得分应在0到{STANDARD_MAX}之间", field=name)
        values[name] = int(value)
    photos = list(photos or [])
    if len(photos) > MAX_SITE_PHOTOS:
        raise StudyError(f"最多上传{MAX_SITE_PHOTOS}张照片", field="photos")
    checked = [clean_photo(p, "photos") for p in photos]
    check = SiteCheck.objects.create(party_org=party_org, campaign=campaign, checked_on=checked_on, checked_by=by,
                                     notes=(notes or "").strip(), **values)
    for upload, content_type in checked:
        photo = SiteCheckPhoto(site_check=check, content_type=content_type, size=upload.size)
        photo.file.save(getattr(upload, "name", "photo.jpg"), upload, save=False)
        photo.save()
    record_create(check, note=f"{party_org.name} 五化得分 {check.total}，照片{len(checked)}张")
    return check


# --- study packs ------------------------------------------------------------------------------------


@transaction.atomic
def create_study_pack(*, name, contents, campaign=None, by=None):
    pack = StudyPack.objects.create(name=_text(name, "name", "名称", max_length=100),
                                    contents=_text(contents, "contents", "内容清单", max_length=2000),
                                    campaign=campaign, created_by=by)
    record_create(pack)
    return pack


@transaction.atomic
def hand_out_pack(pack, *, members, handed_on, receipt, by=None, now=None):
    """Hand a pack to members, receipted by signature (received at once) or later by the member's
    phone. Members who already have it are skipped. Returns (created handouts, skipped count)."""
    now = _now(now)
    members = list(members or [])
    if not members:
        raise StudyError("请选择领取的党员", field="members")
    if handed_on is None:
        raise StudyError("请填写发放日期", field="handed_on")
    if handed_on > timezone.localdate(now):
        raise StudyError("发放日期不能晚于今天", field="handed_on")
    if receipt not in Confirmation.values:
        raise StudyError("请选择签收方式", field="receipt")
    if receipt == Confirmation.APP:
        without = [m.name for m in members if m.user_id is None]
        if without:
            raise StudyError(f"{without[0]}没有镇务通账号，不能手机签收，请选择本人签字", field="receipt")
    have = set(PackHandout.objects.filter(pack=pack, member__in=members).values_list("member_id", flat=True))
    rows = [PackHandout(pack=pack, member=m, handed_on=handed_on, handed_by=by, receipt=receipt,
                        received_at=None if receipt == Confirmation.APP else now)
            for m in members if m.pk not in have]
    created = PackHandout.objects.bulk_create(rows)
    record_created_many(created, note=f"发放{pack.name}")
    return created, len(members) - len(created)


@transaction.atomic
def confirm_pack_receipt(handout, *, by, now=None):
    if by is None or handout.member.user_id != by.pk:
        raise StudyError("只有党员本人可以签收", field="receipt")
    if handout.received_at is not None:
        return handout
    before = snapshot(handout)
    handout.received_at = _now(now)
    handout.save(update_fields=["received_at"])
    record_update(handout, before, note="党员本人手机签收")
    return handout


# --- the missing list -------------------------------------------------------------------------------


def _gap_label(row, item):
    return f"{item.title}缺笔记" if item in row.notes_due_items else item.title


def _recipients_for(org):
    """Secretaries over the organisation and instructors assigned to it (or seeded on it)."""
    paths = [org.path[:i] for i in range(org.steplen, len(org.path) + 1, org.steplen)]
    secretaries = User.objects.filter(role=Role.SECRETARY, is_active=True, party_org__path__in=paths)
    instructors = User.objects.filter(
        Q(party_org__path__in=paths) | Q(study_assignments__party_org__path__in=paths),
        role=Role.INSTRUCTOR, is_active=True,
    )
    return list({u.pk: u for u in [*secretaries, *instructors]}.values())


@transaction.atomic
def send_missing_lists(*, campaign, user=None, now=None):
    """Tell each branch's secretaries and instructors who still misses which required items (one
    notice per recipient and organisation, linked to the organisation's list). Limited to the
    user's scope when a user sends it. Returns the number of notices."""
    now = _now(now)
    notices = []
    for org, rows in coverage.missing_by_org(campaign, user=user):
        parts = [f"{r.member.name}（{'、'.join(_gap_label(r, i) for i in r.missing_items)}）" for r in rows]
        pairs = sum(len(r.missing_items) for r in rows)
        text = f"《{campaign.name}》{org.name}：{len(rows)}名党员尚有{pairs}项规定动作未完成：" + "；".join(parts)
        if len(text) > 300:
            text = text[:297] + "……"
        link = reverse("study:coverage_org", args=[campaign.pk, org.pk])
        for recipient in _recipients_for(org):
            notices.append(StudyNotice(recipient=recipient, campaign=campaign, party_org=org, text=text, link=link,
                                       created_at=now))
    created = StudyNotice.objects.bulk_create(notices)
    record_event(action=AuditAction.CREATE, obj=campaign, note=f"发送缺学名单：{len(created)}条提醒")
    return len(created)


@transaction.atomic
def mark_notices_read(user, *, now=None):
    return StudyNotice.objects.filter(recipient=user, read_at__isnull=True).update(read_at=_now(now))
