"""/concerns/board/map.json: the public board's concerns on the map, binned by zoom (board_map).

Answers are kept in the cache for ZHENWU_BOARD_MAP_CACHE_SECONDS (a minute) per filters, zoom and
box widened to whole cells: a county seen whole groups every located concern (about a second at
1,000,000 on SQLite, bench/map.py), and everyone opening the board's map asks for the same view."""

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from zhenwu.lib.params import int_or_none

from ..board import board_filters
from ..board_map import map_cells, parse_bbox, view_of
from ..models import Concern

DEFAULT_ZOOM = 13
MAX_AGE = 60  # seconds a browser or proxy may reuse an answer: the board changes by the hour
CACHE_SECONDS = 60


@require_GET
def board_map_data(request):
    """The board's filters (town, village, category, status, q) plus `zoom` and `bbox`
    (west,south,east,north in WGS-84; none: everywhere, with the points' bounds). A parameter
    that names nothing is ignored, as on the board."""
    filters = board_filters(request.GET, options=False)
    now = timezone.now()
    zoom = int_or_none(request.GET.get("zoom"))
    zoom, _size, bbox = view_of(DEFAULT_ZOOM if zoom is None else zoom, parse_bbox(request.GET.get("bbox")))
    seconds = getattr(settings, "ZHENWU_BOARD_MAP_CACHE_SECONDS", CACHE_SECONDS)
    chosen = [getattr(filters.town, "pk", None), getattr(filters.village, "pk", None),
              getattr(filters.category, "pk", None), filters.status, filters.q, zoom, bbox]
    key = "concerns:board_map:" + hashlib.sha256(json.dumps(chosen).encode()).hexdigest()
    data = cache.get(key) if seconds > 0 else None
    if data is None:
        data = map_cells(filters.apply(Concern.objects.public(), now=now), zoom=zoom, bbox=bbox, now=now)
        if seconds > 0:
            cache.set(key, data, seconds)
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "separators": (",", ":")})
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


urlpatterns = [
    path("board/map.json", board_map_data, name="board_map_data"),
]
