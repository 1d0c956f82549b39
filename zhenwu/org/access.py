"""Permission-checked fetches for the org pages: the one place views get scoped records from.

A record outside the user's scope is a 404 (its existence is not confirmed); a record the user may
see but not change, asked for change, is a 403. The rules themselves live in the querysets
(`visible_to` / `editable_by` in org/models.py).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from zhenwu.core.roles import AREA_SCOPED, ORG_SCOPED, STAFF, Role

from .models import (
    AREA_EDITOR_ROLES,
    ORG_EDITOR_ROLES,
    Area,
    AreaLevel,
    Department,
    Household,
    Member,
    PartyOrg,
    Resident,
    town_of,
)
from .ordering import tree_order


def _fetch(model, user, pk, *, for_change, related=()):
    visible = model.objects.visible_to(user).select_related(*related)
    try:
        obj = visible.get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not model.objects.editable_by(user).filter(pk=obj.pk).exists():
        raise PermissionDenied("没有修改此记录的权限")
    return obj


def get_household_for_user(user, pk, *, for_change=False):
    return _fetch(Household, user, pk, for_change=for_change, related=("grid",))


def get_resident_for_user(user, pk, *, for_change=False):
    return _fetch(Resident, user, pk, for_change=for_change, related=("household__grid",))


def get_member_for_user(user, pk, *, for_change=False):
    return _fetch(Member, user, pk, for_change=for_change, related=("party_org", "resident__household"))


def can_change(user, obj):
    """Whether `user` may change this household, resident or member (one query)."""
    return type(obj).objects.editable_by(user).filter(pk=obj.pk).exists()


def can_add_household(user):
    return user.role in AREA_EDITOR_ROLES and user.area_id is not None


def editable_grids(user):
    """Grids a new or moved household may be placed in: those under the user's area, for the
    roles that may change households."""
    if not can_add_household(user):
        return Area.objects.none()
    return Area.objects.filter(path__startswith=user.area.path, level=AreaLevel.GRID).order_by("path")


def can_add_member(user):
    return user.role in ORG_EDITOR_ROLES and (user.party_org_id is not None or user.role == Role.TOWN_ADMIN)


def require_staff(user):
    if getattr(user, "role", None) not in STAFF:
        raise PermissionDenied("仅限工作人员")


def visible_areas(user):
    """Places a staff account may list: its town's tree (county accounts: the county's)."""
    if getattr(user, "role", None) not in STAFF:
        return Area.objects.none()
    town = town_of(user)
    if town is None:
        return Area.objects.none()
    return Area.objects.filter(path__startswith=town.path)


def visible_departments(user):
    return Department.objects.visible_to(user)


def scope_area(user):
    """The area whose households the user sees, or None (the household pages' filter root)."""
    return user.area if user.role in AREA_SCOPED else None


def household_filter_areas(user):
    """Villages/communities and grids inside the user's household scope, for the list filters."""
    root = scope_area(user)
    if root is None:
        return [], []
    areas = list(
        Area.objects.filter(path__startswith=root.path)
        .filter(level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID))
        .only("id", "name", "level", "path", "depth")
    )
    areas = tree_order(areas)
    villages = [a for a in areas if a.level != AreaLevel.GRID]
    grids = [a for a in areas if a.level == AreaLevel.GRID]
    return villages, grids


def visible_party_orgs(user):
    """Party organisations whose members the user may list (a member sees none here)."""
    role = getattr(user, "role", None)
    if role not in ORG_SCOPED:
        return PartyOrg.objects.none()
    if user.party_org_id is not None:
        return PartyOrg.objects.filter(path__startswith=user.party_org.path)
    if role in (Role.TOWN_ADMIN, Role.LEADER) and user.area_id is not None:
        return PartyOrg.objects.filter(area__path__startswith=user.area.path)
    return PartyOrg.objects.none()
