"""Who gets the installable app: the roles that work in the field on a phone."""

from django.db.models import Q

from zhenwu.accounts.models import User
from zhenwu.core.roles import Role, role_of
from zhenwu.org.access import visible_party_orgs

PHONE_ROLES = (Role.GRID_WORKER, Role.MEMBER, Role.SECRETARY, Role.INSTRUCTOR)


def uses_offline_app(user):
    return role_of(user) in PHONE_ROLES


SUPERVISOR_ROLES = (Role.SECRETARY, Role.TOWN_ADMIN)


def can_see_workers_queues(user):
    return role_of(user) in SUPERVISOR_ROLES and (user.area_id is not None or user.party_org_id is not None)


def supervised_users(user):
    """The phone users whose stuck queues this secretary (or town admin) sees: grid workers of
    areas under theirs, and members of the party organisations they may list."""
    if not can_see_workers_queues(user):
        return User.objects.none()
    scope = Q(pk__in=[])
    if user.area_id is not None:
        scope |= Q(role=Role.GRID_WORKER, area__path__startswith=user.area.path)
    scope |= Q(member__party_org__in=visible_party_orgs(user))
    return User.objects.filter(scope, is_active=True, role__in=PHONE_ROLES).exclude(pk=user.pk)
