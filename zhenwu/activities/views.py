"""Activity pages: activities with participants, hours confirmation and photos; the volunteer
ranking; contests with entries, judges' scores and awards; role models. Phone first; the
participant list and hours confirmation answer htmx requests with fragments."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenwu.accounts.models import User
from zhenwu.core.roles import EVERYONE, Role
from zhenwu.lib.paging import paginate
from zhenwu.lib.params import int_or_none
from zhenwu.lib.pickers import picker_results
from zhenwu.org.models import Area, Member, Resident, town_of
from zhenwu.study.access import visible_campaigns, visible_sessions

from . import access, services
from .beneficiaries import beneficiary_total
from .forms import (
    ActivityForm,
    AwardForm,
    BeneficiaryForm,
    ContestForm,
    EntryForm,
    ParticipantForm,
    PhotoForm,
    RoleModelForm,
    ScoreForm,
    attach_errors,
)
from .models import (
    ActivityKind,
    ActivityPhoto,
    Entry,
    Participation,
    ParticipationRole,
    RoleModelPhoto,
    Score,
)
from .ranking import member_hours, volunteer_ranking


def _render(request, template, context, partial="results"):
    if request.htmx and not request.htmx.boosted and partial:
        template = f"{template}#{partial}"
    return render(request, template, context)


def _require_staff(user):
    if getattr(user, "role", None) not in EVERYONE:
        raise PermissionDenied("没有查看活动的权限")


def _stored(field_file, content_type):
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError, ValueError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- activities -----------------------------------------------------------------------------------


@login_required
@require_GET
def activity_list(request):
    user = request.user
    _require_staff(user)
    activities = access.visible_activities(user)
    kind = request.GET.get("kind") or ""
    if kind in ActivityKind.values:
        activities = activities.filter(kind=kind)
    else:
        kind = ""
    month = request.GET.get("month") or ""
    try:
        year_num, month_num = (int(x) for x in month.split("-"))
        first = datetime.date(year_num, month_num, 1)
        last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
        activities = activities.held_between(first, last)
    except ValueError:
        month = ""
    activities = (activities.select_related("area", "department", "party_org")
                  .annotate(volunteers=Count("participations", filter=Q(participations__role=ParticipationRole.VOLUNTEER)),
                            people=Count("participations"))
                  .order_by("-starts_at", "-id"))
    page = paginate(request, activities)
    return _render(request, "activities/activity_list.html", {
        "page": page, "kinds": ActivityKind.choices, "kind": kind, "month": month,
        "can_add": access.can_add_activity(user),
    })


def _activity_form(request, user, data=None, initial=None):
    areas, departments, party_orgs = access.organiser_choices(user)
    return ActivityForm(data, initial=initial, areas=areas, departments=departments, party_orgs=party_orgs,
                        campaigns=visible_campaigns(user))


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request):
    user = request.user
    if not access.can_add_activity(user):
        raise PermissionDenied("没有登记活动的权限")
    form = _activity_form(request, user, request.POST or None,
                          initial={"starts_at": timezone.localtime().replace(minute=0, second=0, microsecond=0),
                                   "department": user.department_id, "party_org": user.party_org_id,
                                   "area": user.area_id})
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.create_activity(by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已登记活动，请添加参与人员")
            return redirect("activities:activity_detail", activity.pk)
    return render(request, "activities/activity_form.html", {"form": form, "activity": None})


@login_required
@require_http_methods(["GET", "POST"])
def activity_edit(request, pk):
    user = request.user
    activity = access.get_activity_for_user(user, pk, for_change=True)
    initial = {f: getattr(activity, f) for f in ("kind", "title", "starts_at", "ends_at", "place", "summary",
                                                 "beneficiary_count", "beneficiary_description")}
    initial.update(area=activity.area_id, department=activity.department_id, party_org=activity.party_org_id,
                   campaign=activity.campaign_id)
    form = _activity_form(request, user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_activity(activity, by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("activities:activity_detail", activity.pk)
    return render(request, "activities/activity_form.html", {"form": form, "activity": activity})


def _participant_form(user, activity, data=None):
    members = Member.objects.visible_to(user).filter(is_active=True).select_related("party_org").order_by("name")
    residents = (Resident.objects.visible_to(user).filter(household__grid__path__startswith=activity.area.path)
                 .select_related("household").order_by("name", "id"))
    return ParticipantForm(data, members=members, residents=residents,
                           search_url=reverse("activities:participant_search", args=[activity.pk]))


@login_required
@require_GET
def participant_search(request, pk):
    """The participant pickers' search: at most 20 members or residents the user may add."""
    user = request.user
    activity = access.get_activity_for_user(user, pk, for_change=True)
    name = request.GET.get("field")
    if name not in ("member", "resident"):
        return HttpResponseBadRequest("field 参数只能是 member 或 resident")
    form = _participant_form(user, activity)
    return picker_results(request, form.fields[name], name=name)


def _beneficiary_form(user, activity, data=None):
    residents = access.beneficiary_residents(user, activity).select_related("household").order_by("name", "id")
    visitors = (activity.participations.filter(role__in=services.VISITOR_ROLES)
                .select_related("member", "resident").order_by("role", "id"))
    return BeneficiaryForm(data, residents=residents, visitors=visitors,
                           search_url=reverse("activities:beneficiary_search", args=[activity.pk]))


def _detail_context(user, activity, form=None, beneficiary_form=None):
    participations = list(activity.participations.select_related("member", "resident", "hours_confirmed_by")
                          .order_by("role", "id"))
    can_edit = access.can_edit_activity(user, activity)
    named_kind = activity.kind in services.NAMED_BENEFICIARY_KINDS
    listed = activity.beneficiary_rows.count()
    beneficiaries = list(
        access.visible_beneficiaries(user, activity)
        .select_related("resident__household", "visited_by__member", "visited_by__resident").order_by("id")
    )
    if can_edit and named_kind and beneficiary_form is None:
        beneficiary_form = _beneficiary_form(user, activity)
    return {
        "activity": activity,
        "participations": participations,
        "volunteers": sum(1 for p in participations if p.role == ParticipationRole.VOLUNTEER),
        "pending": sum(1 for p in participations if p.role == ParticipationRole.VOLUNTEER and p.hours is not None
                       and not p.hours_confirmed),
        "photos": list(activity.photos.all()),
        "can_edit": can_edit,
        "can_confirm": access.can_confirm_hours(user, activity),
        "form": form,
        "photo_form": PhotoForm(),
        "listed": listed,
        "served": beneficiary_total(activity, named=listed),
        "named_kind": named_kind,
        "beneficiaries": beneficiaries,
        "beneficiary_form": beneficiary_form if can_edit and named_kind else None,
    }


@login_required
@require_GET
def activity_detail(request, pk):
    user = request.user
    activity = access.get_activity_for_user(user, pk)
    context = _detail_context(user, activity)
    if context["can_edit"]:
        context["form"] = _participant_form(user, activity)
    return render(request, "activities/activity_detail.html", context)


@login_required
@require_POST
def participant_add(request, pk):
    user = request.user
    activity = access.get_activity_for_user(user, pk, for_change=True)
    form = _participant_form(user, activity, request.POST)
    if form.is_valid():
        try:
            services.add_participant(activity, by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            form = _participant_form(user, activity)
    context = _detail_context(user, activity, form)
    if request.htmx:
        return render(request, "activities/activity_detail.html#participants", context)
    if form.errors:
        return render(request, "activities/activity_detail.html", context, status=400)
    return redirect("activities:activity_detail", activity.pk)


@login_required
@require_GET
def beneficiary_search(request, pk):
    """The beneficiary picker's search: at most 20 residents of the activity's town the user may see."""
    user = request.user
    activity = access.get_activity_for_user(user, pk, for_change=True)
    form = _beneficiary_form(user, activity)
    return picker_results(request, form.fields["resident"], name="resident")


@login_required
@require_POST
def beneficiary_add(request, pk):
    """Name one beneficiary (a resident, or someone typed in) with their visitor and what was given."""
    user = request.user
    activity = access.get_activity_for_user(user, pk, for_change=True)
    form = _beneficiary_form(user, activity, request.POST)
    if form.is_valid():
        try:
            row = services.add_beneficiary(activity, by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记受益人{row.person_label}")
            return redirect(reverse("activities:activity_detail", args=[activity.pk]) + "#beneficiaries")
    context = _detail_context(user, activity, beneficiary_form=form)
    if context["can_edit"]:
        context["form"] = _participant_form(user, activity)
    return render(request, "activities/activity_detail.html", context, status=400)


@login_required
@require_POST
def beneficiary_remove(request, pk):
    user = request.user
    row = access.get_beneficiary_for_change(user, pk)
    services.remove_beneficiary(row, by=user)
    messages.success(request, f"已将{row.person_label}移出受益人名单")
    return redirect(reverse("activities:activity_detail", args=[row.activity_id]) + "#beneficiaries")


@login_required
@require_POST
def hours_confirm(request, pk):
    """The organiser confirms (or corrects) one volunteer's hours."""
    user = request.user
    participation = get_object_or_404(Participation.objects.select_related("activity", "member", "resident"), pk=pk)
    activity = access.get_activity_for_user(user, participation.activity_id)
    if not access.can_confirm_hours(user, activity):
        raise PermissionDenied("只有活动组织者可以确认服务时长")
    error = None
    try:
        services.confirm_hours(participation, by=user, hours=request.POST.get("hours") or None)
    except ValidationError as exc:
        error = exc.messages[0]
    participation.refresh_from_db()
    if request.htmx:
        return render(request, "activities/activity_detail.html#participant", {
            "p": participation, "can_confirm": True, "error": error})
    if error:
        messages.error(request, error)
    return redirect("activities:activity_detail", activity.pk)


@login_required
@require_POST
def hours_confirm_all(request, pk):
    user = request.user
    activity = access.get_activity_for_user(user, pk)
    if not access.can_confirm_hours(user, activity):
        raise PermissionDenied("只有活动组织者可以确认服务时长")
    count = services.confirm_all_hours(activity, by=user)
    messages.success(request, f"已确认{count}名志愿者的服务时长")
    return redirect("activities:activity_detail", activity.pk)


@login_required
@require_POST
def photo_add(request, pk):
    user = request.user
    activity = access.get_activity_for_user(user, pk, for_change=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_activity_photo(activity, upload=form.cleaned_data["photo"],
                                        caption=form.cleaned_data["caption"], by=user)
            messages.success(request, "已上传照片")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    else:
        messages.error(request, "请选择照片")
    return redirect("activities:activity_detail", activity.pk)


@login_required
@require_GET
def photo_view(request, pk):
    photo = get_object_or_404(ActivityPhoto, pk=pk)
    access.get_activity_for_user(request.user, photo.activity_id)
    return _stored(photo.file, photo.content_type)


# --- volunteer hours ------------------------------------------------------------------------------


def _date(value):
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@login_required
@require_GET
def volunteer_ranking_page(request):
    user = request.user
    _require_staff(user)
    today = timezone.localdate()
    start = _date(request.GET.get("start")) or today.replace(month=1, day=1)
    end = _date(request.GET.get("end")) or today
    town = town_of(user)
    areas = (Area.objects.filter(path__startswith=town.path, level__in=("town", "village", "community"))
             .order_by("path") if town else Area.objects.none())
    area = areas.filter(pk=int_or_none(request.GET.get("area"))).first()
    rows = volunteer_ranking(activities=access.visible_activities(user), start=start, end=end, area=area, limit=100)
    me = Member.objects.filter(user=user, is_active=True).first()
    return _render(request, "activities/volunteer_ranking.html", {
        "rows": rows, "start": start, "end": end, "areas": areas, "area": area,
        "total": sum(r.hours for r in rows),
        "my_hours": member_hours(me, start=start, end=end) if me else None,
    })


# --- contests -------------------------------------------------------------------------------------


@login_required
@require_GET
def contest_list(request):
    user = request.user
    _require_staff(user)
    contests = (access.visible_contests(user).select_related("area", "department", "party_org")
                .annotate(entry_count=Count("entries", distinct=True)).order_by("-held_on", "-id"))
    return render(request, "activities/contest_list.html", {
        "contests": contests[:100], "can_add": access.can_manage_contest(user),
        "judging": set(user.judged_contests.values_list("pk", flat=True)),
    })


def _judge_choices(user):
    town = town_of(user)
    if town is None:
        return User.objects.none()
    staff = (Role.TOWN_ADMIN, Role.LEADER, Role.INSTRUCTOR, Role.SECRETARY, Role.HANDLER, Role.DISPATCHER)
    return User.objects.filter(is_active=True, role__in=staff).filter(
        Q(area__path__startswith=town.path) | Q(department__town=town) | Q(party_org__area__path__startswith=town.path)
    ).distinct().order_by("username")


@login_required
@require_http_methods(["GET", "POST"])
def contest_create(request):
    user = request.user
    if not access.can_manage_contest(user):
        raise PermissionDenied("没有登记比赛的权限")
    areas, departments, party_orgs = access.organiser_choices(user)
    form = ContestForm(request.POST or None, areas=areas, departments=departments, party_orgs=party_orgs,
                       judges=_judge_choices(user))
    if request.method == "POST" and form.is_valid():
        try:
            contest = services.create_contest(by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return redirect("activities:contest_detail", contest.pk)
    return render(request, "activities/contest_form.html", {"form": form})


@login_required
@require_GET
def contest_detail(request, pk):
    user = request.user
    contest = access.get_contest_for_user(user, pk)
    judge = access.is_judge(user, contest)
    entries = (Entry.objects.filter(contest=contest).with_scores()
               .select_related("author_member", "author_resident")
               .prefetch_related(Prefetch("scores", queryset=Score.objects.filter(judge=user), to_attr="mine"))
               .order_by("-average", "id"))
    manage = access.can_manage_contest(user, contest)
    return render(request, "activities/contest_detail.html", {
        "contest": contest, "entries": entries, "judge": judge, "manage": manage,
        "judges": list(contest.judges.all()),
        "entry_form": EntryForm(members=Member.objects.visible_to(user).select_related("party_org").order_by("name"))
        if manage else None,
        "award_choices": AwardForm().fields["award"].choices,
    })


@login_required
@require_POST
def entry_add(request, pk):
    user = request.user
    contest = access.get_contest_for_user(user, pk, for_change=True)
    form = EntryForm(request.POST, request.FILES, members=Member.objects.visible_to(user))
    if form.is_valid():
        try:
            services.add_entry(contest, by=user, **form.cleaned_data)
            messages.success(request, "已登记作品")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    else:
        messages.error(request, "请填写作品名称")
    return redirect("activities:contest_detail", contest.pk)


@login_required
@require_POST
def entry_score(request, pk):
    user = request.user
    entry = get_object_or_404(Entry, pk=pk)
    contest = access.get_contest_for_user(user, entry.contest_id)
    if not access.is_judge(user, contest):
        raise PermissionDenied("您不是本比赛的评委")
    form = ScoreForm(request.POST)
    if form.is_valid():
        try:
            services.score_entry(entry, judge=user, **form.cleaned_data)
            messages.success(request, f"已为《{entry.title}》评分")
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    else:
        messages.error(request, "得分应为0到100之间的数字")
    return redirect("activities:contest_detail", contest.pk)


@login_required
@require_POST
def entry_award(request, pk):
    user = request.user
    entry = get_object_or_404(Entry, pk=pk)
    contest = access.get_contest_for_user(user, entry.contest_id, for_change=True)
    form = AwardForm(request.POST)
    if form.is_valid():
        services.assign_award(entry, award=form.cleaned_data["award"], by=user)
    return redirect("activities:contest_detail", contest.pk)


@login_required
@require_GET
def entry_file(request, pk):
    entry = get_object_or_404(Entry, pk=pk)
    access.get_contest_for_user(request.user, entry.contest_id)
    if not entry.attachment:
        raise Http404
    return _stored(entry.attachment, entry.attachment_content_type or "application/octet-stream")


# --- role models ----------------------------------------------------------------------------------


@login_required
@require_GET
def role_model_list(request):
    user = request.user
    models = list(access.visible_role_models(user).select_related("area").order_by("category", "name"))
    counts = services.role_model_session_counts(models, user=user)
    for role_model in models:
        role_model.lessons = counts.get(role_model.pk, 0)
    return render(request, "activities/role_model_list.html", {
        "role_models": models, "can_add": access.can_manage_role_models(user)})


@login_required
@require_GET
def role_model_detail(request, pk):
    user = request.user
    role_model = access.get_role_model_for_user(user, pk)
    sessions = services.role_model_sessions(role_model, user=user).order_by("starts_at")
    return render(request, "activities/role_model_detail.html", {
        "role_model": role_model, "sessions": sessions, "photos": list(role_model.photos.all()),
        "can_edit": access.can_edit_role_model(user, role_model), "photo_form": PhotoForm(),
    })


def _role_model_form(user, data=None, initial=None):
    town = town_of(user)
    if getattr(user, "role", None) == Role.SECRETARY and user.area_id:
        areas = Area.objects.filter(path__startswith=user.area.path)
    else:
        areas = Area.objects.filter(path__startswith=town.path).exclude(level="grid") if town else Area.objects.none()
    sessions = visible_sessions(user).order_by("-starts_at")[:200]
    return RoleModelForm(data, initial=initial, areas=areas,
                         sessions=visible_sessions(user).filter(pk__in=[s.pk for s in sessions]).order_by("-starts_at"))


@login_required
@require_http_methods(["GET", "POST"])
def role_model_create(request):
    user = request.user
    if not access.can_manage_role_models(user):
        raise PermissionDenied("没有登记榜样的权限")
    form = _role_model_form(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sessions = data.pop("sessions")
        try:
            role_model = services.create_role_model(by=user, **data)
            services.link_role_model_sessions(role_model, sessions=sessions, by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return redirect("activities:role_model_detail", role_model.pk)
    return render(request, "activities/role_model_form.html", {"form": form, "role_model": None})


@login_required
@require_http_methods(["GET", "POST"])
def role_model_edit(request, pk):
    user = request.user
    role_model = access.get_role_model_for_user(user, pk, for_change=True)
    initial = {"category": role_model.category, "name": role_model.name, "headline": role_model.headline,
               "story": role_model.story, "area": role_model.area_id,
               "sessions": list(role_model.sessions.values_list("pk", flat=True))}
    form = _role_model_form(user, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        sessions = data.pop("sessions")
        try:
            services.update_role_model(role_model, member=role_model.member, by=user, **data)
            services.link_role_model_sessions(role_model, sessions=sessions, by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            return redirect("activities:role_model_detail", role_model.pk)
    return render(request, "activities/role_model_form.html", {"form": form, "role_model": role_model})


@login_required
@require_POST
def role_model_photo_add(request, pk):
    user = request.user
    role_model = access.get_role_model_for_user(user, pk, for_change=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_role_model_photo(role_model, upload=form.cleaned_data["photo"],
                                          caption=form.cleaned_data["caption"], by=user)
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
    return redirect("activities:role_model_detail", role_model.pk)


@login_required
@require_GET
def role_model_photo_view(request, pk):
    photo = get_object_or_404(RoleModelPhoto, pk=pk)
    access.get_role_model_for_user(request.user, photo.role_model_id)
    return _stored(photo.file, photo.content_type)
