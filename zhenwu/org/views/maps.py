"""The map data anyone may ask for (the resident's form and the public board have no account):
which village and grid a point falls in, and the outlines to draw. Names and ids only, never a
household or a person. See docs/api.md ("Map data")."""

import json

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import condition, require_GET

from zhenwu.lib import ratelimits
from zhenwu.lib.coords import PointError, parse_point
from zhenwu.lib.params import int_or_none

from .. import geo
from ..models import Area, AreaLevel

# Look-ups per client address: a resident dragging the pin asks once per drop (the form waits for
# the pin to settle); a village office behind one address serves many residents.
LOCATE_RATE = "300/10m"


def _json(data, *, status=200, cache="public, max-age=300"):
    response = HttpResponse(json.dumps(data, ensure_ascii=False), status=status,
                            content_type="application/json; charset=utf-8")
    response["Cache-Control"] = cache if status == 200 else "no-store"
    return response


def _error(detail, field=None, *, status=400):
    return _json({"detail": detail, **({"field": field} if field else {})}, status=status)


def _town(request):
    """The town asked for (`town`: its id), None for the whole deployment; ValueError if unknown."""
    raw = request.GET.get("town")
    if not raw:
        return None
    town = Area.objects.filter(pk=int_or_none(raw), level=AreaLevel.TOWN).only("id", "path", "depth").first()
    if town is None:
        raise ValueError("所选乡镇不存在", "town")
    return town


@require_GET
def locate_json(request):
    """GET lat, lng (and coord_system, default wgs84; town, optional): the village/community and
    the grid whose outlines contain the point, each null when none does:
    {"area": {"id", "name", "kind"} | null, "grid": {"id", "name"} | null}."""
    rate = getattr(settings, "ZHENWU_LOCATE_RATE", LOCATE_RATE)
    if ratelimits.keyed_refused(request, group="zhenwu.org.locate", rate=rate):
        response = _error("查询太频繁，请稍后再试", status=429)
        response["Retry-After"] = "600"
        return response
    try:
        lat, lng = parse_point(request.GET.get("lat"), request.GET.get("lng"), request.GET.get("coord_system"),
                               required=True, lat_field="lat", lng_field="lng")
        town = _town(request)
    except PointError as exc:
        return _error(exc.message, exc.field)
    except ValueError as exc:
        return _error(*exc.args)
    lat, lng = float(lat), float(lng)
    return _json(geo.locate(lat, lng, town).as_json())


def _boundaries_etag(request):
    try:
        town = _town(request)
    except ValueError:
        return None
    return geo.boundaries_etag(town)


@require_GET
@condition(etag_func=_boundaries_etag)
def boundaries_geojson(request):
    """The outlines of villages, communities and grids (of `town`, or of every town) as a GeoJSON
    FeatureCollection in WGS-84; properties id, name, kind, parent_id, illustrative. Revalidated
    with its ETag (an import changes it), so a map asks again cheaply."""
    try:
        town = _town(request)
    except ValueError as exc:
        return _error(*exc.args)
    response = HttpResponse(geo.boundaries_geojson(town), content_type="application/geo+json; charset=utf-8")
    response["Cache-Control"] = "public, no-cache"
    return response
