"""The public board's map data: the board's concerns (its filters, zhenwu.concerns.board) that carry
a location, binned server-side into cells sized by the map's zoom, so a view costs one grouped
query and a bounded answer however many concerns a town has (bench/map.py).

A cell is about CELL_PIXELS on screen at the requested zoom, widened when the box asked for would
hold more than CELLS_ACROSS of them along its longer side (so at most MAX_CELLS). Each cell carries its count by the board's status words
(办理中, 已超期, 已办结待回访, 已关闭) and the mean of its points, so a cell of one concern sits on
that concern's spot and names it (reference and redacted title). Nothing personal leaves here: no
reporter, no text, no address. Concerns of a category marked `coarse_on_map` are placed on a
grid of COARSE_DEGREES (about 500 m) before anything else, so neither their cell nor the mean
of a cell reveals their spot.
"""

import math
from decimal import Decimal
from fractions import Fraction

from django.db import connections
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, Value, When

from .models import CLOCK_STATUSES, MAP_BANDS_PER_DEGREE, MICRODEGREES, Category, Concern, MicroBand, Status
from .redaction import redact_concern_text

CELL_PIXELS = 48
CELLS_ACROSS = 20  # the box's longer side spans at most this many cells of the size asked for
# The box widened to whole cells, and a point on its far edge: at most three cells more per side.
MAX_CELLS = (CELLS_ACROSS + 3) ** 2
MIN_ZOOM, MAX_ZOOM = 0, 20
COARSE_DEGREES = 0.005  # ≈ 555 m of latitude, ≈ 490 m of longitude at 28°N
MICRO = MICRODEGREES  # points are stored with six decimals: whole millionths of a degree
COARSE_MICRO = 5000  # COARSE_DEGREES in millionths
BUCKETS = ("processing", "overdue", "resolved", "closed")
WORLD = (-180.0, -90.0, 180.0, 90.0)
MAX_BANDS = 300  # a box taller than this many latitude bands (3°) reads every located concern


def coarse_step(value):
    """The coarse grid's step (of COARSE_DEGREES, counted from -360°) nearest a stored coordinate,
    halves up, in whole numbers: the Python twin of the SQL below (tests)."""
    micro = int(Decimal(value) * MICRO)
    return (micro + COARSE_MICRO // 2 + 360 * MICRO) // COARSE_MICRO


def _micro_range(low, high):
    """The whole millionths within [low, high] degrees (floats or Fractions), exactly."""
    return math.ceil(Fraction(low) * MICRO), math.floor(Fraction(high) * MICRO)


def _coarse_range(low, high):
    """The stored coordinates (in millionths) whose coarse step lies within [low, high] degrees:
    from the first step at or above `low` less half a step, to the last at or below `high` plus
    half a step less one millionth (coarse_step rounds halves up)."""
    step = Fraction(COARSE_MICRO, MICRO)
    first, last = math.ceil(Fraction(low) / step), math.floor(Fraction(high) / step)
    return first * COARSE_MICRO - COARSE_MICRO // 2, (last + 1) * COARSE_MICRO - COARSE_MICRO // 2 - 1


def parse_bbox(text):
    """`west,south,east,north` in degrees (WGS-84), clamped to the world; None for anything else."""
    try:
        west, south, east, north = (float(part) for part in (text or "").split(","))
    except ValueError:
        return None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        return None
    west, east = max(-180.0, min(180.0, west)), max(-180.0, min(180.0, east))
    south, north = max(-90.0, min(90.0, south)), max(-90.0, min(90.0, north))
    if west >= east or south >= north:
        return None
    return west, south, east, north


def cell_degrees(zoom, bbox):
    """The side of a cell: CELL_PIXELS at `zoom` (a 256-pixel tile spans 360 / 2**zoom degrees of
    longitude), at least a CELLS_ACROSS-th of the box's longer side, rounded up to a power of two
    so that nearby views share their cells."""
    west, south, east, north = bbox
    size = max(360.0 / 2**zoom * CELL_PIXELS / 256, max(east - west, north - south) / CELLS_ACROSS)
    return 2.0 ** math.ceil(math.log2(size))


def view_of(zoom, bbox):
    """(zoom, cell side, box): the zoom within MIN_ZOOM..MAX_ZOOM, its cell side over `bbox`, and
    the box widened to whole cells (None stays None: everywhere). Nearby views of one zoom share
    their cells and their box, hence their answer (and its cache entry)."""
    zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
    size = cell_degrees(zoom, bbox or WORLD)
    if bbox is None:
        return zoom, size, None
    west, south, east, north = bbox
    return zoom, size, (
        max(-180.0, math.floor(west / size) * size), max(-90.0, math.floor(south / size) * size),
        min(180.0, math.ceil(east / size) * size), min(90.0, math.ceil(north / size) * size),
    )


def _bands(south, north):
    """The latitude bands (models.MicroBand) of the latitudes from `south` to `north` (in
    millionths); None when the box spans more than MAX_BANDS."""
    band = MICRO // MAP_BANDS_PER_DEGREE
    low, high = (south + 90 * MICRO) // band, (north + 90 * MICRO) // band
    return list(range(low, high + 1)) if high - low < MAX_BANDS else None


def _in_box(rows, west, south, east, north):
    """`rows` whose stored point may be within the box (millionths, inclusive), read off
    concern_map_micro_idx: for each latitude band, one run of the index's longitudes. The bands
    cover more latitudes than the box: the caller tests them exactly (map_cells), except for a
    box taller than MAX_BANDS, read by its range."""
    bands = _bands(south, north)
    if bands is not None:
        rows = rows.alias(map_band=MicroBand("latitude_micro")).filter(map_band__in=bands)
    else:
        rows = rows.filter(latitude_micro__gte=south, latitude_micro__lte=north)
    return rows.filter(longitude_micro__gte=west, longitude_micro__lte=east)


def _cell(column, offset, size, vendor):
    """SQL of the cell (of `size` degrees, a power of two) of `column` (millionths, at least
    -`offset` degrees), counted from -`offset`: an integer division of a non-negative integer,
    exact. A million is 2**6 * 15625, so the cell's side in millionths is 15625 * 2**(6 + e)
    for size 2**e: a whole number down to 1/64°, a fraction below (multiplied out in 64 bits)."""
    shift = 6 + round(math.log2(size))
    if shift >= 0:
        return f"(p.{column} + {offset * MICRO}) / {15625 << shift}"
    wide = f"CAST(p.{column} AS BIGINT)" if vendor == "postgresql" else f"p.{column}"
    return f"(({wide} + {offset * MICRO}) * {1 << -shift}) / 15625"


def _grouped(points, *, size, bounds):
    """`points` (a values() queryset: id; plat and plng, where each point is shown, in
    millionths, plat NULL for a point outside the box; bucket 0-3 for 办理中, 已超期, 已办结待回访,
    已关闭) grouped into cells of `size` degrees, with each cell's bounds if `bounds`. A list of
    tuples (cy, cx, n, sum of plat, sum of plng, overdue, resolved, closed, first id[, south,
    north, west, east]).

    Each point's place is computed once, in a subquery both databases keep apart (OFFSET 0 on
    PostgreSQL; LIMIT -1 on SQLite, which flattens a subquery without a limit into the grouping):
    merged, it was computed again for the test, the cell and the sum (on SQLite a third of the
    query's time, bench/map.py)."""
    connection = connections[points.db]
    inner, inner_params = points.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else " LIMIT -1"
    cy, cx = _cell("plat", 90, size, connection.vendor), _cell("plng", 180, size, connection.vendor)
    columns = [f"{cy} AS cy", f"{cx} AS cx", "COUNT(*)", "SUM(p.plat)", "SUM(p.plng)",
               "COUNT(*) FILTER (WHERE p.bucket = 1)", "COUNT(*) FILTER (WHERE p.bucket = 2)",
               "COUNT(*) FILTER (WHERE p.bucket = 3)", "MIN(p.id)"]
    if bounds:
        columns += ["MIN(p.plat)", "MAX(p.plat)", "MIN(p.plng)", "MAX(p.plng)"]
    sql = f"SELECT {', '.join(columns)} FROM ({inner}{fence}) AS p WHERE p.plat IS NOT NULL GROUP BY 1, 2"
    with connection.cursor() as cursor:
        cursor.execute(sql, inner_params)
        return cursor.fetchall()


def map_cells(concerns, *, zoom, bbox, now):
    """The map's answer for `concerns` (a queryset of public concerns, the board's filters applied)
    seen at `zoom` over `bbox` (None: everywhere, with the points' bounds for a first view).

    Returns {"zoom", "cell", "total", "coarse", "bbox", "bounds", "cells": [...]}; a cell is
    {"lat", "lng", "n", "s": {bucket: count}} and, holding one concern, also "ref", "title",
    "bucket" and "coarse". `bbox` in the answer is the box counted: the one asked for, widened to
    whole cells (view_of).

    Points are read in whole millionths of a degree (the generated columns latitude_micro and
    longitude_micro), so every test and sum below is exact integer arithmetic."""
    zoom, size, bbox = view_of(zoom, bbox)
    coarse_ids = list(Category.objects.filter(coarse_on_map=True).values_list("pk", flat=True))
    lat, lng = F("latitude_micro"), F("longitude_micro")
    rows = concerns.filter(latitude_micro__isnull=False, longitude_micro__isnull=False)
    is_coarse = Q(category_id__in=coarse_ids)

    def snapped(value):
        """On the coarse grid: the nearest step, halves up (coarse_step), in millionths."""
        return ExpressionWrapper(
            (value + Value(COARSE_MICRO // 2 + 360 * MICRO)) / Value(COARSE_MICRO) * Value(COARSE_MICRO)
            - Value(360 * MICRO),
            output_field=IntegerField(),
        )

    if bbox is not None:
        # The index reads the box, widened by half a coarse step where a category is coarse (such
        # a point is at most that far from where it is shown); whether a point is shown in the
        # box is then tested exactly in its latitude's expression, NULL outside (_grouped drops
        # those). Kept out of the WHERE clause, the tests do not shrink the planner's estimate of
        # the rows (it would count the box's selectivity twice, expect a handful, and sort a
        # town's 32,000 to group them instead of hashing).
        (south, north), (west, east) = _micro_range(bbox[1], bbox[3]), _micro_range(bbox[0], bbox[2])
        pad = COARSE_MICRO if coarse_ids else 0
        rows = _in_box(rows, west - pad, south - pad, east + pad, north + pad)
        inside = Q(latitude_micro__range=(south, north), longitude_micro__range=(west, east))
        shown_lat = Case(When(inside, then=lat), default=None, output_field=IntegerField())
        if coarse_ids:
            # A coarse point's step is in the box for a range of stored values (_coarse_range).
            (south_c, north_c), (west_c, east_c) = _coarse_range(bbox[1], bbox[3]), _coarse_range(bbox[0], bbox[2])
            coarse_inside = Q(latitude_micro__range=(south_c, north_c), longitude_micro__range=(west_c, east_c))
            shown_lat = Case(
                When(is_coarse, then=Case(When(coarse_inside, then=snapped(lat)), default=None,
                                          output_field=IntegerField())),
                When(inside, then=lat),
                default=None,
                output_field=IntegerField(),
            )
        lat = shown_lat
    elif coarse_ids:
        lat = Case(When(is_coarse, then=snapped(lat)), default=lat, output_field=IntegerField())
    if coarse_ids:
        lng = Case(When(is_coarse, then=snapped(lng)), default=lng, output_field=IntegerField())
    overdue = Q(status__in=CLOCK_STATUSES, resolution_due__lt=now)
    # Closed first: most of a town's concerns are, and the buckets do not overlap.
    bucket = Case(
        When(status=Status.CLOSED, then=Value(3)),
        When(status=Status.RESOLVED, then=Value(2)),
        When(overdue, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    points = rows.order_by().values("id", plat=lat, plng=lng, bucket=bucket)
    cells, singles, total = [], {}, 0
    bounds = None
    for _cy, _cx, n, lat_sum, lng_sum, overdue_n, resolved_n, closed_n, first, *edges in _grouped(
        points, size=size, bounds=bbox is None
    ):
        counts = {"processing": n - overdue_n - resolved_n - closed_n, "overdue": overdue_n,
                  "resolved": resolved_n, "closed": closed_n}
        # The mean of whole millionths: one division of two exact integers, so a cell of one
        # concern sits exactly on its stored point.
        cell = {
            "lat": round(int(lat_sum) / (n * MICRO), 6),
            "lng": round(int(lng_sum) / (n * MICRO), 6),
            "n": n,
            "s": {key: counts[key] for key in BUCKETS if counts[key]},
        }
        total += n
        if n == 1:
            singles[first] = cell
        if edges:
            south_e, north_e, west_e, east_e = edges
            edges = (west_e, south_e, east_e, north_e)
            bounds = edges if bounds is None else (
                min(bounds[0], edges[0]), min(bounds[1], edges[1]), max(bounds[2], edges[2]), max(bounds[3], edges[3])
            )
        cells.append(cell)
    if singles:
        for concern in Concern.objects.filter(pk__in=list(singles)).only(
            "id", "reference", "title", "reporter_name", "category_id"
        ):
            cell = singles[concern.pk]
            cell.update(
                ref=concern.reference,
                title=redact_concern_text(concern, concern.title),
                bucket=next(iter(cell["s"])),
                coarse=concern.category_id in coarse_ids,
            )
    return {
        "zoom": zoom,
        "cell": size,
        "total": total,
        "coarse": bool(coarse_ids),
        "bbox": list(bbox) if bbox else None,
        "bounds": [round(v / MICRO, 6) for v in bounds] if bounds else None,
        "cells": cells,
    }
