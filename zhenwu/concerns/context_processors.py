from django.utils.functional import SimpleLazyObject

from zhenwu.core.roles import Role

from .access import may_decide_extensions
from .deadlines import pending_extensions_for
from .models import Notification

# The roles zhenwu.concerns.notify writes to (town dispatchers and leaders, department
# handlers); other accounts never receive one, so they get no bell and no extra query.
NOTIFIED_ROLES = (Role.LEADER, Role.DISPATCHER, Role.HANDLER)


def notifications(request):
    """The unread count for the bell in the top bar. Lazy: counted only when a full page that
    shows the bell is rendered, never for htmx fragments."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in NOTIFIED_ROLES:
        return {}
    values = {"unread_notifications": SimpleLazyObject(lambda: Notification.objects.for_user(user).unread().count())}
    if may_decide_extensions(user):
        # The badge on the inbox and 督办 pages: extension requests waiting for this approver.
        values["pending_extension_count"] = SimpleLazyObject(lambda: pending_extensions_for(user).count())
    return values
