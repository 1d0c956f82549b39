"""One handler per kind of queued record: the same form, access helper and domain service as the
page the record was made on, plus the checks a late arrival needs (has its target changed?).

A handler is called as `handler(request, target=, base=, confirmed=, key=)` and returns an
`Outcome`, or raises QueueConflict (409: the target changed; the record stays on the phone) or
OfflineError (422: the form's errors, each naming its field).
"""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from zhenwu.concerns import access as concerns_access
from zhenwu.concerns import services as concerns_services
from zhenwu.concerns.forms_staff import register_form
from zhenwu.core.roles import Role
from zhenwu.grid import access as grid_access
from zhenwu.grid import services as grid_services
from zhenwu.grid.forms import VisitForm, meeting_arguments, meeting_forms
from zhenwu.lib.form_errors import attach_errors
from zhenwu.study import access as study_access
from zhenwu.study import services as study_services
from zhenwu.study.forms import home_lesson_form, site_check_form
from zhenwu.study.models import StudySession

from .errors import OfflineError, QueueConflict
from .models import RecordKind
from .services import Outcome


def form_errors_text(form):
    """All of a form's errors in one line, each after its field's label."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        for error in errors:
            parts.append(f"{label}：{error}" if label else str(error))
    return "；".join(parts)


def _valid(form):
    if not form.is_valid():
        raise OfflineError("请修改后重新发送。" + form_errors_text(form))
    return form.cleaned_data


def _call(form, service, **kwargs):
    try:
        return service(**kwargs)
    except ValidationError as exc:
        attach_errors(form, exc)
        raise OfflineError("请修改后重新发送。" + form_errors_text(form)) from None


def send_visit(request, *, target, base, confirmed, key):
    user = request.user
    if not grid_access.can_record_visit(user):
        raise QueueConflict("您的账号现在不能登记走访，这条记录无法发送")
    try:
        household = grid_access.get_household_for_user(user, target)
    except Http404:
        raise QueueConflict(
            "这户已不在您的走访范围内（已迁出您的网格，或联户已结束），这条走访无法发送。请与村里核对后删除或另行登记"
        ) from None
    if base and base != str(household.grid_id) and not confirmed:
        raise QueueConflict(
            f"{household.number}已迁至{household.grid.name}（地址：{household.address}）。"
            "请核对走访内容，确认无误后重新发送",
            base=str(household.grid_id),
        )
    member = grid_access.member_of(user)
    if user.role == Role.MEMBER and member is None:
        raise QueueConflict("账号未关联党员档案，不能登记走访")
    form = VisitForm(request.POST, request.FILES, members=grid_access.visit_form_members(user, household))
    data = _valid(form)
    result = _call(
        form, grid_services.record_visit,
        household=household, visited_on=data["visited_on"], way=data["way"], notes=data["notes"], by=user,
        member=member or data.get("member"), photo=data["photo"], idempotency_key=key,
        raise_concern=data["raise_concern"], concern_text=data["concern_text"],
        concern_category=data["concern_category"],
    )
    visit = result.visit
    message = f"{household.number}的走访已登记"
    if visit.concern_id:
        message += f"，诉求编号{visit.concern.reference}"
    return Outcome(visit, message, reverse("grid:household_detail", args=[household.pk]))


def send_meeting(request, *, target, base, confirmed, key):
    """A 民情茶室 meeting and the concerns raised at it, from the meeting form (`target`: the
    village). The rows' idempotency key is the record's key, so the concerns too are made once."""
    user = request.user
    if not grid_access.can_manage_meetings(user):
        raise QueueConflict("您的账号现在不能登记民情茶室，这条记录无法发送")
    area = grid_access.meeting_areas(user).filter(pk=_int(target)).first()
    if area is None:
        raise QueueConflict("这个村(社区)已不在您的管辖范围内，这次民情茶室无法发送。请与镇里核对后删除或另行登记")
    data = request.POST.copy()
    data["idempotency_key"] = key
    form, rows = meeting_forms(grid_access.meeting_form_choices(area), data, request.FILES)
    _valid(form)
    _valid(rows)
    meeting, raised = _call(
        form, grid_services.record_meeting_with_concerns, area=area, by=user, **meeting_arguments(form, rows),
    )
    message = f"{area.name}的民情茶室已登记"
    if raised:
        message += "，诉求编号" + "、".join(c.reference for c in raised)
    return Outcome(meeting, message, reverse("grid:meeting_detail", args=[meeting.pk]))


def send_lesson(request, *, target, base, confirmed, key):
    """A home lesson (送学上门) from the lesson form. The member chosen must still be one this
    user may record for (otherwise the form says so, 422, and the record stays editable)."""
    user = request.user
    if not study_access.can_record_lessons(user):
        raise QueueConflict("您的账号现在不能登记送学上门，这条记录无法发送")
    form = home_lesson_form(user, request.POST, request.FILES)
    data = _valid(form)
    mentor, instructor = form.deliverers()
    lesson = _call(
        form, study_services.record_home_lesson,
        member=data["member"], mentor=mentor, instructor=instructor, given_on=data["given_on"],
        content=data["content"], items=data["items"], confirmation=data["confirmation"], photo=data["photo"],
        by=user,
    )
    message = f"已登记为{lesson.member.name}送学上门"
    if not lesson.is_confirmed:
        message += f"，等待{lesson.member.name}在手机上确认"
    return Outcome(lesson, message, reverse("study:lesson_detail", args=[lesson.pk]))


def send_checkin(request, *, target, base, confirmed, key):
    """A sign-in scanned without signal (`target`: the session, field `code`: what the QR on the
    session's screen carried). Refusals (not a code of this session, outside its sign-in window,
    arrived too late, not expected) come back as 409 with the reason; nothing to correct."""
    user = request.user
    session = StudySession.objects.filter(pk=_int(target)).first()
    if session is None:
        raise QueueConflict("这次学习已不存在，签到无法发送。请删除这条记录")
    try:
        attendance, _ = study_services.sign_in_offline(
            session, member=study_access.member_for(user), code=request.POST.get("code") or "", by=user,
        )
    except study_services.SignInRefused as refusal:
        raise QueueConflict(refusal.message) from None
    return Outcome(attendance, f"已签到《{session.title}》（扫码时间{timezone.localtime(attendance.signed_at):%H:%M}）",
                   reverse("study:session_detail", args=[session.pk]))


def send_site_check(request, *, target, base, confirmed, key):
    """A 阵地"五化" check from the site check form. The branch and the campaign chosen offline must
    still be ones this user guides and sees (409 with the reason otherwise: the record stays on the
    phone to be corrected)."""
    user = request.user
    if not study_access.can_record_site_checks(user):
        raise QueueConflict("您的账号现在不能登记阵地检查（指导员任务已调整），这条记录无法发送")
    form = site_check_form(user, request.POST, request.FILES)
    party_org = _int(request.POST.get("party_org"))
    if party_org is not None and not form.fields["party_org"].queryset.filter(pk=party_org).exists():
        raise QueueConflict("这个党组织已不在您的指导范围内，这次阵地检查无法发送。请核对后改选党组织或删除")
    campaign = _int(request.POST.get("campaign"))
    if campaign is not None and not form.fields["campaign"].queryset.filter(pk=campaign).exists():
        raise QueueConflict("所选主题教育已结束或已不在您的范围内，请把“主题教育”改为其他或留空后重新发送")
    _valid(form)
    check = _call(form, study_services.record_site_check, **form.check_arguments(), by=user)
    return Outcome(check, f"已登记{check.party_org.name}阵地检查，总分{check.total}",
                   reverse("study:site_check_detail", args=[check.pk]))


def send_report(request, *, target, base, confirmed, key):
    """A concern registered on a resident's behalf (登记诉求) from the staff's registration form,
    made once under the record's key (the concern's own idempotency key too)."""
    user = request.user
    if not concerns_access.can_register_for_residents(user):
        raise QueueConflict("您的账号现在不能登记诉求，这条记录无法发送")
    form = register_form(user, request.POST, request.FILES)
    area = _int(request.POST.get("area"))
    if area is not None and not form.fields["area"].queryset.filter(pk=area).exists():
        raise QueueConflict("所选村(社区)或网格已不在您的管辖范围内，这条诉求无法发送。请改选地点后重新发送")
    _valid(form)
    try:
        result = concerns_services.submit_concern(**{**form.submit_arguments(), "idempotency_key": key}, by=user)
    except concerns_services.ConcernPermissionDenied as exc:
        raise QueueConflict(exc.message) from None
    except ValidationError as exc:
        attach_errors(form, exc)
        raise OfflineError("请修改后重新发送。" + form_errors_text(form)) from None
    concern = result.concern
    url = reverse("concerns:concern_detail", args=[concern.pk])
    if not concerns_access.in_scope(user, concern):
        url = reverse("concerns:concern_register")
    return Outcome(concern, f"诉求已登记，编号{concern.reference}", url)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


HANDLERS = {
    RecordKind.VISIT: send_visit,
    RecordKind.MEETING: send_meeting,
    RecordKind.LESSON: send_lesson,
    RecordKind.CHECKIN: send_checkin,
    RecordKind.SITE_CHECK: send_site_check,
    RecordKind.REPORT: send_report,
}
