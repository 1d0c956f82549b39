"""The board's map data (/concerns/board/map.json): the board's concerns with a location, binned
by zoom; the counts add up to the filtered points; nothing personal; sensitive categories coarse."""

import datetime
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from zhenwu.concerns import services
from zhenwu.concerns.board_map import (
    COARSE_DEGREES,
    MAX_CELLS,
    cell_degrees,
    coarse_step,
    parse_bbox,
    view_of,
)
from zhenwu.concerns.models import CLOCK_STATUSES, Category, Concern, Status

URL = "/concerns/board/map.json"
NAME, PHONE = "欧阳春花", "13712345678"
# 九龙村学校 (a spot in 官桥镇, WGS-84)
SPOT = (Decimal("28.201234"), Decimal("113.412345"))


@pytest.fixture
def located(world, submit):
    """One accepted concern at SPOT, one received (not public) beside it, one accepted without a
    location."""
    d = world.users.dispatcher
    accepted = services.accept_concern(
        submit(text=f"学校门口污水横流，我叫{NAME}电话{PHONE}", reporter_name=NAME, reporter_phone=PHONE,
               latitude=SPOT[0], longitude=SPOT[1], category=world.sanitation).concern,
        by=d,
    )
    received = submit(text="老街下水道堵了还没受理", latitude=SPOT[0], longitude=SPOT[1]).concern
    nowhere = services.accept_concern(submit(text="路灯不亮已经一周了").concern, by=d)
    return accepted, received, nowhere


def test_an_accepted_concern_is_a_point_on_its_spot_named_by_its_reference(client, located):
    accepted, _received, _nowhere = located
    data = client.get(URL, {"zoom": 16, "bbox": "113.40,28.19,113.42,28.21"}).json()
    assert data["total"] == 1
    (cell,) = data["cells"]
    assert (cell["lat"], cell["lng"]) == (float(SPOT[0]), float(SPOT[1]))
    assert cell["n"] == 1 and cell["ref"] == accepted.reference
    assert cell["bucket"] == "processing" and cell["s"] == {"processing": 1}
    assert cell["coarse"] is False


def test_the_answer_carries_nothing_personal(client, located):
    body = client.get(URL, {"zoom": 16}).content.decode()
    assert NAME not in body and PHONE not in body and "污水横流" in body
    assert "13712345678" not in body and "text" not in body


def test_without_a_box_everything_is_answered_with_the_points_bounds(client, located):
    data = client.get(URL).json()
    assert data["total"] == 1
    assert data["bounds"] == [float(SPOT[1]), float(SPOT[0]), float(SPOT[1]), float(SPOT[0])]
    elsewhere = client.get(URL, {"zoom": 14, "bbox": "100,20,101,21"}).json()
    assert elsewhere["total"] == 0 and elsewhere["cells"] == [] and elsewhere["bounds"] is None


def test_the_boards_filters_narrow_the_map_as_they_narrow_the_list(client, world, located):
    assert client.get(URL, {"category": world.sanitation.pk}).json()["total"] == 1
    assert client.get(URL, {"category": world.road.pk}).json()["total"] == 0
    assert client.get(URL, {"status": "closed"}).json()["total"] == 0
    assert client.get(URL, {"status": "processing"}).json()["total"] == 1
    assert client.get(URL, {"village": world.cast.jizhen.pk}).json()["total"] == 0
    assert client.get(URL, {"q": "污水"}).json()["total"] == 1
    assert client.get(URL, {"q": "路灯"}).json()["total"] == 0
    # Values that name nothing are ignored, as on the board.
    assert client.get(URL, {"category": "x", "status": "nope", "zoom": "deep", "bbox": "1,2"}).json()["total"] == 1


def test_a_sensitive_category_is_shown_on_its_coarse_grid_only(client, world, located):
    Category.objects.filter(pk=world.sanitation.pk).update(coarse_on_map=True)
    data = client.get(URL, {"zoom": 18, "bbox": "113.40,28.19,113.42,28.21"}).json()
    (cell,) = data["cells"]
    assert cell["coarse"] is True and data["coarse"] is True
    assert (cell["lat"], cell["lng"]) != (float(SPOT[0]), float(SPOT[1]))
    for got, exact in ((cell["lat"], SPOT[0]), (cell["lng"], SPOT[1])):
        steps = got / COARSE_DEGREES
        assert abs(steps - round(steps)) < 1e-6  # on the grid
        assert abs(got - float(exact)) <= COARSE_DEGREES / 2 + 1e-9


def test_a_coarse_point_half_a_step_below_the_box_is_shown_on_its_edge_and_counted(client, world, submit):
    """Halves go up, exactly: 28.1225 is shown at 28.125, the box's south edge, and counted;
    28.122499 is shown at 28.12, outside it."""
    Category.objects.filter(pk=world.sanitation.pk).update(coarse_on_map=True)
    d = world.users.dispatcher
    for lat in ("28.1225", "28.122499"):
        services.accept_concern(submit(text="学校门口污水横流", category=world.sanitation, latitude=Decimal(lat),
                                       longitude=Decimal("113.4")).concern, by=d)
    data = client.get(URL, {"zoom": 16, "bbox": "113.39,28.125,113.41,28.14"}).json()
    assert data["bbox"][1] == 28.125
    (cell,) = data["cells"]
    assert cell["n"] == 1 and cell["lat"] == 28.125
    around = client.get(URL, {"zoom": 18, "bbox": "113.39,28.11,113.41,28.14"}).json()
    assert sorted(c["lat"] for c in around["cells"]) == [28.12, 28.125]


def test_an_overdue_concern_is_coloured_overdue(client, located):
    accepted = located[0]
    Concern.objects.filter(pk=accepted.pk).update(resolution_due=timezone.now() - datetime.timedelta(days=1))
    (cell,) = client.get(URL, {"zoom": 16}).json()["cells"]
    assert cell["bucket"] == "overdue"


def test_points_on_the_edges_of_the_map_indexs_latitude_bands_are_counted(client, world, submit):
    """The index is led by a latitude band (models.MicroBand: the latitude in whole millionths,
    from the generated column, divided by 10,000): a point on a band's edge, one a float product
    would put just below it, or one on a cell's edge, is found in every box that holds it."""
    d = world.users.dispatcher
    # 28.125 × 100 = 2812.5 (a half, rounded up on PostgreSQL); 28.13 × 100 is 2812.9999… as a
    # float; 28.140625 is a whole cell of a power-of-two size, so a box can end on it exactly.
    lats = [Decimal("28.125"), Decimal("28.13"), Decimal("28.140625"), Decimal("28.2")]
    for lat in lats:
        services.accept_concern(submit(text="路灯不亮已经一周了", latitude=lat, longitude=Decimal("113.4")).concern, by=d)
    for bbox in ("113.39,28.125,113.41,28.140625", "113.39,28.13,113.41,28.2", "113.3,28.0,113.5,28.3",
                 "113.39,28.1251,113.41,28.1299"):
        for zoom in (10, 16, 20):
            data = client.get(URL, {"zoom": zoom, "bbox": bbox}).json()
            west, south, east, north = data["bbox"]
            assert data["total"] == sum(south <= float(lat) <= north for lat in lats), (bbox, zoom, data["bbox"])


def test_the_cells_of_any_box_are_bounded():
    for zoom in (0, 5, 13, 20):
        for bbox in ((-180.0, -90.0, 180.0, 90.0), (0.0, 0.0, 360.0 / 1e6, 1e-7), (113.0, 28.0, 114.0, 28.001)):
            _zoom, size, (west, south, east, north) = view_of(zoom, bbox)
            assert size == cell_degrees(zoom, bbox) and west <= bbox[0] and north >= bbox[3]
            across = (round((east - west) / size) + 1) * (round((north - south) / size) + 1)
            assert across <= MAX_CELLS
    assert parse_bbox("113,28,112,29") is None and parse_bbox("nan,1,2,3") is None
    assert parse_bbox("-999,28,999,29") == (-180.0, 28.0, 180.0, 29.0)


def test_nearby_views_share_one_answer_kept_a_minute(client, settings, located, django_assert_num_queries):
    settings.ZHENWU_BOARD_MAP_CACHE_SECONDS = 60
    first = client.get(URL, {"zoom": 16, "bbox": "113.4001,28.1901,113.4199,28.2099"}).json()
    with django_assert_num_queries(1):  # the served towns only: the cells come from the cache
        again = client.get(URL, {"zoom": 16, "bbox": "113.4002,28.1902,113.4198,28.2098"}).json()
    assert again == first and first["total"] == 1


def test_a_projects_page_shows_its_place_on_a_map_and_loads_maps_only_then(client, world, submit):
    d = world.users.dispatcher
    located = submit(text="梅园到杨梅的路坑洼不平，雨天无法通行", category=world.road,
                     latitude=SPOT[0], longitude=SPOT[1]).concern
    services.dispatch_concern(located, by=d)
    services.start_or_join_project(located, by=d, name="梅园—杨梅道路硬化")
    page = client.get(f"/concerns/board/{located.reference}/").content.decode()
    assert 'data-map="spot"' in page and 'data-lat="28.201234"' in page and 'data-lng="113.412345"' in page
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in page and 'id="map-tiles"' in page
    plain = services.accept_concern(submit(text="村口路灯不亮已经一周了").concern, by=d)
    page = client.get(f"/concerns/board/{plain.reference}/").content.decode()
    assert "leaflet" not in page and "data-map" not in page


# --- the property: the binned counts are the filtered points' counts ---------------------------

BOX = (113.30, 28.10, 113.50, 28.30)
COARSE_DEGREES_EXACT = Decimal("0.005")
STATUSES = [Status.ACCEPTED, Status.IN_PROGRESS, Status.SUSPENDED, Status.RESOLVED, Status.CLOSED, Status.RECEIVED,
            Status.DECLINED]


@pytest.fixture
def scattered(world, submit):
    """300 concerns scattered over the town in random states, categories and deadlines, some
    without a location, cloned from one submitted concern (the intake is not what is tested)."""
    template = submit(text="路面塌陷需要修补").concern
    categories = [world.road, world.sanitation, world.lamp]
    Category.objects.filter(pk=world.lamp.pk).update(coarse_on_map=True)
    rng = random.Random(22)
    now = timezone.now()
    rows, points = [], []
    for i in range(300):
        located = rng.random() < 0.9
        lat = Decimal(f"{rng.uniform(BOX[1], BOX[3]):.6f}") if located else None
        lng = Decimal(f"{rng.uniform(BOX[0], BOX[2]):.6f}") if located else None
        row = Concern(**{f.attname: getattr(template, f.attname) for f in Concern._meta.concrete_fields
                         if f.attname not in ("id", "reference", "follow_token_hash", "idempotency_key")})
        row.reference = f"GQ-2026-9{i:05d}"
        row.follow_token_hash = f"{i:064x}"
        row.status = rng.choice(STATUSES)
        row.category_id = rng.choice(categories).pk
        row.village_id = rng.choice([world.cast.jiulong.pk, world.cast.jizhen.pk])
        row.latitude, row.longitude = lat, lng
        row.resolution_due = now + datetime.timedelta(days=rng.choice([-3, 3]))
        rows.append(row)
    Concern.objects.bulk_create(rows)
    for row in rows:
        points.append(row)
    return {"points": points, "now": now, "coarse": {world.lamp.pk}, "categories": categories}


def _shown(value, coarse):
    """Where the map shows a coordinate, exactly: as stored, or on the coarse grid (its step,
    counted in whole millionths as the SQL counts it)."""
    if not coarse:
        return Fraction(Decimal(value))
    return coarse_step(value) * Fraction(COARSE_DEGREES_EXACT) - 360


def _expected(points, *, now, bbox, category, status, village, coarse):
    public = {Status.ACCEPTED, Status.IN_PROGRESS, Status.SUSPENDED, Status.RESOLVED, Status.CLOSED}
    counts = {"processing": 0, "overdue": 0, "resolved": 0, "closed": 0}
    for p in points:
        if p.status not in public or p.latitude is None:
            continue
        if category and p.category_id != category or village and p.village_id != village:
            continue
        overdue = p.status in CLOCK_STATUSES and p.resolution_due < now
        bucket = ("overdue" if overdue else "resolved" if p.status == Status.RESOLVED
                  else "closed" if p.status == Status.CLOSED else "processing")
        # The board's 办理中 filter is every open concern, overdue ones included.
        wanted = {"processing": ("processing", "overdue")}.get(status, (status,))
        if status and bucket not in wanted:
            continue
        if bbox:
            lat, lng = _shown(p.latitude, p.category_id in coarse), _shown(p.longitude, p.category_id in coarse)
            west, south, east, north = (Fraction(edge) for edge in bbox)
            if not (south <= lat <= north and west <= lng <= east):
                continue
        counts[bucket] += 1
    return counts


@pytest.mark.django_db
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zoom=st.integers(min_value=0, max_value=20),
    box=st.one_of(st.none(), st.tuples(st.floats(BOX[0] - 0.05, BOX[2]), st.floats(BOX[1] - 0.05, BOX[3]),
                                       st.floats(0.001, 0.3), st.floats(0.001, 0.3))),
    category=st.integers(min_value=-1, max_value=2),
    status=st.sampled_from(["", "processing", "overdue", "resolved", "closed"]),
    village=st.sampled_from([None, "jiulong", "jizhen"]),
)
def test_the_binned_counts_equal_an_independent_count_of_the_filtered_points(
    client, world, scattered, zoom, box, category, status, village
):
    bbox = None if box is None else (round(box[0], 5), round(box[1], 5), round(box[0] + box[2], 5),
                                     round(box[1] + box[3], 5))
    params = {"zoom": zoom, "status": status}
    if bbox:
        params["bbox"] = ",".join(f"{v:.5f}" for v in bbox)
    category_pk = scattered["categories"][category].pk if category >= 0 else None
    if category_pk:
        params["category"] = category_pk
    village_pk = getattr(world.cast, village).pk if village else None
    if village_pk:
        params["village"] = village_pk
    with CaptureQueriesContext(connection) as queries:
        data = client.get(URL, params).json()
    assert len(queries) <= 6  # filters' lists, coarse categories, the grouped query, the singles
    # The point of a concern the list would fetch: each one's `now` is the request's; deadlines
    # are three days either side, so the test's own `now` classifies them the same.
    # The box counted is the one asked for widened to whole cells (board_map.view_of).
    assert (data["bbox"] is None) == (bbox is None)
    if bbox:
        assert data["bbox"][0] <= bbox[0] and data["bbox"][2] >= bbox[2]
    expected = _expected(scattered["points"], now=scattered["now"], bbox=data["bbox"], category=category_pk,
                         status=status, village=village_pk, coarse=scattered["coarse"])
    assert data["total"] == sum(expected.values()) == sum(cell["n"] for cell in data["cells"])
    for bucket, count in expected.items():
        assert sum(cell["s"].get(bucket, 0) for cell in data["cells"]) == count
    assert len(data["cells"]) <= MAX_CELLS
    singles = [cell for cell in data["cells"] if cell["n"] == 1]
    by_ref = {p.reference: p for p in scattered["points"]}
    for cell in singles:
        point = by_ref[cell["ref"]]
        if point.category_id in scattered["coarse"]:
            assert abs(cell["lat"] - float(point.latitude)) <= COARSE_DEGREES / 2 + 1e-9
        else:
            assert (cell["lat"], cell["lng"]) == (float(point.latitude), float(point.longitude))


@pytest.mark.django_db
def test_the_maps_filters_choose_what_the_boards_form_chooses(world, second_town):
    """The map resolves its filters without listing the form's options (board_filters with
    options=False); whatever is asked, it picks the same town, village and category as the list."""
    from zhenwu.concerns.board import board_filters

    Category.objects.filter(pk=world.lamp.pk).update(is_active=False)
    town, other = world.cast.town.pk, second_town.town.pk
    jiulong, xinan = world.cast.jiulong.pk, second_town.village.pk
    asked = [
        {}, {"town": town}, {"town": other}, {"town": "x"}, {"town": 999999},
        {"village": jiulong}, {"village": xinan}, {"town": town, "village": jiulong},
        {"town": town, "village": xinan}, {"town": other, "village": xinan}, {"village": town},
        {"category": world.road.pk}, {"category": world.lamp.pk}, {"category": "1e3"}, {"village": ""},
        {"status": "overdue", "q": "路灯", "category": world.sanitation.pk},
    ]
    for params in asked:
        full, lean = board_filters(params), board_filters(params, options=False)
        assert [getattr(full.town, "pk", None), getattr(full.village, "pk", None), getattr(full.category, "pk", None),
                full.status, full.q] == [getattr(lean.town, "pk", None), getattr(lean.village, "pk", None),
                                   getattr(lean.category, "pk", None), lean.status, lean.q], params


def test_the_database_keeps_every_points_millionths_whoever_writes_it(world, submit):
    """latitude_micro / longitude_micro (generated, stored) follow every write: the intake, a
    queryset update, raw SQL, and a point taken away; exactly, where a float product is not."""
    from django.db import connection

    concern = submit(text="路灯不亮已经一周了", latitude=Decimal("28.13"), longitude=Decimal("113.400001")).concern

    def micro():
        return tuple(Concern.objects.filter(pk=concern.pk).values_list("latitude_micro", "longitude_micro")[0])

    assert micro() == (28_130_000, 113_400_001)
    Concern.objects.filter(pk=concern.pk).update(latitude=Decimal("-0.000001"), longitude=Decimal("-179.999999"))
    assert micro() == (-1, -179_999_999)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Concern._meta.db_table} SET latitude = %s WHERE id = %s",
                       [Decimal("89.999999"), concern.pk])
    assert micro() == (89_999_999, -179_999_999)
    Concern.objects.filter(pk=concern.pk).update(latitude=None, longitude=None)
    assert micro() == (None, None)
