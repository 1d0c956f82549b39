"""Roles of accounts and the named groups of roles that pages and services check.

The one place a role is spelled: code compares `Role` members and these groups, never the stored
strings (a test scans the sources for role literals). Groups below are shared by several apps; a
check particular to one page (who may dispatch, who may publish a briefing) stays a tuple of
`Role` members in that app's access module.
"""

from django.db import models


class Role(models.TextChoices):
    TOWN_ADMIN = "town_admin", "镇管理员"
    LEADER = "leader", "镇领导"
    DISPATCHER = "dispatcher", "民情受理员"
    HANDLER = "handler", "职能部门办理人"
    SECRETARY = "secretary", "村(社区)支部书记"
    GRID_WORKER = "grid_worker", "网格员"
    INSTRUCTOR = "instructor", "主题教育指导员"
    MEMBER = "member", "党员"


# Accounts whose area is the town itself: they see all of the town's concerns and households.
TOWN_WIDE = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)
# Who sees every activity and every published briefing of the town: the town-wide accounts and
# the instructors, whose guidance runs across the town's branches (an instructor has no area).
TOWN_WIDE_VIEWERS = TOWN_WIDE + (Role.INSTRUCTOR,)
# Accounts scoped below the town: a village or community (secretaries) or a grid (grid workers).
VILLAGE_LEVEL = (Role.SECRETARY, Role.GRID_WORKER)
# Accounts scoped by an area (their `area` is the scope): concerns, households, visits.
AREA_SCOPED = TOWN_WIDE + VILLAGE_LEVEL
# Accounts scoped by a party organisation: party members, study.
ORG_SCOPED = (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY, Role.INSTRUCTOR)
# Every staff account (everyone but party members).
STAFF = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER, Role.HANDLER, Role.SECRETARY, Role.GRID_WORKER,
         Role.INSTRUCTOR)
EVERYONE = STAFF + (Role.MEMBER,)


def role_of(user):
    """The user's role, or None for nobody and anonymous visitors."""
    return getattr(user, "role", None) if getattr(user, "is_authenticated", False) else None
