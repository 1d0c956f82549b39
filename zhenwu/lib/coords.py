"""Coordinates in the three systems Chinese devices and map services use, and the conversions
between them. Every point Zhenwu stores is WGS-84; a point that came in another system is
converted at intake and the system it came in is kept beside it.

- WGS-84 (`wgs84`): GPS and the browser's geolocation; 天地图's CGCS2000 is the same to within
  centimetres, so it counts as WGS-84 here.
- GCJ-02 (`gcj02`, 国测局坐标, "Mars coordinates"): Gaode/AMap, Tencent maps and WeChat's location
  API. A published, deliberately obfuscating offset of up to several hundred metres applied to
  WGS-84 inside China; outside China it is WGS-84 itself.
- BD-09 (`bd09`): Baidu maps, a further offset on top of GCJ-02.

The forward conversions (WGS-84 → GCJ-02 → BD-09) are the closed formulas everybody uses. Their
inverses have no closed form: they are solved by fixed-point iteration on the forward formula
until the forward image of the answer is within about a millimetre of the input (the usual
one-step "inverse" is off by up to a few metres). Functions take and return (lat, lng) in degrees.

"Inside China" is the customary rectangle (lng 72.004–137.8347, lat 0.8293–55.8271) the forward
formula is defined on; points outside it are left as they are.
"""

import math
from decimal import Decimal, InvalidOperation

from django.db import models

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0

# The inverse stops when the forward image is this close to the target (degrees; 1e-9° ≈ 0.1 mm).
_TOLERANCE = 1e-9
_MAX_ITERATIONS = 30


class CoordSystem(models.TextChoices):
    WGS84 = "wgs84", "WGS-84（GPS、浏览器定位、天地图）"
    GCJ02 = "gcj02", "GCJ-02（高德、腾讯、微信定位）"
    BD09 = "bd09", "BD-09（百度地图）"


def out_of_china(lat, lng):
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_offset(lat, lng):
    """The GCJ-02 offset (dlat, dlng) in degrees at a WGS-84 point."""
    x, y = lng - 105.0, lat - 35.0
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x)) + common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x)) + common
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    dlng = dlng * 180.0 / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat, lng):
    if out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _gcj_offset(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_bd09(lat, lng):
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def wgs84_to_bd09(lat, lng):
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def _invert(forward, lat, lng):
    """The point p with forward(p) == (lat, lng), by fixed-point iteration: the offsets change
    slowly with position (their derivative is tiny), so each step shrinks the error about a
    thousandfold and three or four steps reach the tolerance."""
    guess_lat, guess_lng = lat, lng
    for _ in range(_MAX_ITERATIONS):
        image_lat, image_lng = forward(guess_lat, guess_lng)
        error_lat, error_lng = image_lat - lat, image_lng - lng
        if abs(error_lat) < _TOLERANCE and abs(error_lng) < _TOLERANCE:
            break
        guess_lat -= error_lat
        guess_lng -= error_lng
    return guess_lat, guess_lng


def gcj02_to_wgs84(lat, lng):
    if out_of_china(lat, lng):
        return lat, lng
    return _invert(wgs84_to_gcj02, lat, lng)


def bd09_to_gcj02(lat, lng):
    return _invert(gcj02_to_bd09, lat, lng)


def bd09_to_wgs84(lat, lng):
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


_TO_WGS84 = {
    CoordSystem.WGS84: lambda lat, lng: (lat, lng),
    CoordSystem.GCJ02: gcj02_to_wgs84,
    CoordSystem.BD09: bd09_to_wgs84,
}
_FROM_WGS84 = {
    CoordSystem.WGS84: lambda lat, lng: (lat, lng),
    CoordSystem.GCJ02: wgs84_to_gcj02,
    CoordSystem.BD09: wgs84_to_bd09,
}


def to_wgs84(lat, lng, system):
    """(lat, lng) given in `system` (a CoordSystem value) as WGS-84. ValueError for an unknown system."""
    try:
        convert = _TO_WGS84[CoordSystem(system)]
    except ValueError:
        raise ValueError(f"unknown coordinate system {system!r}") from None
    return convert(float(lat), float(lng))


def from_wgs84(lat, lng, system):
    """A WGS-84 (lat, lng) in `system`, for drawing on a map that uses it."""
    try:
        convert = _FROM_WGS84[CoordSystem(system)]
    except ValueError:
        raise ValueError(f"unknown coordinate system {system!r}") from None
    return convert(float(lat), float(lng))


class PointError(ValueError):
    """A point refused: a Chinese message and the field (form field or parameter) it names. Each
    domain turns it into its own error (ConcernError, OrgError, a JSON 400)."""

    def __init__(self, message, field):
        super().__init__(message, field)
        self.message, self.field = message, field


_MICRODEGREE = Decimal("0.000001")  # about 0.1 m: what a phone's fix is worth, and what is stored


def degrees(value, *, field, label, limit):
    """One degree value as stored (a Decimal of 6 places) or None when blank; PointError when it is
    not a finite number within ±`limit`."""
    if value is None or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).strip()).quantize(_MICRODEGREE)
    except (InvalidOperation, ValueError):
        raise PointError(f"{label}格式不正确", field) from None
    if not number.is_finite() or not -limit <= number <= limit:
        raise PointError(f"{label}超出范围", field)
    return number


def parse_point(latitude, longitude, coord_system=None, *, required=False,
                lat_field="latitude", lng_field="longitude"):
    """The one reading of a point typed, pinned or located in `coord_system` (a CoordSystem value;
    blank is WGS-84): the WGS-84 (latitude, longitude) stored, as Decimals of 6 places, converted
    here once from GCJ-02 (WeChat, Gaode, Tencent) or BD-09 (Baidu). Both degrees or neither:
    neither gives (None, None) unless `required`. Bounds are checked on the numbers as given and
    again after conversion. Raises PointError naming the field."""
    system = coord_system or CoordSystem.WGS84
    if system not in CoordSystem.values:
        raise PointError("坐标系不正确，应为 wgs84、gcj02 或 bd09", "coord_system")
    lat = degrees(latitude, field=lat_field, label="纬度", limit=90)
    lng = degrees(longitude, field=lng_field, label="经度", limit=180)
    if lat is None and lng is None:
        if required:
            raise PointError("请提供纬度和经度", lat_field)
        return None, None
    if lat is None or lng is None:
        raise PointError("纬度和经度须同时填写", lat_field if lat is None else lng_field)
    if system != CoordSystem.WGS84:
        lat, lng = to_wgs84(lat, lng, system)
        lat = degrees(lat, field=lat_field, label="纬度", limit=90)
        lng = degrees(lng, field=lng_field, label="经度", limit=180)
    return lat, lng


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (haversine on a sphere of the WGS-84 equatorial radius)."""
    radius = 6378137.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(h))
