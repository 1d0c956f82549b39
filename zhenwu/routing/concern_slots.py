"""The router's fragments on the concern pages, through the slots the concerns app offers
(concerns.signals, zhenwu.core.slots; connected in RoutingConfig.ready):

- ``concerns.concern_detail_cards``: the suggestion card on a concern's page;
- ``concerns.inbox_row_category``: the one-line suggestion in each inbox row (one query per page).

Shown to town-wide staff only (dispatchers, town admins, leaders): for anyone else both receivers
return None, so the page has nothing where the slot is (`_shown_to`). The concern page has already
checked the user's scope.
"""

from zhenwu.concerns import access as concern_access
from zhenwu.concerns import services as concern_services
from zhenwu.core.roles import TOWN_WIDE
from zhenwu.core.slots import once_per_render, render_fragment

from .services import can_undo, latest_suggestions

VIEW_ROLES = TOWN_WIDE  # town admins, leaders, dispatchers


def _user(context):
    request = context.get("request")
    return getattr(request, "user", None)


def _shown_to(user):
    """Whether the router's fragments are for this reader. Both receivers answer a reader they are
    not for with None, which the slot leaves out (no card, no hint, not even whitespace); for a
    reader they are for, they always return their fragment, which says when there is no suggestion."""
    return getattr(user, "role", None) in VIEW_ROLES


def suggestion_card(sender, *, context, concern, **kwargs):
    """The concern page's card: the latest suggestion, with apply and undo where the user may."""
    user = _user(context)
    if not _shown_to(user):
        return None
    suggestion = latest_suggestions([concern.pk]).get(concern.pk)
    can_dispatch = concern_access.can_dispatch(user, concern)
    return render_fragment(context, "routing/_suggestion_card.html", {
        "concern": concern,
        "s": suggestion,
        "can_apply": bool(
            suggestion
            and suggestion.department_id
            and can_dispatch
            and concern.status in concern_access.ACTION_STATES["dispatch"]
            # A county-held concern goes to a county department: a town's suggested office is
            # not offered as a button the dispatch would then refuse.
            and concern_services.dispatch_departments(concern).filter(pk=suggestion.department_id).exists()
        ),
        "can_undo": bool(suggestion and can_undo(user, suggestion)),
        "agrees": bool(
            suggestion and suggestion.category_id == concern.category_id
            and suggestion.department_id == concern.department_id
        ),
        "csrf_token": context.get("csrf_token"),
    })


def suggestion_hint(sender, *, context, concern, page, **kwargs):
    """An inbox row's line: the suggestion, "none", or "being made"; the page's suggestions are
    loaded once, on its first row."""
    if not _shown_to(_user(context)):
        return None
    suggestions = once_per_render(
        context, ("routing.suggestions", id(page)), lambda: latest_suggestions(c.pk for c in page)
    )
    return render_fragment(context, "routing/_suggestion_row.html", {"s": suggestions.get(concern.pk), "concern": concern})
