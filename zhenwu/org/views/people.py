"""Pages for places, households, residents, members and departments (phone first).

Every record comes through zhenwu.org.access; every write through zhenwu.org.services. Lists are
paged and their query count does not grow with the page size. htmx requests get the result
fragment of the same template (template partials).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from zhenwu.core.roles import AREA_SCOPED, ORG_SCOPED, Role
from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.paging import paginate
from zhenwu.lib.params import int_or_none

from .. import access, services
from ..forms import HouseholdForm, MemberForm, ResidentForm
from ..models import Household, Member, Resident
from ..ordering import tree_order
from ..signals import member_page_sections


def _render_list(request, template, context):
    if request.htmx and not request.htmx.boosted:
        template = f"{template}#results"
    return render(request, template, context)


# --- places and departments ---------------------------------------------------------------------


@login_required
def area_list(request):
    """The town's area tree with household counts per grid, rolled up to villages."""
    access.require_staff(request.user)
    areas = list(access.visible_areas(request.user).order_by("path"))
    if areas:
        root = areas[0]
        counts = dict(
            Household.objects.filter(grid__path__startswith=root.path)
            .values_list("grid_id")
            .annotate(n=Count("id"))
        )
        by_path = {}
        for area in areas:
            area.household_count = counts.get(area.pk, 0)
            by_path[area.path] = area
        # Descendants follow their ancestors in path order, so walking backwards adds every
        # child's finished total to its parent.
        for area in reversed(areas):
            parent = by_path.get(area.path[: -area.steplen])
            if parent is not None:
                parent.household_count += area.household_count
        base_depth = root.depth
        for area in areas:
            area.indent = area.depth - base_depth
        areas = tree_order(areas)
    return render(request, "org/area_list.html", {"areas": areas})


@login_required
def department_list(request):
    access.require_staff(request.user)
    departments = access.visible_departments(request.user).select_related("town")
    return render(request, "org/department_list.html", {"departments": departments})


# --- households ---------------------------------------------------------------------------------


def _require_household_scope(user):
    if user.role not in AREA_SCOPED:
        raise PermissionDenied("此角色不查看住户信息")


@login_required
def household_list(request):
    user = request.user
    _require_household_scope(user)
    villages, grids = access.household_filter_areas(user)
    households = Household.objects.visible_to(user)

    q = (request.GET.get("q") or "").strip()[:30]
    if q:
        named = Resident.objects.filter(household=OuterRef("pk"), name__icontains=q)
        households = households.filter(Q(number__icontains=q) | Q(address__icontains=q) | Q(Exists(named)))
    village = next((v for v in villages if v.pk == int_or_none(request.GET.get("village"))), None)
    if village is not None:
        households = households.filter(grid__path__startswith=village.path)
    grid = next((g for g in grids if g.pk == int_or_none(request.GET.get("grid"))), None)
    if grid is not None:
        households = households.filter(grid=grid)
    if village is not None:
        grids = [g for g in grids if g.path.startswith(village.path)]

    head = Resident.objects.filter(household=OuterRef("pk"), relation="户主").order_by("id").values("name")[:1]
    households = (
        households.select_related("grid")
        .annotate(resident_count=Count("residents"), head_name=Subquery(head))
        .order_by("number")
    )
    page = paginate(request, households)
    return _render_list(request, "org/household_list.html", {
        "page": page,
        "q": q,
        "villages": villages,
        "grids": grids,
        "village": village,
        "grid": grid,
        "can_add": access.can_add_household(user),
    })


@login_required
def household_detail(request, pk):
    household = access.get_household_for_user(request.user, pk)
    can_change = access.can_change(request.user, household)
    residents = list(household.residents.select_related("member").order_by("id"))
    residents.sort(key=lambda r: (not r.is_head, r.id))
    return render(request, "org/household_detail.html", {
        "household": household,
        "residents": residents,
        "can_change": can_change,
    })


@login_required
def household_create(request):
    if not access.can_add_household(request.user):
        raise PermissionDenied("没有新增住户的权限")
    form = HouseholdForm(request.POST or None, grids=access.editable_grids(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            household = services.create_household(**form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已新增住户 {household.number}")
            return redirect("org:household_detail", pk=household.pk)
    return render(request, "org/household_form.html", {"form": form, "household": None})


@login_required
def household_edit(request, pk):
    household = access.get_household_for_user(request.user, pk, for_change=True)
    initial = {"grid": household.grid_id, "number": household.number, "address": household.address,
               "latitude": household.latitude, "longitude": household.longitude}
    form = HouseholdForm(request.POST or None, initial=initial, grids=access.editable_grids(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_household(household, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "住户信息已保存")
            return redirect("org:household_detail", pk=household.pk)
    return render(request, "org/household_form.html", {"form": form, "household": household})


# --- residents ----------------------------------------------------------------------------------


def _resident_data(form):
    data = {k: form.cleaned_data[k] for k in ("name", "relation", "gender", "birth_date", "tags")}
    data.update(form.number_changes())
    return data


@login_required
def resident_create(request, pk):
    household = access.get_household_for_user(request.user, pk, for_change=True)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            resident = services.add_resident(household=household, **_resident_data(form))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记居民 {resident.name}")
            return redirect("org:household_detail", pk=household.pk)
    return render(request, "org/resident_form.html", {"form": form, "household": household, "resident": None})


@login_required
def resident_edit(request, pk):
    resident = access.get_resident_for_user(request.user, pk, for_change=True)
    initial = {
        "name": resident.name,
        "relation": resident.relation,
        "gender": resident.gender,
        "birth_date": resident.birth_date,
        "tags": list(resident.tags) + list(resident.sensitive_tags),
    }
    form = ResidentForm(request.POST or None, initial=initial, instance=resident)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_resident(resident, **_resident_data(form))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "居民信息已保存")
            return redirect("org:household_detail", pk=resident.household_id)
    return render(request, "org/resident_form.html", {
        "form": form, "household": resident.household, "resident": resident,
    })


def _reveal(request, obj, field):
    if field not in services.REVEALABLE_FIELDS:
        raise Http404
    value = services.reveal_personal_number(obj, field=field, by=request.user)
    return render(request, "org/_revealed.html", {"value": value, "label": services.REVEALABLE_FIELDS[field]})


@never_cache
@require_POST
@login_required
def resident_reveal(request, pk, field):
    """htmx: the full number in place of the masked one; the act is logged."""
    return _reveal(request, access.get_resident_for_user(request.user, pk), field)


# --- members ------------------------------------------------------------------------------------

MEMBER_FLAGS = {"elderly": ("is_elderly", "年老体弱"), "ill": ("is_ill", "患病/残疾"), "migrant": ("is_migrant", "流动党员")}


def _require_member_scope(user):
    if user.role not in ORG_SCOPED and user.role != Role.MEMBER:
        raise PermissionDenied("此角色不查看党员信息")


@login_required
def member_list(request):
    user = request.user
    _require_member_scope(user)
    orgs = list(access.visible_party_orgs(user).only("id", "name", "depth", "path"))
    members = Member.objects.visible_to(user)

    q = (request.GET.get("q") or "").strip()[:30]
    if q:
        members = members.filter(name__icontains=q)
    org = next((o for o in orgs if o.pk == int_or_none(request.GET.get("org"))), None)
    if org is not None:
        members = members.filter(party_org__path__startswith=org.path)
    flags = [f for f in request.GET.getlist("flag") if f in MEMBER_FLAGS]
    if flags:
        condition = Q()
        for flag in flags:
            condition |= Q(**{MEMBER_FLAGS[flag][0]: True})
        members = members.filter(condition)
    if request.GET.get("inactive") != "1":
        members = members.filter(is_active=True)
    members = members.select_related("party_org").order_by("party_org__path", "name", "id")
    page = paginate(request, members)
    return _render_list(request, "org/member_list.html", {
        "page": page,
        "q": q,
        "orgs": orgs,
        "org": org,
        "flags": flags,
        "flag_choices": [(key, label) for key, (_, label) in MEMBER_FLAGS.items()],
        "can_add": access.can_add_member(user),
    })


@login_required
def member_detail(request, pk):
    member = access.get_member_for_user(request.user, pk)
    can_change = access.can_change(request.user, member)
    resident = member.resident
    # The linked household is shown only to those who may see it.
    household_visible = bool(
        resident and Household.objects.visible_to(request.user).filter(pk=resident.household_id).exists()
    )
    sections = member_page_sections.send(sender=Member, member=member, user=request.user)
    return render(request, "org/member_detail.html", {
        "member": member,
        "can_change": can_change,
        "household": resident.household if household_visible else None,
        "sections": [html for _receiver, html in sections if html],
    })


def _member_party_orgs(user):
    return access.visible_party_orgs(user).order_by("path")


def _member_data(form):
    keys = ("name", "party_org", "gender", "birth_date", "joined_on", "status", "is_elderly", "is_ill",
            "is_migrant", "migrant_location", "is_active")
    data = {k: form.cleaned_data[k] for k in keys}
    data.update(form.number_changes())
    return data


@login_required
def member_create(request):
    if not access.can_add_member(request.user):
        raise PermissionDenied("没有新增党员的权限")
    form = MemberForm(request.POST or None, party_orgs=_member_party_orgs(request.user), initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            member = services.create_member(**_member_data(form))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记党员 {member.name}")
            return redirect("org:member_detail", pk=member.pk)
    return render(request, "org/member_form.html", {"form": form, "member": None})


@login_required
def member_edit(request, pk):
    member = access.get_member_for_user(request.user, pk, for_change=True)
    initial = {k: getattr(member, k) for k in (
        "name", "gender", "birth_date", "joined_on", "status", "is_elderly", "is_ill", "is_migrant",
        "migrant_location", "is_active",
    )}
    initial["party_org"] = member.party_org_id
    form = MemberForm(request.POST or None, initial=initial, instance=member,
                      party_orgs=_member_party_orgs(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(member, **_member_data(form))
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "党员信息已保存")
            return redirect("org:member_detail", pk=member.pk)
    return render(request, "org/member_form.html", {"form": form, "member": member})


@never_cache
@require_POST
@login_required
def member_reveal(request, pk, field):
    return _reveal(request, access.get_member_for_user(request.user, pk), field)
