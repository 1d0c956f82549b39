from zhenwu.core.roles import Role

from .navigation import menu_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": menu_for(user, request.path)}


def roles(request):
    """`Role` for templates: `{% if user.role == Role.TOWN_ADMIN %}`."""
    return {"Role": Role}
