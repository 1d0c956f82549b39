"""Who sees and changes what in 网格与联户. Views fetch through these helpers only.

- Households: staff with an area see the households under it (org's rule: a grid worker their
  grid, a secretary their village, town roles the town); a member sees only the households
  linked to them today.
- Visits are recorded by members (their linked households), grid workers, secretaries and town
  admins (their scope). Leaders and dispatchers read.
- Links, 六员 roles, 六表率 commitments and their records (表率事迹) are set by town admins,
  secretaries and grid workers in their area (the cadence rule: town admins only).
- A member's 联户 page (六员, 六表率 with their records, linked households): staff with an area see
  the members of the villages it covers (a grid worker: its village's); a member sees their own.
- Meetings: staff see the meetings of the villages their area lies in or covers; members the ones
  they attended.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404

from zhenwu.core.roles import AREA_SCOPED, Role, role_of
from zhenwu.org.models import (
    AREA_EDITOR_ROLES,
    Area,
    AreaLevel,
    Household,
    Member,
    Resident,
    town_of,
)

from .models import HouseholdLink, Meeting

VISIT_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY, Role.GRID_WORKER, Role.MEMBER)
READ_ROLES = AREA_SCOPED + (Role.MEMBER,)
LINK_ROLES = AREA_EDITOR_ROLES
MEETING_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY, Role.GRID_WORKER)
STAFF_READ_ROLES = AREA_SCOPED


def member_of(user):
    """The member record of a member's account (None for staff or an unlinked account)."""
    if role_of(user) != Role.MEMBER:
        return None
    return Member.objects.filter(user=user, is_active=True).select_related("party_org").first()


def scope_root(user):
    """The area whose households a staff account covers, or None."""
    if role_of(user) in AREA_SCOPED and user.area_id is not None:
        return user.area
    return None


def towns_in_scope(user):
    """The towns under a staff account's area (a county account drills into them)."""
    root = scope_root(user)
    if root is None:
        return Area.objects.none()
    return Area.objects.filter(path__startswith=root.path, level=AreaLevel.TOWN).order_by("path")


def get_town_for_user(user, pk):
    """A town the staff account's area covers (a town account: its own); 404 otherwise."""
    try:
        return towns_in_scope(user).get(pk=pk)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_households(user):
    role = role_of(user)
    if role == Role.MEMBER:
        links = HouseholdLink.objects.active().filter(household=OuterRef("pk"), member__user=user)
        return Household.objects.filter(Exists(links))
    # org's rule (Household.objects.visible_to: the households under the user's area), written
    # so that SQLite can use the grid index (see cadence.households_under).
    if role in AREA_SCOPED and user.area_id is not None:
        return Household.objects.filter(grid__in=Area.objects.filter(path__startswith=user.area.path).values("pk"))
    return Household.objects.none()


def get_household_for_user(user, pk):
    try:
        return visible_households(user).select_related("grid").get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_record_visit(user):
    return role_of(user) in VISIT_ROLES


def visit_form_members(user, household):
    """Staff may name the member who went with them: one of the household's linked members (None
    for a member's own form)."""
    if member_of(user) is not None or role_of(user) == Role.MEMBER:
        return None
    ids = HouseholdLink.objects.active().filter(household=household).values("member_id")
    return Member.objects.filter(pk__in=ids).order_by("name")


def require_visit_role(user):
    if not can_record_visit(user):
        raise PermissionDenied("当前账号不能登记走访")


def require_read(user):
    if role_of(user) not in READ_ROLES:
        raise PermissionDenied("当前账号不能查看联户走访")


def require_staff_read(user):
    if role_of(user) not in STAFF_READ_ROLES or user.area_id is None:
        raise PermissionDenied("仅限有所辖区域的工作人员")


def can_see_sensitive(user):
    """Sensitive resident tags: as on the org pages, only for the roles that may change residents."""
    return role_of(user) in AREA_EDITOR_ROLES


def can_link(user):
    return role_of(user) in LINK_ROLES and user.area_id is not None


def linkable_grids(user):
    if not can_link(user):
        return Area.objects.none()
    return Area.objects.filter(path__startswith=user.area.path, level=AreaLevel.GRID).order_by("path")


def get_grid_for_link(user, pk):
    try:
        return linkable_grids(user).get(pk=pk)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def village_path(area):
    """The path of the village (or community) an area lies in; the area's own for a village."""
    if area.level == AreaLevel.GRID:
        return area.path[: -area.steplen]
    return area.path


def members_for_area(area):
    """Members of the party organisations placed in the area's village (whom its households may be
    linked to)."""
    return Member.objects.filter(is_active=True, party_org__area__path__startswith=village_path(area))


def meeting_form_choices(area):
    """What a meeting form of the village offers: (members, residents, grids for its concerns)."""
    members = members_for_area(area).order_by("name")
    residents = (Resident.objects.filter(household__grid__path__startswith=area.path)
                 .select_related("household").order_by("name", "pk"))
    grids = Area.objects.filter(path__startswith=area.path, level=AreaLevel.GRID).order_by("path")
    return members, residents, grids


def linkable_members(user):
    """Members a linking account may assign: those of the branches placed in its area's village or
    below (a town admin: the town)."""
    if not can_link(user):
        return Member.objects.none()
    return members_for_area(user.area)


def get_member_for_link(user, pk):
    try:
        return linkable_members(user).get(pk=pk)
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_members(user):
    """Members whose 联户 page the user may read (see the module docstring)."""
    role = role_of(user)
    if role == Role.MEMBER:
        return Member.objects.filter(user=user, is_active=True)
    if role in AREA_SCOPED and user.area_id is not None:
        return members_for_area(user.area)
    return Member.objects.none()


def get_member_for_user(user, pk):
    try:
        return visible_members(user).select_related("party_org__area").get(pk=pk)
    except (Member.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_set_exemplars(user, member):
    """Who may set a member's 六员/六表率 and record their deeds: whoever may link them."""
    return linkable_members(user).filter(pk=member.pk).exists()


def can_edit_rule(user):
    return role_of(user) == Role.TOWN_ADMIN


def rule_town(user):
    return town_of(user) if can_edit_rule(user) else None


# --- meetings ---------------------------------------------------------------------------------


def _meeting_root_path(user):
    area = scope_root(user)
    if area is None:
        return None
    return village_path(area) if area.level == AreaLevel.GRID else area.path


def visible_meetings(user):
    role = role_of(user)
    if role == Role.MEMBER:
        return Meeting.objects.filter(members__user=user).distinct()
    path = _meeting_root_path(user)
    if path is None:
        return Meeting.objects.none()
    return Meeting.objects.filter(area__path__startswith=path)


def get_meeting_for_user(user, pk, *, for_change=False):
    try:
        meeting = visible_meetings(user).select_related("area").get(pk=pk)
    except (Meeting.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_manage_meetings(user):
        raise PermissionDenied("没有登记民情茶室的权限")
    return meeting


def can_manage_meetings(user):
    return role_of(user) in MEETING_ROLES and user.area_id is not None


def meeting_areas(user):
    """Villages and communities a meeting may be recorded for."""
    path = _meeting_root_path(user) if can_manage_meetings(user) else None
    if path is None:
        return Area.objects.none()
    return Area.objects.filter(
        path__startswith=path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY)
    ).order_by("path")
