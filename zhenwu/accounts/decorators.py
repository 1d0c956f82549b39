"""View decorators other apps' views may use (they import this module, never accounts.views)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Role


def town_admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if request.user.role != Role.TOWN_ADMIN:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
