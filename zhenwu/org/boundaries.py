"""Area outlines (边界): storing them, and importing them from GeoJSON or a zipped Shapefile.

`save_boundaries` is the one write: all the outlines of one import (or of the demo) in one
transaction, each audited. The importer checks a file completely before it writes anything.

shapely and pyshp are imported inside the functions that use them: this module is loaded with the
web application (the job handler registers at start-up), and shapely brings numpy.
"""

import hashlib
import io
import json
import struct
import uuid
import zipfile
from dataclasses import dataclass

from django.core.files import File
from django.db import transaction

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.core.roles import Role
from zhenwu.jobs.models import Job
from zhenwu.jobs.services import JobError, enqueue_job, job_handler, open_job_input
from zhenwu.lib import uploads
from zhenwu.lib.request_context import Actor, acting_as, current_actor

from .geo import bbox_of, geometry_polygons
from .models import Area, AreaBoundary, AreaLevel, town_of


def _digest(text):
    return hashlib.sha256(text.encode()).hexdigest()[:16] if text else ""


@transaction.atomic
def save_boundaries(items, *, source, illustrative=False, note="导入边界"):
    """Store outlines: `items` are (area, geometry) pairs, the geometry a GeoJSON Polygon or
    MultiPolygon dict in WGS-84 lon/lat, already checked. An area's earlier outline is replaced.
    Each change is audited with the geometry's digest (not the geometry). Returns the rows."""
    existing = {b.area_id: b for b in AreaBoundary.objects.filter(area__in=[area for area, _ in items])}
    saved = []
    for area, geometry in items:
        text = json.dumps(geometry, separators=(",", ":"))
        min_lng, min_lat, max_lng, max_lat = bbox_of(geometry_polygons(geometry))
        row = existing.get(area.pk)
        before = (_digest(row.geometry), row.source, row.illustrative) if row else ("", "", None)
        if row is None:
            row = AreaBoundary(area=area)
        row.geometry, row.source, row.illustrative = text, source[:120], illustrative
        row.min_lng, row.min_lat, row.max_lng, row.max_lat = min_lng, min_lat, max_lng, max_lat
        row.save()
        after = (_digest(text), row.source, illustrative)
        record_event(
            action=AuditAction.IMPORT if before[0] else AuditAction.CREATE,
            obj=row,
            object_repr=f"{area.name} 边界",
            changes={
                name: [old, new]
                for name, old, new in zip(("geometry_sha256", "source", "illustrative"), before, after, strict=True)
                if old != new
            },
            note=f"{note}：{area.name}",
        )
        saved.append(row)
    return saved


# --- reading a file ------------------------------------------------------------------------------

# The properties that name a feature's area, tried in this order (codes first: names repeat).
CODE_KEYS = ("code", "区划代码", "CODE", "Code", "adcode", "ADCODE")
NAME_KEYS = ("name", "名称", "NAME", "Name", "村名", "网格名称")
# Where longitude/latitude in degrees may lie for an area in China (with a margin): numbers
# outside are metres of a projection (Gauss-Krüger, Web Mercator) or another system entirely.
CHINA_LNG = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)
# Named coordinate reference systems that are longitude/latitude in degrees on WGS-84 or
# CGCS2000 (the same to within centimetres).
GEOGRAPHIC_CRS = ("CRS84", "EPSG::4326", "EPSG:4326", "EPSG::4490", "EPSG:4490")
GEOGRAPHIC_DATUMS = ("WGS_1984", "WGS84", "WGS 84", "CGCS2000", "CGCS_2000", "China_2000", "China Geodetic Coordinate System 2000")
ZIP_MAX_MEMBERS = 50
MAX_ERRORS = 200  # listed in the job's result; the count says how many there were


class BoundaryFileError(ValueError):
    """The file cannot be used at all (its message is for the user, in Chinese)."""


@dataclass
class Feature:
    number: int  # 1-based, in file order
    properties: dict
    geometry: object  # a GeoJSON geometry dict, or None


def _limit_bytes():
    return uploads.max_upload_bytes()


def _size(fileobj):
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(0)
    return size


def check_size(fileobj):
    """Refuse a file past the upload limit before anything parses it."""
    size = _size(fileobj)
    limit = _limit_bytes()
    if size > limit:
        raise BoundaryFileError(
            f"文件过大（约{size / uploads.MB:.1f} MB），最大允许{limit / uploads.MB:.0f} MB；可按村分成几个文件导入")
    if size == 0:
        raise BoundaryFileError("文件是空的")
    return size


def read_features(fileobj):
    """The features of a GeoJSON FeatureCollection or of a zipped Shapefile (told apart by their
    first bytes). Raises BoundaryFileError for a file that is not one of them, is too large, or is
    not in longitude/latitude degrees."""
    check_size(fileobj)
    head = fileobj.read(4)
    fileobj.seek(0)
    if head.startswith(b"PK"):
        return _read_shapefile_zip(fileobj)
    return _read_geojson(fileobj)


def _read_geojson(fileobj):
    raw = fileobj.read()
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BoundaryFileError("无法读取文件：GeoJSON 须为 UTF-8 编码；Shapefile 请打包成 .zip 上传") from None
    except ValueError:
        raise BoundaryFileError("无法读取文件：不是有效的 GeoJSON（JSON 格式有误）；Shapefile 请打包成 .zip 上传") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise BoundaryFileError("GeoJSON 须是一个 FeatureCollection（要素集合），每个要素是一个村（社区）或网格的边界")
    crs = data.get("crs")
    if crs is not None:
        name = str((crs.get("properties") or {}).get("name", "")) if isinstance(crs, dict) else ""
        if not any(name.upper().endswith(c.upper()) for c in GEOGRAPHIC_CRS):
            raise BoundaryFileError(
                f"坐标系为“{name or crs}”，不是经纬度坐标（WGS-84 或 CGCS2000）；请在 GIS 软件中转换为 EPSG:4326 或 EPSG:4490 后导出")
    features = []
    for number, feature in enumerate(data["features"], start=1):
        if not isinstance(feature, dict):
            feature = {}
        properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
        features.append(Feature(number=number, properties=properties, geometry=feature.get("geometry")))
    if not features:
        raise BoundaryFileError("文件中没有任何要素")
    return features


def _prj_is_geographic(text):
    text = text.strip()
    upper = text.upper()
    if upper.startswith(("PROJCS", "PROJCRS", "PROJECTEDCRS")) or "PROJECTION[" in upper:
        return False
    if not upper.startswith(("GEOGCS", "GEOGCRS", "GEODCRS")):
        return False
    return any(datum.upper() in upper for datum in GEOGRAPHIC_DATUMS)


def _read_shapefile_zip(fileobj):
    import shapefile  # pyshp

    try:
        archive = zipfile.ZipFile(fileobj)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except zipfile.BadZipFile:
        raise BoundaryFileError("压缩包已损坏，无法打开") from None
    if len(members) > ZIP_MAX_MEMBERS:
        raise BoundaryFileError(f"压缩包中文件太多（{len(members)}个）；请只打包一个 Shapefile（.shp .shx .dbf .prj）")
    total = sum(m.file_size for m in members)
    if total > 4 * _limit_bytes():
        raise BoundaryFileError(f"压缩包解压后过大（约{total / uploads.MB:.0f} MB）；请按村分成几个文件导入")
    by_ext = {}
    for member in members:
        base = member.filename.rsplit("/", 1)[-1]
        if base.startswith((".", "__MACOSX")) or "__MACOSX" in member.filename:
            continue
        stem, _, ext = base.rpartition(".")
        by_ext.setdefault(ext.lower(), []).append((stem, member))
    shps = by_ext.get("shp", [])
    if len(shps) != 1:
        raise BoundaryFileError("压缩包中须有且只有一个 .shp 文件（以及同名的 .shx、.dbf、.prj）" if shps else
                                "压缩包中没有 .shp 文件；请把 Shapefile 的 .shp、.shx、.dbf、.prj 一起打包成 .zip")
    stem = shps[0][0]

    def part(ext, *, required=True):
        found = [m for s, m in by_ext.get(ext, []) if s == stem]
        if not found:
            if required:
                raise BoundaryFileError(f"压缩包中缺少 {stem}.{ext}；Shapefile 须有 .shp、.shx、.dbf 和 .prj 四个文件")
            return None
        return io.BytesIO(_read_member(archive, found[0]))

    prj = part("prj")
    prj_text = prj.read().decode("utf-8", "replace")
    if not _prj_is_geographic(prj_text):
        kind = "投影坐标" if "PROJCS" in prj_text.upper() else "未知坐标系"
        raise BoundaryFileError(
            f"{stem}.prj 表明坐标系为{kind}（{prj_text.strip()[:60]}…），不是经纬度（WGS-84 或 CGCS2000）；"
            "请在 GIS 软件中转换为 EPSG:4326 或 EPSG:4490 后导出")
    shp, shx, dbf = part("shp"), part("shx"), part("dbf")
    cpg = part("cpg", required=False)
    encodings = [cpg.read().decode("ascii", "replace").strip() or "utf-8"] if cpg else ["utf-8", "gbk"]
    for encoding in encodings:
        try:
            for stream in (shp, shx, dbf):
                stream.seek(0)
            reader = shapefile.Reader(shp=shp, shx=shx, dbf=dbf, encoding=encoding)
            return [
                Feature(number=number, properties=dict(record.as_dict()),
                        geometry=shape.__geo_interface__ if shape.shapeType != shapefile.NULL else None)
                for number, (shape, record) in enumerate(zip(reader.shapes(), reader.records(), strict=True), start=1)
            ]
        except UnicodeDecodeError:
            continue
        except (shapefile.ShapefileException, ValueError, LookupError, struct.error) as exc:
            raise BoundaryFileError(f"无法读取 Shapefile：{exc}") from None
    raise BoundaryFileError("无法识别 .dbf 的文字编码；请附上 .cpg 文件（内容如 UTF-8 或 GBK）")


def _read_member(archive, member):
    """A member's bytes, stopping at its declared size (a member that inflates beyond it fails)."""
    with archive.open(member) as stream:
        data = stream.read(member.file_size + 1)
    if len(data) > member.file_size:
        raise BoundaryFileError("压缩包内容与其目录不符，无法读取")
    return data


# --- checking the features -------------------------------------------------------------------------


@dataclass
class Problem:
    number: int
    name: str
    reason: str

    def as_dict(self):
        return {"number": self.number, "name": self.name, "reason": self.reason}


def _first(properties, keys):
    for key in keys:
        value = properties.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _positions(geometry):
    for polygon in geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]:
        for ring in polygon:
            yield from ring


def _coordinate_problem(geometry):
    for position in _positions(geometry):
        try:
            lng, lat = float(position[0]), float(position[1])
        except (TypeError, ValueError, IndexError):
            return "坐标格式有误"
        if not (CHINA_LNG[0] <= lng <= CHINA_LNG[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]):
            return (f"坐标（{lng:g}, {lat:g}）不是中国境内的经纬度度数：文件可能是投影坐标（单位为米）或其他坐标系，"
                    "请转换为 WGS-84/CGCS2000 经纬度后导入")
    return None


VALIDITY_REASONS = {
    "Self-intersection": "边界线自相交",
    "Ring Self-intersection": "边界环自相交",
    "Too few points": "顶点太少",
    "Interior is disconnected": "内部被分割成几块",
    "Hole lies outside shell": "内环（挖空部分）在外环之外",
    "Nested holes": "内环相互嵌套",
    "Nested shells": "多个面相互嵌套",
    "Duplicate Rings": "有重复的环",
    "Invalid Coordinate": "坐标无效",
    "Ring is not closed": "环没有闭合（首尾顶点不同）",
}


def _validity_problem(geometry):
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    try:
        shaped = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        return f"边界格式有误：{exc}"
    if shaped.is_empty:
        return "边界是空的"
    if shaped.is_valid:
        return None
    explained = explain_validity(shaped)
    kind, _, where = explained.partition("[")
    reason = VALIDITY_REASONS.get(kind.strip(), f"边界无效（{kind.strip()}）")
    if where:
        x, _, y = where.rstrip("]").partition(" ")
        return f"{reason}，位置约在（{float(x):.6f}, {float(y):.6f}）附近；请在 GIS 软件中修正后重新导出"
    return f"{reason}；请在 GIS 软件中修正后重新导出"


def _areas_of(town):
    """The areas a file may name in `town`: by code, and by name (a name may repeat)."""
    areas = list(Area.objects.filter(path__startswith=town.path).exclude(level=AreaLevel.COUNTY))
    by_code = {a.code: a for a in areas if a.code}
    by_name = {}
    for area in areas:
        by_name.setdefault(area.name, []).append(area)
    return by_code, by_name


def check_features(features, *, town, progress=None):
    """Match each feature to an area of `town` and check its outline. Returns (items, problems):
    the (area, geometry) pairs to store, and every feature that cannot be stored with its
    number and reason. Nothing is written."""
    by_code, by_name = _areas_of(town)
    items, problems, seen = [], [], {}
    total = len(features)
    for feature in features:
        if progress is not None and feature.number % 50 == 0:
            progress(feature.number, total, f"正在检查第{feature.number}个要素（共{total}个）")
        code, name = _first(feature.properties, CODE_KEYS), _first(feature.properties, NAME_KEYS)
        label = name or code

        def refuse(reason, label=label, feature=feature):
            problems.append(Problem(feature.number, label, reason))

        if not code and not name:
            refuse("缺少名称：要素须有 name（名称）或 code（区划代码）属性")
            continue
        area = by_code.get(code) if code else None
        if area is None and name:
            matches = by_name.get(name, [])
            if len(matches) > 1:
                refuse(f"名称“{name}”对应本镇多个区域，请在文件中加上区划代码（code）")
                continue
            area = matches[0] if matches else None
        if area is None:
            refuse(f"本镇没有名为“{name}”的村（社区）或网格" if name else f"本镇没有区划代码为 {code} 的区域")
            continue
        if area.pk in seen:
            refuse(f"与第{seen[area.pk]}个要素是同一区域（{area.name}）")
            continue
        seen[area.pk] = feature.number
        geometry = feature.geometry
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon") or not isinstance(
                geometry.get("coordinates"), list):
            kind = geometry.get("type") if isinstance(geometry, dict) else "无"
            refuse(f"边界须是面（Polygon 或 MultiPolygon），此要素的几何类型为“{kind}”")
            continue
        reason = _coordinate_problem(geometry) or _validity_problem(geometry)
        if reason:
            refuse(reason)
            continue
        items.append((area, _plain(geometry)))
    return items, problems


def _plain(geometry):
    """The geometry as plain lists of floats (pyshp gives tuples), holes and all."""
    def lists(value):
        if isinstance(value, (list, tuple)):
            return [lists(v) for v in value]
        return float(value)

    return {"type": geometry["type"], "coordinates": lists(geometry["coordinates"])}


# --- the background job --------------------------------------------------------------------------

IMPORT_JOB = "boundary_import"


def can_import_boundaries(user):
    return getattr(user, "role", None) == Role.TOWN_ADMIN and town_of(user) is not None


def start_boundary_import(*, upload, by):
    """Queue the import of an uploaded GeoJSON or zipped Shapefile; returns the job. Raises
    BoundaryFileError for a file refused before any parsing (too large, empty)."""
    if not can_import_boundaries(by):
        raise BoundaryFileError("只有镇管理员可以导入边界")
    check_size(upload)
    actor = current_actor()
    name = str(getattr(upload, "name", "") or "边界文件")[-120:]
    payload = {"filename": name, "size": _size(upload), "ip": actor.ip if actor else "",
               "request_id": actor.request_id if actor else ""}
    return enqueue_job(kind=IMPORT_JOB, created_by=by, payload=payload,
                       input_file=File(upload, name=f"boundaries-{uuid.uuid4().hex}"))


@job_handler(IMPORT_JOB)
def run_boundary_import(job, report):
    """Read, check every feature, then store all outlines in one transaction, or none."""
    user = job.created_by
    if user is None or not user.is_active or not can_import_boundaries(user):
        raise JobError("发起导入的账号已不存在、已停用或不再是镇管理员")
    town = town_of(user)
    report(0, 0, "正在读取文件")
    try:
        with open_job_input(job) as fileobj:
            features = read_features(fileobj)
    except BoundaryFileError as exc:
        raise JobError(str(exc)) from None
    report(0, len(features), f"正在检查{len(features)}个要素")
    items, problems = check_features(features, town=town, progress=report)
    result = {"features": len(features), "error_count": len(problems),
              "errors": [p.as_dict() for p in problems[:MAX_ERRORS]], "imported": 0}
    if problems:
        result["message"] = f"检查发现{len(problems)}处错误，未导入任何边界；请修改文件后重新上传"
        return result
    filename = job.payload.get("filename", "")
    actor = Actor(user_id=user.pk, label=user.get_username(), ip=job.payload.get("ip", ""),
                  request_id=job.payload.get("request_id", ""))
    with acting_as(actor), transaction.atomic():
        save_boundaries(items, source=f"导入：{filename}"[:120], note=f"导入边界（{filename}）")
        record_event(action=AuditAction.IMPORT, object_type="org.AreaBoundary", object_repr=filename[:100],
                     note=f"导入边界文件“{filename}”：{len(items)}个区域")
    report(len(features), len(features))
    result.update(imported=len(items), areas=[area.name for area, _ in items][:MAX_ERRORS],
                  message=f"导入完成：{len(items)}个区域的边界已更新")
    return result


def boundary_jobs_for(user, *, limit=10):
    return Job.objects.filter(created_by=user, kind=IMPORT_JOB).order_by("-id")[:limit]


def boundary_job_for(user, pk):
    """A boundary import job the user may look at (its creator, or a town admin), or None."""
    job = Job.objects.filter(pk=pk, kind=IMPORT_JOB).select_related("created_by").first()
    if job is not None and (job.created_by_id == user.pk or user.role == Role.TOWN_ADMIN):
        return job
    return None
