"""Mentoring (帮学结对 1+1 / 1+N) and home lessons (送学上门, "一个人的党课") with their make-up tasks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhenwu.core.roles import Role
from zhenwu.lib.paging import paginate
from zhenwu.lib.params import int_or_none
from zhenwu.org.models import Member

from .. import access, services
from ..forms import EndMentorshipForm, MentorshipForm, attach_errors, home_lesson_form
from ..models import MakeUpStatus, MakeUpTask
from .common import render_page, stored_file


@login_required
@require_GET
def mentorship_list(request):
    user = request.user
    if user.role == Role.MEMBER:
        return redirect("study:my_study")
    access.require_study_staff(user)
    mentorships = (access.visible_mentorships(user)
                   .select_related("mentor__party_org", "campaign")
                   .prefetch_related(Prefetch("mentees", queryset=Member.objects.only("id", "name")))
                   .order_by("ended_on", "mentor__party_org__path", "mentor__name"))
    page = paginate(request, mentorships)
    return render_page(request, "study/mentorship_list.html", {
        "page": page,
        "can_add": access.can_manage_mentoring(user),
    })


@login_required
def mentorship_create(request):
    user = request.user
    if not access.can_manage_mentoring(user):
        raise PermissionDenied("只有镇管理员或支部书记可以安排帮学结对")
    members = access.members_in_scope(user).select_related("party_org").order_by("party_org__path", "name")
    initial = {"started_on": timezone.localdate()}
    mentee = members.filter(pk=int_or_none(request.GET.get("mentee"))).first()
    if mentee is not None:
        initial["mentees"] = [mentee]
    form = MentorshipForm(request.POST or None, initial=initial, members=members,
                          mentees=members, campaigns=access.visible_campaigns(user))
    if request.method == "POST" and form.is_valid():
        try:
            services.create_mentorship(**form.cleaned_data, by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "帮学结对已登记")
            return redirect("study:mentorship_list")
    return render(request, "study/mentorship_form.html", {"form": form})


@login_required
@require_POST
def mentorship_end(request, pk):
    mentorship = access.get_mentorship_for_user(request.user, pk, for_change=True)
    form = EndMentorshipForm(request.POST)
    if form.is_valid():
        try:
            services.end_mentorship(mentorship, ended_on=form.cleaned_data["ended_on"], by=request.user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            messages.success(request, "帮学结对已结束")
    else:
        messages.error(request, "请填写结束日期")
    return redirect("study:mentorship_list")


# --- home lessons ------------------------------------------------------------------------------


@login_required
@require_GET
def lesson_list(request):
    """送学上门: the make-up tasks still open in scope (who needs a lesson for what), then the
    lessons recorded."""
    user = request.user
    if user.role == Role.MEMBER:
        return redirect("study:my_study")
    access.require_study_staff(user)
    scope = access.org_q(access.scope_paths(user), field="member__party_org")
    open_tasks = list(
        MakeUpTask.objects.filter(scope, status=MakeUpStatus.OPEN, member__is_active=True)
        .select_related("member__party_org", "item__campaign")
        .order_by("member__party_org__path", "member__name", "item__position")[:300]
    )
    by_member = {}
    for task in open_tasks:
        by_member.setdefault(task.member_id, {"member": task.member, "tasks": []})["tasks"].append(task)
    lessons = (access.visible_home_lessons(user).select_related("member__party_org", "mentor", "instructor", "recorded_by")
               .prefetch_related("items").order_by("-given_on", "-id"))
    page = paginate(request, lessons)
    return render_page(request, "study/lesson_list.html", {
        "pending": list(by_member.values()),
        "pending_truncated": len(open_tasks) >= 300,
        "page": page,
        "can_add": access.can_record_lessons(user),
    })


@login_required
def lesson_create(request):
    """A mentor (for their mentees), a secretary or town admin (for members in scope) or an
    instructor (for members of the branches they guide; they are the lesson's 送学人) records a home
    lesson. ?member= preselects the member and their open items."""
    user = request.user
    if not access.can_record_lessons(user):
        raise PermissionDenied("您没有需要送学的帮学对象")
    is_instructor = user.role == Role.INSTRUCTOR
    is_office = user.role in access.SESSION_EDITOR_ROLES
    initial = {"given_on": timezone.localdate(), "confirmation": "signed"}
    member = access.lesson_members(user).filter(pk=int_or_none(request.GET.get("member"))).first()
    if member is not None:
        initial["member"] = member
        initial["items"] = list(MakeUpTask.objects.filter(member=member, status=MakeUpStatus.OPEN)
                                .values_list("item_id", flat=True))
    if is_office:
        default_mentor = access.lesson_mentor_of(member) or access.member_for(user)
        if default_mentor is not None and default_mentor.pk != getattr(member, "pk", None):
            initial["mentor"] = default_mentor
    form = home_lesson_form(user, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        mentor, instructor = form.deliverers()
        try:
            lesson = services.record_home_lesson(
                member=data["member"], mentor=mentor, instructor=instructor,
                given_on=data["given_on"], content=data["content"], items=data["items"],
                confirmation=data["confirmation"], photo=data["photo"], by=user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            if lesson.is_confirmed:
                messages.success(request, f"已登记为{lesson.member.name}送学上门")
            else:
                messages.success(request, f"已登记送学，等待{lesson.member.name}在手机上确认")
            return redirect("study:lesson_detail", pk=lesson.pk)
    return render(request, "study/lesson_form.html", {
        "form": form, "is_instructor": is_instructor, "is_mentor": not is_instructor and not is_office,
    })


@login_required
def lesson_detail(request, pk):
    lesson = access.get_home_lesson_for_user(request.user, pk)
    me = access.member_for(request.user)
    return render(request, "study/lesson_detail.html", {
        "lesson": lesson,
        "items": lesson.items.select_related("campaign").order_by("position"),
        "can_confirm": me is not None and me.pk == lesson.member_id and not lesson.is_confirmed,
    })


@login_required
@require_GET
def lesson_photo(request, pk):
    lesson = access.get_home_lesson_for_user(request.user, pk)
    return stored_file(lesson.photo, content_type=lesson.photo_content_type or "image/jpeg")


@login_required
@require_POST
def lesson_confirm(request, pk):
    lesson = access.get_home_lesson_for_user(request.user, pk)
    try:
        services.confirm_home_lesson(lesson, by=request.user)
    except ValidationError as exc:
        raise PermissionDenied(exc.messages[0]) from None
    messages.success(request, "已确认本次送学")
    return redirect("study:my_study")
