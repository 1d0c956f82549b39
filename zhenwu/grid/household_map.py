"""联户走访 on a map: the households a user may see (access.visible_households) that carry a point,
each coloured by its visit's due date (逾期 / 7天内到期 / 按期 / 未联户), with the list's filters
(town, village, grid). /grid/map.json; the page is the list's 地图 view (visit_home?view=map).

Households are personal data: the answer is for the signed-in staff or member whose scope holds
them, names no resident, and is never cached by a proxy. A town's households are many: at most
MAX_POINTS are answered (the nearest-due first), and the answer says how many there were.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from . import access, cadence
from .views import _grids_under, _list_root, _scope_filters

MAX_POINTS = 2000
SOON_DAYS = 7


def household_points(households, *, today, root):
    """(points, total) for `households` (a queryset in the user's scope, filters applied)."""
    located = households.filter(latitude__isnull=False, longitude__isnull=False)
    rows = cadence.with_cadence(located, today=today, root=root).order_by("due_key", "number")
    total = located.count()
    soon = today + datetime.timedelta(days=SOON_DAYS)
    points = []
    for household in rows.only("id", "number", "latitude", "longitude", "grid")[:MAX_POINTS]:
        due = cadence.due_on(household)
        if household.linked_since is None:
            state = "unlinked"
        elif due is not None and due < today:
            state = "overdue"
        elif due is not None and due <= soon:
            state = "soon"
        else:
            state = "ok"
        points.append({
            "lat": float(household.latitude),
            "lng": float(household.longitude),
            "number": household.number,
            "state": state,
            "due": due.isoformat() if due else None,
            "last": household.last_visited_on.isoformat() if household.last_visited_on else None,
            "url": reverse("grid:household_detail", args=[household.pk]),
        })
    return points, total


@login_required
@require_GET
def household_map_data(request):
    """The households of the list's filters (?town=, ?village=, ?grid=) with a point, as JSON."""
    user = request.user
    access.require_read(user)
    households = access.visible_households(user)
    root, _towns, town = _list_root(request, user)
    _villages, _grids, village, grid = _scope_filters(request, root)
    if grid is not None:
        households = households.filter(grid=grid)
    elif village is not None:
        households = households.filter(grid__in=_grids_under(village))
    elif town is not None:
        households = households.filter(grid__in=_grids_under(town))
    points, total = household_points(households, today=timezone.localdate(), root=root or (grid or village))
    response = JsonResponse({"total": total, "shown": len(points), "points": points},
                            json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Cache-Control"] = "private, no-store"
    return response
