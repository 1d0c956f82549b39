"""Who may see and act on 热点 (hot issues)."""

from zhenwu.core.roles import Role

# Reading the page, and correcting its groups (merge, split, dismiss, restore: a leader's call).
HOT_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)
# Acting on the concerns themselves (one dispatch, one project): the dispatchers' work.
ACTION_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER)


def can_see_hot_issues(user):
    return getattr(user, "is_authenticated", False) and user.role in HOT_ROLES


def can_adjust_hot_issues(user):
    return can_see_hot_issues(user)


def can_act_on_hot_issues(user):
    return getattr(user, "is_authenticated", False) and user.role in ACTION_ROLES
