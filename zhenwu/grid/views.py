"""Pages of 网格与联户 (phone first): a member's linked households, the household page, the visit
form (offline drafts through static/js/drafts.js), overdue lists, coverage, unlinked households,
sharing a grid among members, 六员 roles and 六表率 commitments with their records (a member's
联户 page, the by-village overview), the town's cadence rule and 民情茶室 meetings.

Records come through zhenwu.grid.access; every write through zhenwu.grid.services. Lists are paged
and computed in the database (zhenwu.grid.cadence).
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhenwu.concerns.access import in_scope as concern_in_scope
from zhenwu.concerns.models import Concern
from zhenwu.concerns.services import user_town_id
from zhenwu.core.roles import Role
from zhenwu.lib.form_errors import attach_errors
from zhenwu.lib.paging import PER_PAGE, paginate
from zhenwu.lib.params import int_or_none
from zhenwu.lib.pickers import picker_results
from zhenwu.lib.place_form import PlaceForm
from zhenwu.org import geo
from zhenwu.org import services as org_services
from zhenwu.org.models import Area, AreaLevel, Household
from zhenwu.org.ordering import tree_order

from . import access, cadence, exemplars, services
from .forms import (
    CadenceRuleForm,
    DistributeForm,
    ExemplarRecordForm,
    LinkForm,
    MeetingConcernsForm,
    RolesForm,
    VisitForm,
    meeting_arguments,
    meeting_forms,
)
from .models import (
    ExemplarRecord,
    HouseholdLink,
    MeetingConcern,
    MeetingPhoto,
    MemberExemplar,
    MemberRole,
    Visit,
)


def _render(request, template, context, partial="results"):
    if request.htmx and not request.htmx.boosted and partial:
        template = f"{template}#{partial}"
    return render(request, template, context)


def _with_due(page):
    today = timezone.localdate()
    for household in page:
        household.due_on = cadence.due_on(household)
        household.is_overdue = household.due_on is not None and household.due_on < today
    return page


def _grids_under(area):
    return Area.objects.filter(path__startswith=area.path).values("pk")


WIDE_LEVELS = (AreaLevel.COUNTY, AreaLevel.TOWN)


def _list_root(request, user):
    """(root, towns, town): the area a list or the coverage page covers — the user's area
    (access.scope_root) or, with ?town=, a town under it (404 for a town outside it) — the towns a
    county account may pick from, and the chosen town."""
    root = access.scope_root(user)
    if root is None:
        return None, [], None
    towns = list(access.towns_in_scope(user)) if root.level == AreaLevel.COUNTY else []
    if not request.GET.get("town"):
        return root, towns, None
    town = access.get_town_for_user(user, request.GET.get("town"))
    return town, towns, town


def _scope_filters(request, root):
    """Villages and grids under `root` for the list filters, and the chosen ones. None for a county:
    its 360 villages and 1,470 grids are no list to pick from; a town is chosen first (_list_root)."""
    if root is None or root.level == AreaLevel.COUNTY:
        return [], [], None, None
    areas = list(
        Area.objects.filter(path__startswith=root.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY,
                                                                    AreaLevel.GRID))
        .order_by("path").only("id", "name", "level", "path", "depth")
    )
    areas = tree_order(areas)
    villages = [a for a in areas if a.level != AreaLevel.GRID]
    grids = [a for a in areas if a.level == AreaLevel.GRID]
    village = next((v for v in villages if v.pk == int_or_none(request.GET.get("village"))), None)
    if village is not None:
        grids = [g for g in grids if g.path.startswith(village.path)]
    grid = next((g for g in grids if g.pk == int_or_none(request.GET.get("grid"))), None)
    return villages, grids, village, grid


# --- a member's households and the household page -------------------------------------------------


@login_required
def visit_home(request):
    """联户走访: a member's linked households (due first); for staff, the households of their scope
    with their last visit, searchable."""
    user = request.user
    access.require_read(user)
    member = access.member_of(user)
    households = access.visible_households(user)
    q = (request.GET.get("q") or "").strip()[:30]
    if q:
        households = households.filter(Q(number__icontains=q) | Q(address__icontains=q))
    root, towns, town = _list_root(request, user)
    villages, grids, village, grid = _scope_filters(request, root)
    # 列表 | 地图: the map view draws the same households from map.json (household_map).
    view = "map" if request.GET.get("view") == "map" else "list"
    if view == "map":
        return render(request, "grid/visit_home.html", {
            "view": view, "member": member, "q": q, "towns": towns, "town": town, "villages": villages,
            "grids": grids, "village": village, "grid": grid,
        })
    if grid is not None:
        households = households.filter(grid=grid)
    elif village is not None:
        households = households.filter(grid__in=_grids_under(village))
    elif town is not None:
        households = households.filter(grid__in=_grids_under(town))
    households = cadence.with_cadence(households, root=root or (grid or village)).select_related("grid")
    households = households.order_by("due_key", "number") if member else households.order_by("number")
    page = _with_due(paginate(request, households))
    summary = None
    if root is not None and not q and grid is None and village is None:
        summary = cadence.coverage(root, depth=0)[0]
    return _render(request, "grid/visit_home.html", {
        "view": view, "page": page, "member": member, "q": q, "towns": towns, "town": town, "villages": villages,
        "grids": grids, "village": village, "grid": grid, "summary": summary,
        "roles": MemberRole.objects.filter(member=member) if member else [],
        "exemplars": MemberExemplar.objects.filter(member=member) if member else [],
        "can_link": access.can_link(user), "can_edit_rule": access.can_edit_rule(user),
    })


@login_required
def household_detail(request, pk):
    user = request.user
    access.require_read(user)
    household = access.get_household_for_user(user, pk)
    residents = list(household.residents.select_related("member").order_by("id"))
    residents.sort(key=lambda r: (not r.is_head, r.id))
    links = list(
        HouseholdLink.objects.active().filter(household=household)
        .select_related("member")
        .prefetch_related(Prefetch("member__grid_roles", queryset=MemberRole.objects.order_by("role")),
                          Prefetch("member__grid_exemplars", queryset=MemberExemplar.objects.order_by("kind")))
    )
    visits = list(
        Visit.objects.filter(household=household)
        .select_related("member", "recorded_by", "concern")
        .order_by("-visited_on", "-id")[:30]
    )
    concerns = Concern.objects.filter(pk__in=[v.concern_id for v in visits if v.concern_id]).order_by("-received_at")
    status = cadence.with_cadence(Household.objects.filter(pk=household.pk)).get()
    can_edit = Household.objects.editable_by(user).filter(pk=household.pk).exists()
    can_link = access.can_link(user) and can_edit
    can_locate = can_edit
    link_form = None
    if can_link:
        linked_ids = [link.member_id for link in links]
        link_form = LinkForm(members=access.members_for_area(household.grid).exclude(pk__in=linked_ids))
    return render(request, "grid/household_detail.html", {
        "household": household,
        "residents": residents,
        "can_see_sensitive": access.can_see_sensitive(user),
        "can_reveal": can_edit,
        "links": links,
        "visits": visits,
        "concerns": concerns,
        "status": status,
        "due_on": cadence.due_on(status),
        "linked": bool(links),
        "can_visit": access.can_record_visit(user),
        "link_form": link_form,
        "elsewhere": geo.other_grid_holding(household),
        "location_form": PlaceForm(initial={
            "latitude": household.latitude, "longitude": household.longitude}) if can_locate else None,
    })


@require_POST
@login_required
def household_location(request, pk):
    """Set or correct where a dwelling is (grid workers, secretaries, town admins in their scope);
    the point is stored as WGS-84 and the change audited (org.services.set_household_point)."""
    user = request.user
    try:
        household = Household.objects.editable_by(user).get(pk=pk)
    except (Household.DoesNotExist, ValueError):
        raise Http404 from None
    form = PlaceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "位置无效：" + "；".join(e for errors in form.errors.values() for e in errors))
    else:
        try:
            org_services.set_household_point(household, **form.point())
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已清除本户位置" if form.clears else "已保存本户位置")
    return redirect(reverse("grid:household_detail", args=[household.pk]) + "#location")


@login_required
def visit_create(request, pk):
    """The phone form. Replays of the same draft (same key) land on the first visit."""
    user = request.user
    access.require_visit_role(user)
    household = access.get_household_for_user(user, pk)
    member = access.member_of(user)
    if user.role == Role.MEMBER and member is None:
        raise PermissionDenied("账号未关联党员档案，不能登记走访")
    form = VisitForm(
        request.POST or None,
        request.FILES or None,
        members=access.visit_form_members(user, household),
        town_id=user_town_id(user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.record_visit(
                household=household,
                visited_on=data["visited_on"],
                way=data["way"],
                notes=data["notes"],
                by=user,
                member=member or data.get("member"),
                photo=data["photo"],
                idempotency_key=data["idempotency_key"],
                raise_concern=data["raise_concern"],
                concern_text=data["concern_text"],
                concern_category=data["concern_category"],
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            visit = result.visit
            if result.created:
                text = "走访已登记"
                if visit.concern_id:
                    text += f"，诉求编号{visit.concern.reference}"
                messages.success(request, text)
            else:
                messages.info(request, "这次走访此前已经提交，未重复登记")
            return redirect("grid:household_detail", pk=household.pk)
    status = 422 if request.method == "POST" else 200
    if not form.is_bound:
        form.initial["idempotency_key"] = uuid.uuid4().hex
    return render(request, "grid/visit_form.html", {"form": form, "household": household}, status=status)


@login_required
def visit_photo(request, pk):
    visit = get_object_or_404(Visit, pk=pk)
    access.get_household_for_user(request.user, visit.household_id)
    return _stored_file(visit.photo, content_type=visit.photo_content_type or "image/jpeg")


@require_POST
@login_required
def household_link(request, pk):
    user = request.user
    if not access.can_link(user):
        raise PermissionDenied("没有设置联户的权限")
    try:
        household = Household.objects.editable_by(user).select_related("grid").get(pk=pk)
    except (Household.DoesNotExist, ValueError):
        raise Http404 from None
    form = LinkForm(request.POST, members=access.members_for_area(household.grid))
    if form.is_valid():
        try:
            services.link_households(member=form.cleaned_data["member"], households=[household], by=user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已由{form.cleaned_data['member'].name}联系本户")
    else:
        messages.error(request, "请选择联户党员")
    return redirect("grid:household_detail", pk=household.pk)


@require_POST
@login_required
def link_end(request, pk):
    user = request.user
    if not access.can_link(user):
        raise PermissionDenied("没有设置联户的权限")
    link = get_object_or_404(HouseholdLink.objects.select_related("member", "household"), pk=pk)
    if not Household.objects.editable_by(user).filter(pk=link.household_id).exists():
        raise Http404
    services.end_household_link(link, by=user)
    messages.success(request, f"已解除{link.member.name}的联户")
    return redirect("grid:household_detail", pk=link.household_id)


# --- lists: overdue, coverage, unlinked ---------------------------------------------------------


def _chosen_member(request, root):
    pk = int_or_none(request.GET.get("member"))
    if pk is None or root is None:
        return None
    return access.members_for_area(root).filter(pk=pk).first()


@login_required
def overdue_list(request):
    """走访提醒: linked households whose visit is overdue, most overdue first; by member, grid or
    village. A member sees their own."""
    user = request.user
    access.require_read(user)
    member = access.member_of(user)
    root, towns, town = _list_root(request, user)
    villages, grids, village, grid = _scope_filters(request, root)
    chosen = member or _chosen_member(request, root)
    # A member's list is their own households (no area); staff's the grids of their scope (none
    # without an area, as visible_households).
    area = None if member is not None else grid or village or root
    if member is None and area is None:
        overdue = []
    else:
        overdue = cadence.overdue_households(area, member=chosen).prefetch(request.GET.get("page"), PER_PAGE)
    page = _with_due(paginate(request, overdue))
    # Members to filter by: those of the chosen (or the user's) village; a whole town's are too many.
    narrow = grid or village or (root if root is not None and root.level not in WIDE_LEVELS else None)
    member_choices = access.members_for_area(narrow).order_by("name") if narrow and not member else []
    return _render(request, "grid/overdue_list.html", {
        "page": page, "towns": towns, "town": town, "villages": villages, "grids": grids, "village": village,
        "grid": grid,
        "chosen": chosen, "is_member": member is not None,
        "member_choices": member_choices,
    })


@login_required
def coverage_page(request):
    """走访覆盖率 of the user's area by village and grid. A county account sees its towns, one row
    each, and drills into a town's villages and grids (?town=): a county's 1,470 grids in one table
    are no page to read on a phone."""
    user = request.user
    access.require_staff_read(user)
    root, _towns, town = _list_root(request, user)
    county = root.level == AreaLevel.COUNTY
    rows = cadence.coverage(root, depth=1 if county else None)
    return render(request, "grid/coverage.html", {
        "rows": rows, "town": town,
        # Each town has its own rule; one is shown for a town's page only.
        "rule": None if county else cadence.cadence_for_town(_town(root)),
    })


def _town(area):
    if area.level == AreaLevel.TOWN:
        return area
    paths = [area.path[:pos] for pos in range(area.steplen, len(area.path), area.steplen)]
    return Area.objects.filter(path__in=paths, level=AreaLevel.TOWN).first()


@login_required
def unlinked_list(request):
    """Households no member looks after, by village or grid."""
    user = request.user
    access.require_staff_read(user)
    root, towns, town = _list_root(request, user)
    villages, grids, village, grid = _scope_filters(request, root)
    households = access.visible_households(user)
    if grid is not None:
        households = households.filter(grid=grid)
    elif village is not None:
        households = households.filter(grid__in=_grids_under(village))
    elif town is not None:
        households = households.filter(grid__in=_grids_under(town))
    page = paginate(request, cadence.unlinked_households(households))
    return _render(request, "grid/unlinked_list.html", {
        "page": page, "towns": towns, "town": town, "villages": villages, "grids": grids, "village": village,
        "grid": grid,
        "can_link": access.can_link(user),
    })


# --- sharing a grid, roles, the rule ------------------------------------------------------------


@login_required
def grid_assign(request, pk):
    """Share a grid's unlinked households among members of its village (5–10 each)."""
    user = request.user
    grid = access.get_grid_for_link(user, pk)
    members = (
        access.members_for_area(grid)
        .annotate(link_count=Count("household_links", filter=Q(household_links__ended_on__isnull=True)))
        .prefetch_related(Prefetch("grid_roles", queryset=MemberRole.objects.order_by("role")),
                          Prefetch("grid_exemplars", queryset=MemberExemplar.objects.order_by("kind")))
        .order_by("name")
    )
    form = DistributeForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.distribute_grid_households(
                grid=grid, members=list(form.cleaned_data["members"]), per_member=form.cleaned_data["per_member"],
                by=user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            text = f"已新增联户{len(result.links)}户"
            if result.left_over:
                text += f"，仍有{result.left_over}户未联户，请再选择党员"
            messages.success(request, text)
            return redirect("grid:grid_assign", pk=grid.pk)
    unlinked = cadence.unlinked_households(Household.objects.filter(grid=grid)).count()
    return render(request, "grid/grid_assign.html", {
        "grid": grid, "form": form, "members": members, "unlinked": unlinked,
    })


@login_required
def member_roles(request, pk):
    """Set a member's 六员 roles and 六表率 commitments (with their pledges)."""
    user = request.user
    member = access.get_member_for_link(user, pk)
    commitments = {row.kind: row.pledge for row in MemberExemplar.objects.filter(member=member)}
    initial = {
        "roles": list(MemberRole.objects.filter(member=member).values_list("role", flat=True)),
        "exemplars": list(commitments),
        **{f"pledge_{kind}": pledge for kind, pledge in commitments.items()},
    }
    form = RolesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_member_commitments(
                member=member, roles=form.cleaned_data["roles"], exemplars=form.cleaned_data["exemplars"],
                pledges=form.pledges(), by=user,
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已保存{member.name}的六员六表率")
            back = request.POST.get("next") or ""
            if back.startswith("/grid/"):
                return redirect(back)
            return redirect("grid:member_detail", pk=member.pk)
    return render(request, "grid/member_roles.html", {"member": member, "form": form,
                                                      "next": request.GET.get("next", "") or request.POST.get("next", "")})


# --- a member's 联户 page: 六员, 六表率 and their records -----------------------------------------------


def _member_page(request, member, form=None, status=200):
    user = request.user
    commitments = list(
        MemberExemplar.objects.filter(member=member).order_by("kind")
        .prefetch_related(Prefetch("records", queryset=ExemplarRecord.objects.select_related("recorded_by")
                                   .order_by("-done_on", "-id")))
    )
    can_set = access.can_set_exemplars(user, member)
    if can_set and form is None and commitments:
        form = ExemplarRecordForm(exemplars=MemberExemplar.objects.filter(member=member).order_by("kind"))
    links = list(
        HouseholdLink.objects.active().filter(member=member).select_related("household__grid")
        .order_by("household__number")
    )
    # A household link only for those who may open it (a grid worker: their grid's).
    openable = set(access.visible_households(user).filter(pk__in=[link.household_id for link in links])
                   .values_list("pk", flat=True))
    for link in links:
        link.openable = link.household_id in openable
    return render(request, "grid/member_detail.html", {
        "member": member,
        "roles": MemberRole.objects.filter(member=member).order_by("role"),
        "commitments": commitments,
        "links": links,
        "can_set": can_set,
        "form": form if can_set else None,
        "is_self": member.user_id == user.pk,
    }, status=status)


@login_required
def member_detail(request, pk):
    """党员联户档案: the member's 六员 roles, 六表率 commitments with their records, linked households."""
    user = request.user
    access.require_read(user)
    return _member_page(request, access.get_member_for_user(user, pk))


@require_POST
@login_required
def exemplar_record_add(request, pk):
    user = request.user
    member = access.get_member_for_user(user, pk)
    if not access.can_set_exemplars(user, member):
        raise PermissionDenied("没有登记表率事迹的权限")
    form = ExemplarRecordForm(request.POST, request.FILES,
                              exemplars=MemberExemplar.objects.filter(member=member).order_by("kind"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record_exemplar_deed(exemplar=data["exemplar"], done_on=data["done_on"],
                                          description=data["description"], photo=data["photo"], by=user)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记{member.name}的{data['exemplar'].get_kind_display()}事迹")
            return redirect("grid:member_detail", pk=member.pk)
    return _member_page(request, member, form=form, status=422)


def _record_for_user(user, pk):
    record = get_object_or_404(ExemplarRecord.objects.select_related("exemplar__member"), pk=pk)
    member = access.get_member_for_user(user, record.exemplar.member_id)
    return record, member


@require_POST
@login_required
def exemplar_record_delete(request, pk):
    user = request.user
    record, member = _record_for_user(user, pk)
    if not access.can_set_exemplars(user, member):
        raise PermissionDenied("没有删除表率事迹的权限")
    services.delete_exemplar_deed(record, by=user)
    messages.success(request, "已删除该条事迹")
    return redirect("grid:member_detail", pk=member.pk)


@login_required
def exemplar_record_photo(request, pk):
    record, _member = _record_for_user(request.user, pk)
    return _stored_file(record.photo, content_type=record.photo_content_type or "image/jpeg")


@login_required
def exemplar_overview(request):
    """六员六表率 by village (exemplars.counts_by_village); with ?village=, that village's members
    and what each holds."""
    user = request.user
    access.require_staff_read(user)
    root, towns, town = _list_root(request, user)
    if root.level == AreaLevel.GRID:  # a grid worker: the village their grid lies in
        root = Area.objects.get(path=access.village_path(root))
    if root.level == AreaLevel.COUNTY and town is None:
        rows, total = [], None
    else:
        rows, total = exemplars.counts_by_village(root)
    village = next((r.village for r in rows if r.village.pk == int_or_none(request.GET.get("village"))), None)
    if village is None and len(rows) == 1:
        village = rows[0].village
    members = []
    if village is not None:
        members = list(
            access.members_for_area(village).select_related("party_org")
            .prefetch_related(Prefetch("grid_roles", queryset=MemberRole.objects.order_by("role")),
                              Prefetch("grid_exemplars", queryset=MemberExemplar.objects.order_by("kind")))
            .annotate(record_count=Count("grid_exemplars__records"))
            .order_by("name")
        )
    return render(request, "grid/exemplar_overview.html", {
        "rows": rows, "total": total, "towns": towns, "town": town, "village": village, "members": members,
        "county": root.level == AreaLevel.COUNTY,
    })


def member_section(sender, member, user, **kwargs):
    """The member page's 六员六表率 section (org.signals.member_page_sections): the tags for whoever
    reads that page, the link to the member's 联户 page for those who may open it."""
    roles = list(MemberRole.objects.filter(member=member).order_by("role"))
    commitments = list(MemberExemplar.objects.filter(member=member).order_by("kind")
                       .annotate(record_count=Count("records")))
    can_open = access.visible_members(user).filter(pk=member.pk).exists()
    if not roles and not commitments and not can_open:
        return None
    return render_to_string("grid/_member_section.html", {
        "member": member, "roles": roles, "commitments": commitments, "can_open": can_open,
    })


@login_required
def cadence_rule(request):
    user = request.user
    town = access.rule_town(user)
    if town is None:
        raise PermissionDenied("走访频次由镇管理员设定")
    current = cadence.cadence_for_town(town)
    form = CadenceRuleForm(request.POST or None, initial={
        "interval_days": current.interval_days, "elderly_interval_days": current.elderly_interval_days,
    })
    if request.method == "POST" and form.is_valid():
        try:
            services.set_cadence_rule(town=town, by=user, **form.cleaned_data)
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, "走访频次已保存")
            return redirect("grid:coverage")
    return render(request, "grid/cadence_rule.html", {"form": form, "town": town})


# --- 民情茶室 -------------------------------------------------------------------------------------


@login_required
def meeting_list(request):
    user = request.user
    access.require_read(user)
    meetings = (
        access.visible_meetings(user).select_related("area")
        .annotate(concern_count=Count("concern_links", distinct=True), member_count=Count("members", distinct=True))
        .order_by("-held_on", "-id")
    )
    page = paginate(request, meetings)
    return _render(request, "grid/meeting_list.html", {
        "page": page, "can_add": access.can_manage_meetings(user),
    })


@login_required
def meeting_create(request):
    user = request.user
    if not access.can_manage_meetings(user):
        raise PermissionDenied("没有登记民情茶室的权限")
    areas = list(access.meeting_areas(user))
    if not areas:
        raise PermissionDenied("没有可登记民情茶室的村(社区)")
    area = next((a for a in areas if a.pk == int_or_none(request.POST.get("area") or request.GET.get("area"))), None)
    if area is None and len(areas) == 1:
        area = areas[0]
    if area is None:
        return render(request, "grid/meeting_area.html", {"areas": areas})
    form, rows = _meeting_form(request, area)
    if request.method == "POST" and form.is_valid() & rows.is_valid():
        try:
            meeting, raised = services.record_meeting_with_concerns(
                area=area, by=user, **meeting_arguments(form, rows)
            )
        except ValidationError as exc:
            attach_errors(rows if getattr(exc, "field", None) == "concerns" else form, exc)
        else:
            if raised:
                messages.success(request, f"民情茶室已登记，诉求{len(raised)}条：" + "、".join(c.reference for c in raised))
            else:
                messages.success(request, "民情茶室已登记，可在下方登记群众反映的诉求")
            return redirect("grid:meeting_detail", pk=meeting.pk)
    return render(request, "grid/meeting_form.html", {"form": form, "rows": rows, "area": area})


def _meeting_form(request, area):
    return meeting_forms(access.meeting_form_choices(area), request.POST or None, request.FILES or None,
                         search_url=reverse("grid:meeting_resident_search") + f"?area={area.pk}",
                         town_id=user_town_id(request.user))


@login_required
def meeting_resident_search(request):
    """The meeting form's resident picker: matches among the residents of the chosen village."""
    user = request.user
    if not access.can_manage_meetings(user):
        raise PermissionDenied("没有登记民情茶室的权限")
    area = next((a for a in access.meeting_areas(user) if a.pk == int_or_none(request.GET.get("area"))), None)
    if area is None:
        raise Http404
    form, _rows = _meeting_form(request, area)
    return picker_results(request, form.fields["residents"], name="residents")


def _concerns_form(meeting, user, data=None):
    grids = Area.objects.filter(path__startswith=meeting.area.path, level=AreaLevel.GRID).order_by("path")
    return MeetingConcernsForm(data, grids=grids, town_id=user_town_id(user), initial={"key": uuid.uuid4().hex})


@login_required
def meeting_detail(request, pk):
    user = request.user
    access.require_read(user)
    meeting = access.get_meeting_for_user(user, pk)
    return _meeting_page(request, meeting, _concerns_form(meeting, user) if access.can_manage_meetings(user) else None)


def _meeting_page(request, meeting, form, status=200):
    links = MeetingConcern.objects.filter(meeting=meeting).select_related(
        "concern__category", "concern__area"
    ).order_by("id")
    return render(request, "grid/meeting_detail.html", {
        "meeting": meeting,
        "members": meeting.members.order_by("name"),
        "residents": meeting.residents.select_related("household").order_by("id"),
        "photos": meeting.photos.all(),
        # Each concern with whether the viewer may open its staff page (its number is a link then).
        "concerns": [(link.concern, concern_in_scope(request.user, link.concern)) for link in links],
        "form": form,
    }, status=status)


@require_POST
@login_required
def meeting_concerns(request, pk):
    """Register the concerns residents raised at the meeting, several at once."""
    user = request.user
    meeting = access.get_meeting_for_user(user, pk, for_change=True)
    form = _concerns_form(meeting, request.user, request.POST)
    if form.is_valid():
        rows = form.rows()
        items = [services.RaisedConcern(number=i, **row) for i, row in rows]
        try:
            concerns = services.raise_concerns_from_meeting(
                meeting, concerns=items, by=user, idempotency_key=form.cleaned_data["key"]
            )
        except ValidationError as exc:
            attach_errors(form, exc)
        else:
            messages.success(request, f"已登记{len(concerns)}条诉求：" + "、".join(c.reference for c in concerns))
            return redirect("grid:meeting_detail", pk=meeting.pk)
    return _meeting_page(request, meeting, form, status=422)


@login_required
def meeting_photo(request, pk):
    photo = get_object_or_404(MeetingPhoto, pk=pk)
    access.get_meeting_for_user(request.user, photo.meeting_id)
    return _stored_file(photo.file, content_type=photo.content_type)


def _stored_file(field_file, *, content_type):
    """A stored photo served to someone the view has already checked; private to the browser."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response
