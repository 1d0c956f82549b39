"""Study sessions: list, registration, roster ticking, late sign-in, the QR screen, materials and
leave."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from zhenwu.lib.paging import paginate
from zhenwu.lib.params import int_or_none
from zhenwu.org.models import PartyOrg

from .. import access, services
from ..forms import (
    LateSignInForm,
    LeaveDecisionForm,
    LeaveForm,
    LeaveForMemberForm,
    MaterialForm,
    SessionForm,
    attach_errors,
)
from ..models import Attendance, CampaignItem, LeaveRequest, LeaveStatus, NoteStatus, SessionKind, StudyNote
from .common import render_page, stored_file

INLINE_TYPES = ("application/pdf", "image/jpeg", "image/png", "image/gif", "audio/mpeg", "video/mp4")


@login_required
@require_GET
def session_list(request):
    user = request.user
    sessions = access.visible_sessions(user)
    campaigns = list(access.visible_campaigns(user).order_by("-starts_on"))
    campaign = next((c for c in campaigns if c.pk == int_or_none(request.GET.get("campaign"))), None)
    if campaign is not None:
        sessions = sessions.filter(campaign=campaign)
    kind = request.GET.get("kind") or ""
    if kind in SessionKind.values:
        sessions = sessions.filter(kind=kind)
    else:
        kind = ""
    featured = request.GET.get("featured") == "1"
    if featured:
        sessions = sessions.filter(is_featured=True)
    sessions = (sessions.select_related("campaign")
                .annotate(present=Count("attendances", distinct=True))
                .prefetch_related(Prefetch("party_orgs", queryset=PartyOrg.objects.only("id", "name")))
                .order_by("-starts_at", "-id"))
    page = paginate(request, sessions)
    return render_page(request, "study/session_list.html", {
        "page": page,
        "campaigns": campaigns,
        "campaign": campaign,
        "kind": kind,
        "kinds": SessionKind.choices,
        "featured": featured,
        "can_add": access.can_add_session(user),
        "can_read_notes": user.role in access.STUDY_STAFF_ROLES,
        "now": timezone.now(),
    })


def _session_form(request, *, initial=None):
    user = request.user
    campaigns = access.visible_campaigns(user).order_by("-starts_on")
    items = CampaignItem.objects.filter(campaign__in=campaigns).select_related("campaign").order_by(
        "campaign_id", "position", "id")
    return SessionForm(request.POST or None, initial=initial, orgs=access.scope_orgs(user).order_by("path"),
                       campaigns=campaigns, items=items)


@login_required
def session_create(request):
    if not access.can_add_session(request.user):
        raise PermissionDenied("只有镇管理员或支部书记可以登记学习活动")
    initial = {}
    campaign = access.visible_campaigns(request.user).filter(pk=int_or_none(request.GET.get("campaign"))).first()
    if campaign is not None:
        initial["campaign"] = campaign
    # Only an unambiguous choice is made for the user: ticking their own organisation would open
    # a town admin's session to every member of the town (and mark them done on a required item).
    only_org = access.scope_orgs(request.user)[:2]
    if len(only_org) == 1:
        initial["party_orgs"] = list(only_org)
    form = _session_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.create_session(**form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记学习活动“{session.title}”")
            return redirect("study:session_detail", pk=session.pk)
    return render(request, "study/session_form.html", {"form": form, "session": None})


@login_required
def session_edit(request, pk):
    session = access.get_session_for_user(request.user, pk, for_change=True)
    initial = {
        "kind": session.kind, "title": session.title, "topic": session.topic, "speaker": session.speaker,
        "venue_kind": session.venue_kind, "venue": session.venue, "starts_at": session.starts_at,
        "ends_at": session.ends_at, "party_orgs": list(session.party_orgs.all()), "campaign": session.campaign,
        "items": list(session.items.all()), "is_featured": session.is_featured, "summary": session.summary,
    }
    form = _session_form(request, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_session(session, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "学习活动已保存")
            return redirect("study:session_detail", pk=session.pk)
    return render(request, "study/session_form.html", {"form": form, "session": session})


@login_required
def session_detail(request, pk):
    user = request.user
    session = access.get_session_for_user(user, pk)
    can_edit = access.can_edit_session(user, session)
    can_roster = can_edit or access.can_take_roster(user, session)
    expected = access.expected_members(session)
    context = {
        "session": session,
        "orgs": session.party_orgs.order_by("path"),
        "items": session.items.order_by("position"),
        "materials": session.materials.all(),
        "present_count": session.attendances.count(),
        "expected_count": expected.count(),
        "can_edit": can_edit,
        "can_roster": can_roster,
        "ended": session.has_ended(),
    }
    if can_edit:
        context["material_form"] = MaterialForm()
    if can_roster:
        mine = access.roster_members(user, session)
        context["leaves"] = (session.leave_requests.filter(member__in=mine).select_related("member__party_org")
                             .order_by("status", "member__name"))
        context["leave_form"] = LeaveForMemberForm(members=_absent_members(user, session))
    if user.role in access.STUDY_STAFF_ROLES:
        notes = access.visible_notes(user).filter(session=session)
        context["note_count"] = notes.count()
        context["notes_pending"] = notes.filter(status=NoteStatus.SUBMITTED).count()
    member = access.member_for(user)
    if member is not None and access.session_expects(session, member):
        context["me"] = member
        context["my_attendance"] = Attendance.objects.filter(session=session, member=member).first()
        context["my_leave"] = LeaveRequest.objects.filter(session=session, member=member).first()
        context["my_leave_form"] = LeaveForm()
        context["my_note"] = StudyNote.objects.filter(session=session, member=member).first()
        context["started"] = session.starts_at <= timezone.now()
    return render(request, "study/session_detail.html", context)


def _absent_members(user, session):
    return (access.roster_members(user, session).exclude(study_attendances__session=session)
            .select_related("party_org").order_by("name"))


def _roster_rows(session, members):
    attendances = {a.member_id: a for a in Attendance.objects.filter(session=session, member__in=members)}
    leaves = {v.member_id: v for v in LeaveRequest.objects.filter(session=session, member__in=members)}
    return [{"member": m, "attendance": attendances.get(m.pk), "leave": leaves.get(m.pk)} for m in members]


@login_required
@require_GET
def session_roster(request, pk):
    """The secretary's roster: every expected member with a button to tick them present."""
    session = access.get_session_for_roster(request.user, pk)
    return _roster_page(request, session)


def _roster_page(request, session, *, late_form=None, status=200):
    members = list(access.roster_members(request.user, session).select_related("party_org")
                   .order_by("party_org__path", "name"))
    rows = _roster_rows(session, members)
    ended = session.has_ended()
    if ended and late_form is None:
        late_form = LateSignInForm(members=_absent_members(request.user, session))
    return render(request, "study/session_roster.html", {
        "session": session,
        "rows": rows,
        "present": sum(1 for r in rows if r["attendance"]),
        "ended": ended,
        "late_form": late_form,
    }, status=status)


def _roster_row_response(request, session, member):
    row = _roster_rows(session, [member])[0]
    return render(request, "study/session_roster.html#row", {"session": session, "row": row,
                                                             "ended": session.has_ended()})


def _roster_member(user, session, member_pk):
    member = access.roster_members(user, session).select_related("party_org").filter(pk=member_pk).first()
    if member is None:
        raise Http404
    return member


@login_required
@require_POST
def session_tick(request, pk, member_pk):
    session = access.get_session_for_roster(request.user, pk)
    member = _roster_member(request.user, session, member_pk)
    try:
        services.tick_roster(session, member=member, by=request.user, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        if request.htmx:
            return render(request, "study/_error.html", {"message": exc.messages[0]}, status=422)
        messages.error(request, exc.messages[0])
        return redirect("study:session_roster", pk=session.pk)
    if request.htmx:
        return _roster_row_response(request, session, member)
    return redirect("study:session_roster", pk=session.pk)


@login_required
@require_POST
def session_untick(request, pk, member_pk):
    session = access.get_session_for_roster(request.user, pk)
    member = _roster_member(request.user, session, member_pk)
    services.remove_attendance(session, member=member, by=request.user, reason=request.POST.get("reason", ""))
    if request.htmx:
        return _roster_row_response(request, session, member)
    messages.success(request, f"已撤销{member.name}的签到")
    return redirect("study:session_roster", pk=session.pk)


@login_required
@require_POST
def session_late(request, pk):
    """会后补签: after the session, the secretary signs a member in with a reason."""
    session = access.get_session_for_roster(request.user, pk)
    form = LateSignInForm(request.POST, members=_absent_members(request.user, session))
    if form.is_valid():
        try:
            services.tick_roster(session, member=form.cleaned_data["member"], by=request.user,
                                 reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已为{form.cleaned_data['member'].name}补签")
            return redirect("study:session_roster", pk=session.pk)
    return _roster_page(request, session, late_form=form, status=422)


@never_cache
@login_required
@require_GET
def session_qr(request, pk):
    """The secretary's screen: a QR code of a signed link that changes every slot (htmx refreshes
    the code and the count every few seconds)."""
    session = access.get_session_for_roster(request.user, pk)
    now = timezone.now()
    url = request.build_absolute_uri(services.signin_path(session, at=now))
    qr_svg = segno.make(url, error="m").svg_inline(scale=6, title="签到二维码")
    context = {
        "session": session,
        "qr_svg": qr_svg,
        "present_count": session.attendances.count(),
        "expected_count": access.expected_members(session).count(),
        "refresh_seconds": max(5, min(10, services.slot_seconds() // 3)),
        "open": session.starts_at - services.SIGNIN_OPENS_BEFORE <= now < session.ends_at,
        "not_yet": now < session.starts_at - services.SIGNIN_OPENS_BEFORE,
    }
    return render_page(request, "study/session_qr.html", context, partial="code")


@login_required
@require_POST
def material_upload(request, pk):
    session = access.get_session_for_user(request.user, pk, for_change=True)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            material = services.add_material(session, upload=form.cleaned_data["file"],
                                             title=form.cleaned_data["title"], by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"已上传学习材料“{material.title}”")
    else:
        messages.error(request, "请选择要上传的文件")
    return redirect("study:session_detail", pk=session.pk)


@login_required
@require_GET
def material_download(request, pk, material_pk):
    """A material, for anyone who may see the session."""
    session = access.get_session_for_user(request.user, pk)
    material = get_object_or_404(session.materials, pk=material_pk)
    inline = material.content_type in INLINE_TYPES
    return stored_file(material.file, content_type=material.content_type, filename=material.filename,
                       attachment=not inline)


@login_required
@require_POST
def leave_request(request, pk):
    """A member asks for leave from a session they are expected at."""
    session = access.get_session_for_user(request.user, pk)
    member = access.member_for(request.user)
    if member is None or not access.session_expects(session, member):
        raise PermissionDenied("您不在本次学习的参加范围内")
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            services.request_leave(session, member=member, reason=form.cleaned_data["reason"], by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, "请假申请已提交，等待支部书记审批")
    else:
        messages.error(request, "请填写请假事由")
    return redirect("study:session_detail", pk=session.pk)


@login_required
@require_POST
def leave_record(request, pk):
    """The secretary records (and so approves) a member's leave."""
    session = access.get_session_for_roster(request.user, pk)
    form = LeaveForMemberForm(request.POST, members=_absent_members(request.user, session))
    if form.is_valid():
        try:
            services.request_leave(session, member=form.cleaned_data["member"], reason=form.cleaned_data["reason"],
                                   by=request.user, approve=True)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, f"已登记{form.cleaned_data['member'].name}请假")
    else:
        messages.error(request, "请选择党员并填写请假事由")
    return redirect("study:session_detail", pk=session.pk)


@login_required
@require_POST
def leave_decide(request, pk):
    leave = access.get_leave_for_user(request.user, pk)
    if not access.roster_members(request.user, leave.session).filter(pk=leave.member_id).exists():
        raise PermissionDenied("没有审批此请假的权限")
    form = LeaveDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择准假或不准假")
    else:
        try:
            services.decide_leave(leave, approve=form.cleaned_data["decision"] == "approve", by=request.user,
                                  note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            label = "准假" if leave.status == LeaveStatus.APPROVED else "不准假"
            messages.success(request, f"{leave.member.name}：{label}")
    return redirect("study:session_detail", pk=leave.session_id)

