"""Where a point falls, and the outlines the maps draw.

Outlines are `AreaBoundary` rows: GeoJSON Polygon or MultiPolygon geometries in WGS-84 lon/lat,
with their bounding boxes. `locate(lat, lng, town)` answers which village/community and which
grid contain a point: a bounding-box comparison leaves a handful of candidates, and an even-odd
ray test on each candidate's rings (holes included) decides. The parsed outlines of a town are
kept in the process, keyed by the town's boundary version (how many outlines it has and when the
last one changed), so an import shows at the next look-up and a look-up parses nothing.

Pure Python on purpose: a web worker answers these look-ups, and shapely would bring numpy (about
20 MB per worker, docs/architecture.md "What a web worker loads"). The importer
(`zhenwu.org.boundaries`) validates outlines with shapely in the background worker, so what is
stored here is already valid.
"""

import hashlib
import json
import threading
from dataclasses import dataclass

from django.db.models import Count, Max

from .models import Area, AreaBoundary, AreaLevel

# The levels a resident's point is placed in, and the maps draw.
MAPPED_LEVELS = (AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID)


def geometry_polygons(geometry):
    """A GeoJSON Polygon or MultiPolygon (a dict) as a tuple of polygons, each a tuple of rings
    (exterior first), each a tuple of (lng, lat). ValueError for anything else."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    coordinates = geometry.get("coordinates") if kind else None
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        polygons = coordinates
    else:
        raise ValueError(f"not a polygon: {kind!r}")
    if not isinstance(polygons, list) or not polygons:
        raise ValueError("no coordinates")
    result = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise ValueError("a polygon without rings")
        rings = []
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise ValueError("a ring needs at least four positions")
            rings.append(tuple((float(p[0]), float(p[1])) for p in ring))
        result.append(tuple(rings))
    return tuple(result)


def bbox_of(polygons):
    """(min_lng, min_lat, max_lng, max_lat) of the polygons' exterior rings."""
    xs = [x for polygon in polygons for x, _ in polygon[0]]
    ys = [y for polygon in polygons for _, y in polygon[0]]
    return min(xs), min(ys), max(xs), max(ys)


def _ring_contains(ring, x, y):
    inside = False
    x1, y1 = ring[-1]
    for x2, y2 in ring:
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
        x1, y1 = x2, y2
    return inside


def polygons_contain(polygons, lng, lat):
    for exterior, *holes in polygons:
        if _ring_contains(exterior, lng, lat) and not any(_ring_contains(h, lng, lat) for h in holes):
            return True
    return False


@dataclass(frozen=True)
class Outline:
    area_id: int
    name: str
    level: str
    parent_id: int | None
    bbox: tuple
    polygons: tuple

    def contains(self, lng, lat):
        min_lng, min_lat, max_lng, max_lat = self.bbox
        if not (min_lng <= lng <= max_lng and min_lat <= lat <= max_lat):
            return False
        return polygons_contain(self.polygons, lng, lat)


def _scope(town):
    boundaries = AreaBoundary.objects.filter(area__level__in=MAPPED_LEVELS)
    return boundaries if town is None else boundaries.filter(area__path__startswith=town.path)


def boundary_version(town=None):
    """A short string that changes whenever an outline of the town (None: of the deployment) is
    added, replaced or removed: the key of the parsed outlines and the maps' ETag."""
    seen = _scope(town).aggregate(count=Count("pk"), last=Max("updated_at"))
    last = seen["last"].isoformat() if seen["last"] else "-"
    return f"{town.pk if town else 'all'}:{seen['count']}:{last}"


def _load_outlines(town):
    rows = list(_scope(town).select_related("area").order_by("area__path"))
    parent_paths = {r.area.path[: -Area.steplen] for r in rows}
    parents = dict(Area.objects.filter(path__in=parent_paths).values_list("path", "pk"))
    outlines = []
    for row in rows:
        outlines.append(Outline(
            area_id=row.area_id, name=row.area.name, level=row.area.level,
            parent_id=parents.get(row.area.path[: -Area.steplen]),
            bbox=(row.min_lng, row.min_lat, row.max_lng, row.max_lat),
            polygons=geometry_polygons(json.loads(row.geometry)),
        ))
    return outlines


_cache = {}
_cache_lock = threading.Lock()


def outlines(town=None):
    """The parsed outlines of the town's villages, communities and grids (None: every town's),
    from this process's cache while the boundary version holds."""
    key = town.pk if town is not None else None
    version = boundary_version(town)
    cached = _cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    loaded = _load_outlines(town)
    with _cache_lock:
        _cache[key] = (version, loaded)
    return loaded


@dataclass(frozen=True)
class Located:
    area: Outline | None  # the village or community
    grid: Outline | None

    def as_json(self):
        return {
            "area": {"id": self.area.area_id, "name": self.area.name, "kind": self.area.level} if self.area else None,
            "grid": {"id": self.grid.area_id, "name": self.grid.name} if self.grid else None,
        }


def locate(lat, lng, town=None):
    """The village/community and the grid whose outlines contain the WGS-84 point, within the
    town (None: the whole deployment). Either may be None (no outline there, or none imported).
    A grid found without its village's outline still names its village."""
    lat, lng = float(lat), float(lng)
    found = {}
    shapes = outlines(town)
    for outline in shapes:
        kind = "grid" if outline.level == AreaLevel.GRID else "area"
        if kind not in found and outline.contains(lng, lat):
            found[kind] = outline
            if len(found) == 2:
                break
    area, grid = found.get("area"), found.get("grid")
    if grid is not None and (area is None or area.area_id != grid.parent_id):
        area = next((o for o in shapes if o.area_id == grid.parent_id), None) or _village_of(grid)
    return Located(area=area, grid=grid)


def other_grid_holding(household):
    """The grid whose outline holds the household's point when that is not the household's own
    grid (a pin to check on its page), else None; None too without a point or outlines."""
    if household.latitude is None:
        return None
    found = locate(household.latitude, household.longitude).grid
    return found if found is not None and found.area_id != household.grid_id else None


def _village_of(grid):
    village = Area.objects.filter(pk=grid.parent_id).only("id", "name", "level").first()
    if village is None or village.level not in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
        return None
    return Outline(area_id=village.pk, name=village.name, level=village.level, parent_id=None, bbox=(), polygons=())


def boundaries_geojson(town=None):
    """The outlines of the town's villages, communities and grids as a GeoJSON FeatureCollection
    (bytes), names and ids only: what the maps draw, public. Each feature's properties: id, name,
    kind ("village" | "community" | "grid"), parent_id, illustrative. The stored geometry text is
    written as it is (it was checked when stored)."""
    rows = list(
        _scope(town).select_related("area").order_by("area__path")
        .values_list("area_id", "area__name", "area__level", "area__path", "illustrative", "geometry")
    )
    parent_paths = {path[: -Area.steplen] for _, _, _, path, _, _ in rows}
    parents = dict(Area.objects.filter(path__in=parent_paths).values_list("path", "pk"))
    features = []
    for area_id, name, level, path, illustrative, geometry in rows:
        properties = json.dumps({
            "id": area_id, "name": name, "kind": level, "parent_id": parents.get(path[: -Area.steplen]),
            "illustrative": illustrative,
        }, ensure_ascii=False)
        features.append(f'{{"type":"Feature","id":{area_id},"properties":{properties},"geometry":{geometry}}}')
    return ('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}").encode()


def boundaries_etag(town=None):
    return hashlib.sha256(boundary_version(town).encode()).hexdigest()[:32]


def random_point_in(outline, rng, *, attempts=1000):
    """A random (lat, lng) inside the outline (for the demo's households and concerns): uniform
    over its bounding box, kept when inside."""
    min_lng, min_lat, max_lng, max_lat = outline.bbox
    for _ in range(attempts):
        lng, lat = rng.uniform(min_lng, max_lng), rng.uniform(min_lat, max_lat)
        if polygons_contain(outline.polygons, lng, lat):
            return round(lat, 6), round(lng, 6)
    raise ValueError(f"no point found inside {outline.name}")
