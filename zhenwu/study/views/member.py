"""The member's own study page, study packs with their receipts, and staff notices."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhenwu.core.roles import Role
from zhenwu.lib.paging import paginate

from .. import access, coverage, services
from ..forms import HandoutForm, PackForm, attach_errors
from ..models import (
    Attendance,
    Confirmation,
    HomeLesson,
    LeaveRequest,
    MakeUpStatus,
    MakeUpTask,
    Mentorship,
    PackHandout,
    StudyNote,
    StudyNotice,
)


@login_required
@require_GET
def my_study(request):
    """我的学习: my sessions, my pending items, lessons and packs awaiting my confirmation, my mentor
    or my mentees."""
    user = request.user
    member = access.member_for(user)
    if member is None:
        if user.role in access.STUDY_STAFF_ROLES:
            return redirect("study:campaign_list")
        return render(request, "study/my_study.html", {"member": None})
    now = timezone.now()
    sessions = list(access.visible_sessions(user).order_by("-starts_at")[:20])
    attendance = {a.session_id: a for a in Attendance.objects.filter(member=member, session__in=sessions)}
    leaves = {v.session_id: v for v in LeaveRequest.objects.filter(member=member, session__in=sessions)}
    notes = {n.session_id: n for n in StudyNote.objects.filter(member=member, session__in=sessions)}
    session_rows = [{"session": s, "attendance": attendance.get(s.pk), "leave": leaves.get(s.pk),
                     "note": notes.get(s.pk), "ended": s.has_ended(now), "started": s.starts_at <= now}
                    for s in sessions]

    campaigns = []
    for campaign in access.visible_campaigns(user).order_by("-starts_on")[:3]:
        statuses = coverage.member_statuses(member, campaign)
        if statuses:
            campaigns.append({"campaign": campaign, "statuses": statuses,
                              "done": sum(1 for _, s in statuses if s in (coverage.Status.DONE,
                                                                           coverage.Status.MADE_UP))})
    mentors = (Mentorship.objects.filter(mentees=member, ended_on__isnull=True).select_related("mentor__party_org"))
    led = list(Mentorship.objects.filter(mentor=member, ended_on__isnull=True).prefetch_related("mentees"))
    mentees = access.mentees_of(member).select_related("party_org").annotate(
        open_tasks=Count("makeup_tasks", filter=Q(makeup_tasks__status=MakeUpStatus.OPEN)))
    return render(request, "study/my_study.html", {
        "member": member,
        "session_rows": session_rows,
        "campaigns": campaigns,
        "labels": coverage.Status.LABELS,
        "open_tasks": MakeUpTask.objects.filter(member=member, status=MakeUpStatus.OPEN).select_related("item"),
        "lessons_to_confirm": HomeLesson.objects.filter(member=member, confirmed_at__isnull=True,
                                                        confirmation=Confirmation.APP),
        "lessons": HomeLesson.objects.filter(member=member, confirmed_at__isnull=False)
        .select_related("mentor", "instructor", "recorded_by")[:10],
        "packs_to_confirm": PackHandout.objects.filter(member=member, received_at__isnull=True).select_related("pack"),
        "mentors": mentors,
        "led": led,
        "mentees": mentees,
    })


# --- study packs ------------------------------------------------------------------------------------


@login_required
@require_GET
def pack_list(request):
    user = request.user
    if user.role == Role.MEMBER:
        return redirect("study:my_study")
    access.require_study_staff(user)
    scope = access.org_q(access.scope_paths(user), field="handouts__member__party_org")
    packs = (access.visible_packs(user).select_related("campaign")
             .annotate(handed=Count("handouts", filter=scope, distinct=True),
                       received=Count("handouts", filter=scope & Q(handouts__received_at__isnull=False),
                                      distinct=True))
             .order_by("-created_at"))
    return render(request, "study/pack_list.html", {
        "packs": packs,
        "can_add": user.role == Role.TOWN_ADMIN,
    })


@login_required
def pack_create(request):
    user = request.user
    if user.role != Role.TOWN_ADMIN:
        raise PermissionDenied("只有镇管理员可以登记学习资料包")
    form = PackForm(request.POST or None, campaigns=access.visible_campaigns(user))
    if request.method == "POST" and form.is_valid():
        try:
            pack = services.create_study_pack(**form.cleaned_data, by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记“{pack.name}”，可以开始发放")
            return redirect("study:pack_detail", pk=pack.pk)
    return render(request, "study/pack_form.html", {"form": form})


@login_required
def pack_detail(request, pk):
    """The pack, who received it (within scope), and the hand-out form for those who do not have it."""
    user = request.user
    access.require_study_staff(user)
    pack = access.get_pack_for_user(user, pk)
    handouts = (PackHandout.objects.filter(pack=pack).filter(access.org_q(access.scope_paths(user),
                                                                           field="member__party_org"))
                .select_related("member__party_org", "handed_by").order_by("member__party_org__path", "member__name"))
    form = None
    if access.can_hand_out(user):
        without = (access.members_in_scope(user).exclude(pack_handouts__pack=pack).select_related("party_org")
                   .order_by("party_org__path", "name"))
        form = HandoutForm(request.POST or None, initial={"handed_on": timezone.localdate(), "receipt": "signed"},
                           members=without)
        if request.method == "POST" and form.is_valid():
            try:
                created, skipped = services.hand_out_pack(pack, by=user, **form.cleaned_data)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, f"已发放{len(created)}份" + (f"（{skipped}人已领取，未重复登记）" if skipped else ""))
                return redirect("study:pack_detail", pk=pack.pk)
    elif request.method == "POST":
        raise PermissionDenied("只有镇管理员或支部书记可以登记发放")
    page = paginate(request, handouts, per_page=50)
    return render(request, "study/pack_detail.html", {
        "pack": pack, "page": page, "form": form,
    })


@login_required
@require_POST
def handout_confirm(request, pk):
    handout = access.get_handout_for_member(request.user, pk)
    try:
        services.confirm_pack_receipt(handout, by=request.user)
    except ValidationError as exc:
        raise PermissionDenied(exc.messages[0]) from None
    messages.success(request, f"已签收“{handout.pack.name}”")
    return redirect("study:my_study")


# --- notices ----------------------------------------------------------------------------------------


@login_required
def notice_list(request):
    access.require_study_staff(request.user)
    notices = StudyNotice.objects.filter(recipient=request.user).order_by("-created_at", "-id")
    page = paginate(request, notices)
    unread = StudyNotice.objects.filter(recipient=request.user, read_at__isnull=True).count()
    return render(request, "study/notice_list.html", {"page": page, "unread": unread})


@login_required
@require_POST
def notices_read(request):
    access.require_study_staff(request.user)
    services.mark_notices_read(request.user)
    return redirect("study:notice_list")

