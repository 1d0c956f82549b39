"""The demo town's map: illustrative outlines for 官桥镇's villages, communities and grids.

Nobody surveyed these. The town's outline is a smooth irregular shape around a centre in the hills
of 浏阳; each village or community is the Voronoi cell of its centre clipped to the town, and each
village is divided into its grids the same way around seed points spread by a few Lloyd steps
(each seed moved to its cell's centroid), so grids come out of even size. Every outline is
stored marked `illustrative`, through boundaries.save_boundaries (audited). Fixed seed: two loads
draw the same map.

Uses shapely (the demo loader runs as a command, never in a web worker).
"""

import math
import random

from .geo import Outline, bbox_of, geometry_polygons

SEED = 20191012 + 22
# The town's centre (WGS-84), illustrative.
CENTRE = (28.0085, 113.4690)
TOWN_RADIUS_KM = 8.0
# Village or community: its centre as (km north, km east) of the town's centre. The town seat's
# three (集镇村, 官桥社区, 集里桥社区) sit close together, so their cells are small.
LAYOUT = {
    "集镇村": (0.5, -0.6),
    "官桥社区": (-0.6, 0.4),
    "集里桥社区": (0.8, 1.3),
    "九龙村": (4.3, -2.6),
    "石灰嘴村": (-3.6, -3.4),
    "苍坊村": (3.4, 3.9),
    "梅园村": (-3.9, 2.6),
    "杨梅村": (-5.6, 5.2),
    "岸山村": (5.9, 0.4),
    "南阳村": (-0.8, -5.8),
}
SOURCE = "演示数据（示意边界，非测绘成果）"
LLOYD_STEPS = 3


def _to_lnglat(north_km, east_km):
    lat = CENTRE[0] + north_km / 111.32
    lng = CENTRE[1] + east_km / (111.32 * math.cos(math.radians(CENTRE[0])))
    return lng, lat


def _town_outline(rng):
    from shapely.geometry import Polygon

    phase = [rng.uniform(0, 2 * math.pi) for _ in range(3)]
    points = []
    for step in range(48):
        angle = 2 * math.pi * step / 48
        radius = TOWN_RADIUS_KM * (1 + 0.13 * math.sin(2 * angle + phase[0]) + 0.08 * math.sin(3 * angle + phase[1])
                                   + 0.05 * math.sin(5 * angle + phase[2]))
        points.append(_to_lnglat(radius * math.sin(angle), radius * math.cos(angle)))
    return Polygon(points)


def _polygonal(geometry):
    """The polygon or multipolygon part of a clipped cell (clipping may leave slivers of lines)."""
    from shapely.geometry import MultiPolygon, Polygon

    if isinstance(geometry, (Polygon, MultiPolygon)):
        return geometry
    parts = [g for g in getattr(geometry, "geoms", []) if isinstance(g, Polygon)]
    return MultiPolygon(parts) if len(parts) > 1 else parts[0]


def _cells(seeds, within):
    """The Voronoi cells of `seeds` (shapely Points) clipped to `within`, in the seeds' order."""
    import shapely
    from shapely.geometry import MultiPoint

    regions = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=within).geoms
    ordered = []
    for seed in seeds:
        cell = next(r for r in regions if r.contains(seed))
        ordered.append(_polygonal(cell.intersection(within)))
    return ordered


def _random_inside(polygon, rng):
    from shapely.geometry import Point

    min_x, min_y, max_x, max_y = polygon.bounds
    while True:
        point = Point(rng.uniform(min_x, max_x), rng.uniform(min_y, max_y))
        if polygon.contains(point):
            return point


def _grid_cells(village, count, rng):
    """`count` cells of even size covering the village, ordered north to south (第一网格 north)."""
    if count == 1:
        return [village]
    seeds = [_random_inside(village, rng) for _ in range(count)]
    for _ in range(LLOYD_STEPS):
        seeds = [cell.representative_point() if cell.is_empty else cell.centroid for cell in _cells(seeds, village)]
        seeds = [s if village.contains(s) else village.representative_point() for s in seeds]
    cells = _cells(seeds, village)
    return sorted(cells, key=lambda c: (-round(c.centroid.y, 4), c.centroid.x))


def _geojson(geometry):
    import shapely
    from shapely.geometry import mapping

    # Six decimals (about 0.1 m), snapped so rounding cannot make an outline cross itself.
    geometry = shapely.set_precision(geometry, 1e-6)
    return _lists(mapping(geometry))


def _lists(value):
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_lists(v) for v in value]
    return value


def demo_outlines(town, villages, grids):
    """(area, GeoJSON geometry) for the town, each village/community in `villages` ({name: Area})
    and each grid in `grids` ({village name: [Area, ...]}, first grid first)."""
    from shapely.geometry import Point

    rng = random.Random(SEED)
    outline = _town_outline(rng)
    names = [name for name in LAYOUT if name in villages]
    village_cells = _cells([Point(*_to_lnglat(*LAYOUT[name])) for name in names], outline)
    items = [(town, _geojson(outline))]
    for name, cell in zip(names, village_cells, strict=True):
        items.append((villages[name], _geojson(cell)))
        for grid, grid_cell in zip(grids.get(name, []), _grid_cells(cell, len(grids.get(name, [])), rng), strict=True):
            items.append((grid, _geojson(grid_cell)))
    return items


def outline_of(area, geometry):
    """An in-memory geo.Outline (to place points inside it before anything is stored)."""
    polygons = geometry_polygons(geometry)
    return Outline(area_id=area.pk, name=area.name, level=area.level, parent_id=None, bbox=bbox_of(polygons),
                   polygons=polygons)
