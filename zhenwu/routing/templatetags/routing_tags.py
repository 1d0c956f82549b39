"""Hooks the concern pages include: the router's suggestion on a concern's page and in the inbox.

    {% load routing_tags %}
    {% routing_card concern %}                                  (concern detail)
    {% routing_suggestions page as routing %}  ...  {% routing_row c routing %}   (inbox rows)

Shown to town-wide staff only (dispatchers, town admins, leaders); the concern page has already
checked the user's scope. The inbox map costs one query per page.
"""

from django import template

from zhenwu.concerns import access as concern_access
from zhenwu.core.roles import Role

from ..services import can_undo, latest_suggestions

register = template.Library()

VIEW_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER, Role.LEADER)


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


@register.inclusion_tag("routing/_suggestion_card.html", takes_context=True)
def routing_card(context, concern):
    user = _user(context)
    if getattr(user, "role", None) not in VIEW_ROLES:
        return {"show": False}
    suggestion = latest_suggestions([concern.pk]).get(concern.pk)
    can_dispatch = concern_access.can_dispatch(user, concern)
    return {
        "show": True,
        "concern": concern,
        "s": suggestion,
        "can_apply": bool(
            suggestion
            and suggestion.department_id
            and can_dispatch
            and concern.status in concern_access.ACTION_STATES["dispatch"]
        ),
        "can_undo": bool(suggestion and can_undo(user, suggestion)),
        "agrees": bool(
            suggestion and suggestion.category_id == concern.category_id
            and suggestion.department_id == concern.department_id
        ),
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def routing_suggestions(context, page):
    user = _user(context)
    if getattr(user, "role", None) not in VIEW_ROLES:
        return None
    return latest_suggestions(c.pk for c in page)


@register.inclusion_tag("routing/_suggestion_row.html")
def routing_row(concern, suggestions):
    return {"s": (suggestions or {}).get(concern.pk), "concern": concern}
