"""Who sees and changes what in 活动与志愿: the one place activity views get scoped records from.

Scope of an activity (or contest) by role:
- town-wide roles (town_admin, leader, dispatcher, instructor): every activity placed in their town;
- secretaries and grid workers: activities placed in their area's subtree or above it (a village
  sees the town's own activities), and those organised by their party organisation's subtree;
- handlers: activities organised by their department;
- members: activities they took part in.

Named beneficiaries (受益人名单): staff who see the activity see the list; a member sees only those
they visited themselves. Names are added by whoever may change the activity, from the residents of
the activity's town they may see (org's resident scope) or typed for someone not on the roll.

Changes: town admins (in scope), secretaries (activities of their area or organisation) and
handlers (their department's). Volunteer hours are confirmed by whoever may change the activity or
by a member recorded as its organiser. A record outside the scope is a 404; one in scope that the
user may not change, asked for change, is a 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from zhenwu.core.roles import STAFF, TOWN_WIDE_VIEWERS, VILLAGE_LEVEL, Role, role_of
from zhenwu.org.access import visible_departments
from zhenwu.org.models import Area, AreaLevel, Department, PartyOrg, Resident, town_of

from .models import Activity, Beneficiary, Contest, ParticipationRole, RoleModel

EDITOR_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY, Role.HANDLER)


def _ancestor_paths(path, steplen=None):
    steplen = steplen or Area.steplen
    return [path[:i] for i in range(steplen, len(path) + 1, steplen)]


def scope_q(user, *, member_field="participations__member__user"):
    """Q over Activity (or Contest: same field names) for the user's scope; None when it is empty.
    `member_field` is the relation from the row to the user accounts of members who took part."""
    role = role_of(user)
    if role in TOWN_WIDE_VIEWERS:
        town = town_of(user)
        return Q(area__path__startswith=town.path) if town is not None else None
    if role in VILLAGE_LEVEL:
        q = None
        if user.area_id is not None:
            q = Q(area__path__startswith=user.area.path) | Q(area__path__in=_ancestor_paths(user.area.path))
        if user.party_org_id is not None:
            org_q = Q(party_org__path__startswith=user.party_org.path)
            q = org_q if q is None else q | org_q
        return q
    if role == Role.HANDLER:
        return Q(department_id=user.department_id) if user.department_id is not None else None
    if role == Role.MEMBER and member_field:
        return Q(**{member_field: user})
    return None


def _editable_q(user):
    role = role_of(user)
    if role == Role.TOWN_ADMIN:
        return scope_q(user)
    if role == Role.SECRETARY:
        q = None
        if user.area_id is not None:
            q = Q(area__path__startswith=user.area.path)
        if user.party_org_id is not None:
            org_q = Q(party_org__path__startswith=user.party_org.path)
            q = org_q if q is None else q | org_q
        return q
    if role == Role.HANDLER:
        return scope_q(user)
    return None


def _scoped(queryset, q):
    if q is None:
        return queryset.none()
    # A subquery keeps the outer query free of the joins (no duplicates, no DISTINCT).
    return queryset.filter(pk__in=queryset.model.objects.filter(q).values("pk"))


def visible_activities(user):
    return _scoped(Activity.objects.all(), scope_q(user))


def editable_activities(user):
    return _scoped(Activity.objects.all(), _editable_q(user))


def can_add_activity(user):
    return role_of(user) in EDITOR_ROLES and _editable_q(user) is not None


def can_edit_activity(user, activity):
    return editable_activities(user).filter(pk=activity.pk).exists()


def is_organiser(user, activity):
    return activity.participations.filter(role=ParticipationRole.ORGANISER, member__user=user).exists()


def can_confirm_hours(user, activity):
    return can_edit_activity(user, activity) or (role_of(user) is not None and is_organiser(user, activity))


def get_activity_for_user(user, pk, *, for_change=False):
    try:
        activity = (visible_activities(user)
                    .select_related("area", "department", "party_org", "campaign").get(pk=pk))
    except (Activity.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_edit_activity(user, activity):
        raise PermissionDenied("没有修改此活动的权限")
    return activity


def visible_beneficiaries(user, activity):
    """The activity's named beneficiaries the user may read (see the module docstring)."""
    rows = Beneficiary.objects.filter(activity=activity)
    role = role_of(user)
    if role in STAFF:
        return rows
    if role == Role.MEMBER:
        return rows.filter(visited_by__member__user=user)
    return rows.none()


def town_of_area(area):
    """The town an area lies in (the area itself for a town, or above one)."""
    if area.level == AreaLevel.TOWN:
        return area
    above = [area.path[:end] for end in range(Area.steplen, len(area.path), Area.steplen)]
    return Area.objects.filter(path__in=above, level=AreaLevel.TOWN).first() or area


def beneficiary_residents(user, activity):
    """Residents the user may name as beneficiaries of the activity: those of its town they may see."""
    town = town_of_area(activity.area)
    return Resident.objects.visible_to(user).filter(household__grid__path__startswith=town.path)


def get_beneficiary_for_change(user, pk):
    try:
        row = Beneficiary.objects.select_related("activity", "resident").get(pk=pk)
    except (Beneficiary.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    get_activity_for_user(user, row.activity_id, for_change=True)
    return row


def organiser_choices(user):
    """(areas, departments, party organisations) a user may put a new activity under."""
    role = role_of(user)
    town = town_of(user)
    if role == Role.TOWN_ADMIN and town is not None:
        areas = Area.objects.filter(path__startswith=town.path).exclude(level="grid")
        return areas, visible_departments(user), PartyOrg.objects.filter(area__path__startswith=town.path)
    if role == Role.SECRETARY:
        areas = Area.objects.filter(path__startswith=user.area.path) if user.area_id else Area.objects.none()
        orgs = (PartyOrg.objects.filter(path__startswith=user.party_org.path) if user.party_org_id
                else PartyOrg.objects.none())
        return areas, Department.objects.none(), orgs
    if role == Role.HANDLER and town is not None:
        areas = Area.objects.filter(path__startswith=town.path).exclude(level="grid")
        return areas, Department.objects.filter(pk=user.department_id), PartyOrg.objects.none()
    return Area.objects.none(), Department.objects.none(), PartyOrg.objects.none()


# --- contests -------------------------------------------------------------------------------------


def visible_contests(user):
    """Contests in the user's scope, and those the user judges."""
    q = scope_q(user, member_field="entries__author_member__user")
    judged = Q(judges=user) if role_of(user) is not None else None
    if q is None:
        q = judged
    elif judged is not None:
        q = q | judged
    return _scoped(Contest.objects.all(), q)


def can_manage_contest(user, contest=None):
    q = _editable_q(user)
    if q is None or role_of(user) not in EDITOR_ROLES:
        return False
    if contest is None:
        return True
    return Contest.objects.filter(q, pk=contest.pk).exists()


def is_judge(user, contest):
    return role_of(user) is not None and contest.judges.filter(pk=user.pk).exists()


def get_contest_for_user(user, pk, *, for_change=False):
    try:
        contest = visible_contests(user).select_related("area", "department", "party_org").get(pk=pk)
    except (Contest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_manage_contest(user, contest):
        raise PermissionDenied("没有管理此比赛的权限")
    return contest


# --- role models ----------------------------------------------------------------------------------


def visible_role_models(user):
    """Role models are the town's shared study material: everyone of the town (staff and members)
    sees its role models."""
    town = town_of(user)
    if town is None:
        return RoleModel.objects.none()
    return RoleModel.objects.filter(area__path__startswith=town.path)


def can_manage_role_models(user):
    return role_of(user) in (Role.TOWN_ADMIN, Role.SECRETARY)


def can_edit_role_model(user, role_model):
    """Town admins change any role model of the town; a secretary only those of their village.
    The page shows 修改 and the photo upload exactly when this holds."""
    if not can_manage_role_models(user):
        return False
    if role_of(user) == Role.SECRETARY:
        return bool(user.area_id) and role_model.area.path.startswith(user.area.path)
    return True


def get_role_model_for_user(user, pk, *, for_change=False):
    try:
        role_model = visible_role_models(user).select_related("area", "member").get(pk=pk)
    except (RoleModel.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_edit_role_model(user, role_model):
        raise PermissionDenied("只能修改本村（社区）的榜样" if can_manage_role_models(user) else "没有修改榜样的权限")
    return role_model
