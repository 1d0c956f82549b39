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

from django.db import connections, models
from django.db.models import ExpressionWrapper, F, FloatField, Q, Value
from django.db.models.functions import Cast

from .models import CLOCK_STATUSES, MAP_BANDS_PER_DEGREE, Category, Concern, MapBand, Status
from .redaction import redact_concern_text

CELL_PIXELS = 48
CELLS_ACROSS = 20  # the box's longer side spans at most this many cells of the size asked for
# The box widened to whole cells, and a point on its far edge: at most three cells more per side.
MAX_CELLS = (CELLS_ACROSS + 3) ** 2
MIN_ZOOM, MAX_ZOOM = 0, 20
COARSE_DEGREES = 0.005  # ≈ 555 m of latitude, ≈ 490 m of longitude at 28°N
MICRO = 1_000_000  # points are stored with six decimals: whole millionths of a degree
COARSE_MICRO = 5000  # COARSE_DEGREES in millionths
BUCKETS = ("processing", "overdue", "resolved", "closed")
WORLD = (-180.0, -90.0, 180.0, 90.0)
MAX_BANDS = 300  # a box taller than this many latitude bands (3°) reads every located concern


class Micro(models.Func):
    """A stored coordinate in whole millionths of a degree, exactly (it has six decimals): the
    numeric's product on PostgreSQL, rounded on SQLite, where it is a float."""

    output_field = models.IntegerField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST({sql} * {MICRO} AS INTEGER)", params

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"CAST(ROUND({sql} * {MICRO}) AS INTEGER)", params


def coarse_step(value):
    """The coarse grid's step (of COARSE_DEGREES, counted from -360°) nearest a stored coordinate,
    halves up, in whole numbers: the Python twin of the SQL below (tests)."""
    micro = int(Decimal(value) * MICRO)
    return (micro + COARSE_MICRO // 2 + 360 * MICRO) // COARSE_MICRO


def _coarse_range(low, high):
    """The stored coordinates (Decimals) whose coarse step lies within [low, high] degrees:
    from the first step at or above `low` less half a step, to the last at or below `high` plus
    half a step less one millionth (coarse_step rounds halves up)."""
    step = Fraction(COARSE_MICRO, MICRO)
    first, last = math.ceil(Fraction(low) / step), math.floor(Fraction(high) / step)
    return (Decimal(first * COARSE_MICRO - COARSE_MICRO // 2) / MICRO,
            Decimal((last + 1) * COARSE_MICRO - COARSE_MICRO // 2 - 1) / MICRO)


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
    """The latitude bands (models.MapBand) a point between `south` and `north` may be in, one more
    on either side for the databases' rounding; None when the box spans more than MAX_BANDS."""
    low = math.floor(south * MAP_BANDS_PER_DEGREE) - 1
    high = math.ceil(north * MAP_BANDS_PER_DEGREE) + 1
    return list(range(low, high + 1)) if high - low < MAX_BANDS else None


def _in_box(rows, west, south, east, north, *, latitudes=True):
    """`rows` whose stored point is within the box (inclusive), read off concern_map_band_idx: for
    each latitude band, one run of the index's longitudes. With `latitudes=False` the latitude's
    range is left to the caller's own exact tests: repeated, the planner counts its selectivity
    twice, expects a handful of rows, and sorts a town's 32,000 to group them instead of hashing."""
    bands = _bands(south, north)
    if bands is not None:
        rows = rows.alias(map_band=MapBand("latitude")).filter(map_band__in=bands)
    rows = rows.filter(longitude__gte=Decimal(west), longitude__lte=Decimal(east))
    if latitudes or bands is None:
        rows = rows.filter(latitude__gte=Decimal(south), latitude__lte=Decimal(north))
    return rows


def _float(expression):
    return Cast(expression, FloatField())


def _grouped(points, *, size, bounds):
    """`points` (a values() queryset: id, plat and plng where shown, bucket 0-3 for 办理中, 已超期,
    已办结待回访, 已关闭) grouped into cells of `size` degrees, with each cell's bounds if
    `bounds`. A list of dicts.

    Each point's place is computed once, in a subquery the PostgreSQL planner keeps apart (OFFSET
    0); merged into the grouping, it was computed again for the cell and for the mean, and turning
    a numeric into a float is the dearest step of the query (PostgreSQL 15 goes through text).
    SQLite merges the subquery, as it did the single query before."""
    connection = connections[points.db]
    inner, inner_params = points.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""

    def cell(column, offset):
        if connection.vendor == "sqlite":  # a cast truncates: the floor of a positive operand
            return f"CAST((p.{column} + %s) / %s AS INTEGER)", [float(offset), size]
        return f"CAST(FLOOR((p.{column} + %s) / %s) AS INTEGER)", [float(offset), size]

    (cy, cy_params), (cx, cx_params) = cell("plat", 90), cell("plng", 180)
    columns = [f"{cy} AS cy", f"{cx} AS cx", "COUNT(*) AS n", "AVG(p.plat) AS lat", "AVG(p.plng) AS lng",
               "COUNT(*) FILTER (WHERE p.bucket = 1) AS overdue", "COUNT(*) FILTER (WHERE p.bucket = 2) AS resolved",
               "COUNT(*) FILTER (WHERE p.bucket = 3) AS closed", "MIN(p.id) AS first"]
    if bounds:
        columns += ["MIN(p.plat) AS south", "MAX(p.plat) AS north", "MIN(p.plng) AS west", "MAX(p.plng) AS east"]
    sql = f"SELECT {', '.join(columns)} FROM ({inner}{fence}) AS p GROUP BY 1, 2"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*cy_params, *cx_params, *inner_params])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def map_cells(concerns, *, zoom, bbox, now):
    """The map's answer for `concerns` (a queryset of public concerns, the board's filters applied)
    seen at `zoom` over `bbox` (None: everywhere, with the points' bounds for a first view).

    Returns {"zoom", "cell", "total", "coarse", "bbox", "bounds", "cells": [...]}; a cell is
    {"lat", "lng", "n", "s": {bucket: count}} and, holding one concern, also "ref", "title",
    "bucket" and "coarse". `bbox` in the answer is the box counted: the one asked for, widened to
    whole cells (view_of)."""
    zoom, size, bbox = view_of(zoom, bbox)
    coarse_ids = list(Category.objects.filter(coarse_on_map=True).values_list("pk", flat=True))
    lat, lng = _float(F("latitude")), _float(F("longitude"))
    rows = concerns.filter(latitude__isnull=False, longitude__isnull=False)
    # A box's sides are whole multiples of a power-of-two cell: exact as decimals, compared with
    # the stored columns as they are (concern_map_band_idx serves the range).
    inside = None if bbox is None else Q(
        latitude__gte=Decimal(bbox[1]), latitude__lte=Decimal(bbox[3]),
        longitude__gte=Decimal(bbox[0]), longitude__lte=Decimal(bbox[2]),
    )
    if coarse_ids:
        # On the coarse grid: the nearest step, counted exactly in millionths (coarse_step), then
        # a float for the mean.
        def snapped(value):
            step = ExpressionWrapper(
                (Micro(value) + Value(COARSE_MICRO // 2 + 360 * MICRO)) / Value(COARSE_MICRO),
                output_field=models.IntegerField(),
            )
            return ExpressionWrapper(
                _float(step) * Value(COARSE_DEGREES) - Value(360.0), output_field=FloatField()
            )

        is_coarse = Q(category_id__in=coarse_ids)
        lat = models.Case(models.When(is_coarse, then=snapped(F("latitude"))), default=lat, output_field=FloatField())
        lng = models.Case(models.When(is_coarse, then=snapped(F("longitude"))), default=lng, output_field=FloatField())
        if bbox is not None:
            # Where a point is shown decides whether it is in the box: a coarse one on its grid,
            # at most half a step from its spot, so the stored range is widened by that much;
            # whether its step is in the box is a range of stored values too (_coarse_range).
            west, south, east, north = bbox
            pad = COARSE_DEGREES
            (south_c, north_c), (west_c, east_c) = _coarse_range(south, north), _coarse_range(west, east)
            rows = _in_box(rows, west - pad, south - pad, east + pad, north + pad, latitudes=False).filter(
                (~is_coarse & inside)
                | (is_coarse & Q(latitude__gte=south_c, latitude__lte=north_c,
                                 longitude__gte=west_c, longitude__lte=east_c))
            )
    elif bbox is not None:
        rows = _in_box(rows, *bbox)
    overdue = Q(status__in=CLOCK_STATUSES, resolution_due__lt=now)
    # Closed first: most of a town's concerns are, and the buckets do not overlap.
    bucket = models.Case(
        models.When(status=Status.CLOSED, then=Value(3)),
        models.When(status=Status.RESOLVED, then=Value(2)),
        models.When(overdue, then=Value(1)),
        default=Value(0),
        output_field=models.IntegerField(),
    )
    points = rows.order_by().values("id", plat=lat, plng=lng, bucket=bucket)
    grouped = _grouped(points, size=size, bounds=bbox is None)
    cells, singles, total = [], {}, 0
    bounds = None
    for row in grouped:
        counts = {"overdue": row["overdue"], "resolved": row["resolved"], "closed": row["closed"]}
        counts["processing"] = row["n"] - sum(counts.values())
        cell = {
            "lat": round(row["lat"], 6),
            "lng": round(row["lng"], 6),
            "n": row["n"],
            "s": {key: counts[key] for key in BUCKETS if counts[key]},
        }
        total += row["n"]
        if row["n"] == 1:
            singles[row["first"]] = cell
        if bbox is None:
            edges = (row["west"], row["south"], row["east"], row["north"])
            bounds = edges if bounds is None else (
                min(bounds[0], edges[0]), min(bounds[1], edges[1]), max(bounds[2], edges[2]), max(bounds[3], edges[3])
            )
        cells.append(cell)
    if singles:
        for concern in Concern.objects.filter(pk__in=list(singles)).only(
            "id", "reference", "title", "reporter_name", "status", "resolution_due", "category_id"
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
        "bounds": [round(v, 6) for v in bounds] if bounds else None,
        "cells": cells,
    }
