"""Instructors (主题教育指导员): assignments to branches, guidance records, and the branch site
checklist (阵地"五化") with scores and photos."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from zhenwu.accounts.models import User
from zhenwu.core.roles import Role
from zhenwu.lib.paging import paginate

from .. import access, services
from ..forms import AssignmentForm, FollowUpForm, GuidanceForm, attach_errors, site_check_form
from ..models import InstructorAssignment, SiteCheckPhoto
from .common import render_page, stored_file


def _instructors_in_town(user):
    """Instructor accounts the town admin may assign (any active instructor whose own
    organisation, if set, lies in the admin's scope)."""
    instructors = User.objects.filter(role=Role.INSTRUCTOR, is_active=True).select_related("party_org")
    paths = access.scope_paths(user)
    return [u for u in instructors if u.party_org_id is None or any(u.party_org.path.startswith(p) for p in paths)]


@login_required
def instructor_list(request):
    """Town admins: who guides which branch, and the form to assign. Instructors: their branches."""
    user = request.user
    if user.role not in (Role.TOWN_ADMIN, Role.LEADER, Role.INSTRUCTOR):
        raise PermissionDenied("此页面供镇管理员、镇领导和指导员使用")
    assignments = (InstructorAssignment.objects.filter(access.org_q(access.scope_paths(user)))
                   .select_related("instructor", "party_org", "campaign").order_by("party_org__path"))
    if user.role == Role.INSTRUCTOR:
        assignments = assignments.filter(instructor=user)
    form = None
    if access.can_assign_instructors(user):
        candidates = _instructors_in_town(user)
        form = AssignmentForm(
            request.POST or None,
            instructors=User.objects.filter(pk__in=[u.pk for u in candidates]).order_by("full_name", "username"),
            orgs=access.scope_orgs(user).order_by("path"),
            campaigns=access.visible_campaigns(user),
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.assign_instructor(**form.cleaned_data, by=user)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "已选派指导员")
                return redirect("study:instructor_list")
    elif request.method == "POST":
        raise PermissionDenied("只有镇管理员可以选派指导员")
    seeded = None
    if user.role == Role.INSTRUCTOR and user.party_org_id:
        seeded = user.party_org
    return render(request, "study/instructor_list.html", {
        "assignments": assignments,
        "form": form,
        "seeded": seeded,
        "campaigns": access.visible_campaigns(user).order_by("-starts_on")[:5],
    })


@login_required
@require_POST
def assignment_remove(request, pk):
    if not access.can_assign_instructors(request.user):
        raise PermissionDenied("只有镇管理员可以撤回指导员")
    assignment = get_object_or_404(InstructorAssignment.objects.select_related("instructor", "party_org"), pk=pk)
    if not access.in_scope(request.user, assignment.party_org):
        raise Http404
    services.remove_instructor_assignment(assignment, by=request.user)
    messages.success(request, f"已撤回{assignment.instructor.display_name}对{assignment.party_org.name}的指导")
    return redirect("study:instructor_list")


# --- guidance -------------------------------------------------------------------------------------


@login_required
@require_GET
def guidance_list(request):
    access.require_study_staff(request.user)
    records = (access.visible_guidance(request.user).select_related("party_org", "instructor", "campaign")
               .order_by("-visited_on", "-id"))
    page = paginate(request, records)
    return render_page(request, "study/guidance_list.html", {
        "page": page,
        "can_add": request.user.role in access.GUIDANCE_ROLES,
    })


@login_required
def guidance_create(request):
    user = request.user
    if user.role not in access.GUIDANCE_ROLES:
        raise PermissionDenied("只有指导员或镇管理员可以登记指导记录")
    form = GuidanceForm(request.POST or None, initial={"visited_on": timezone.localdate()},
                        orgs=access.guidance_orgs(user).order_by("path"), campaigns=access.visible_campaigns(user))
    if request.method == "POST" and form.is_valid():
        try:
            guidance = services.record_guidance(**form.cleaned_data, instructor=user, by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "指导记录已保存")
            return redirect("study:guidance_detail", pk=guidance.pk)
    return render(request, "study/guidance_form.html", {"form": form})


@login_required
def guidance_detail(request, pk):
    guidance = access.get_guidance_for_user(request.user, pk)
    can_change = request.user.role == Role.TOWN_ADMIN or guidance.instructor_id == request.user.pk
    form = None
    if can_change:
        form = FollowUpForm(request.POST or None, initial={"follow_up": guidance.follow_up,
                                                           "follow_up_done_on": guidance.follow_up_done_on})
        if request.method == "POST" and form.is_valid():
            try:
                services.update_follow_up(guidance, follow_up=form.cleaned_data["follow_up"],
                                          done_on=form.cleaned_data["follow_up_done_on"], by=request.user)
            except ValidationError as exc:
                attach_errors(form, exc)
            else:
                messages.success(request, "整改跟进已保存")
                return redirect("study:guidance_detail", pk=guidance.pk)
    elif request.method == "POST":
        raise PermissionDenied("只有指导员本人或镇管理员可以修改指导记录")
    return render(request, "study/guidance_detail.html", {"guidance": guidance, "form": form})


# --- site checks ----------------------------------------------------------------------------------


@login_required
@require_GET
def site_check_list(request):
    access.require_study_staff(request.user)
    checks = (access.visible_site_checks(request.user).select_related("party_org", "checked_by")
              .annotate(photo_count=Count("photos")).order_by("-checked_on", "-id"))
    page = paginate(request, checks)
    return render_page(request, "study/site_check_list.html", {
        "page": page,
        "can_add": request.user.role in access.GUIDANCE_ROLES,
    })


@login_required
def site_check_create(request):
    user = request.user
    if not access.can_record_site_checks(user):
        raise PermissionDenied("只有指导员或镇管理员可以登记阵地检查")
    form = site_check_form(user, request.POST or None, request.FILES or None,
                           initial={"checked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            check = services.record_site_check(**form.check_arguments(), by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记{check.party_org.name}阵地检查，总分{check.total}")
            return redirect("study:site_check_detail", pk=check.pk)
    return render(request, "study/site_check_form.html", {"form": form})


@login_required
@require_GET
def site_check_detail(request, pk):
    check = access.get_site_check_for_user(request.user, pk)
    return render(request, "study/site_check_detail.html", {"check": check, "photos": check.photos.all()})


@login_required
@require_GET
def site_check_photo(request, pk):
    photo = get_object_or_404(SiteCheckPhoto, pk=pk)
    access.get_site_check_for_user(request.user, photo.site_check_id)
    return stored_file(photo.file, content_type=photo.content_type)
