"""边界导入 through the pages and the background job: GeoJSON and zipped Shapefiles (made here with
pyshp), an error per bad feature with its number, all or nothing, and files bounded before parsing."""

import io
import json
import zipfile

import pytest
import shapefile
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhenwu.audit.models import AuditEntry
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.org import geo
from zhenwu.org.boundaries import BoundaryFileError, check_size
from zhenwu.org.models import AreaBoundary

WGS84_PRJ = ('GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],'
             'PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]')
# CGCS2000 / 3-degree Gauss-Kruger CM 114E: metres, as many county surveys deliver them.
GAUSS_PRJ = ('PROJCS["CGCS2000_3_Degree_GK_CM_114E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
             'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
             'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],UNIT["Meter",1.0]]')


def square(west, south, east, north):
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def feature(properties, ring):
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def geojson(*features, **extra):
    return json.dumps({"type": "FeatureCollection", "features": list(features), **extra}, ensure_ascii=False).encode()


JIULONG = feature({"name": "九龙村"}, square(113.40, 28.00, 113.44, 28.04))
JIULONG_GRID = feature({"name": "九龙村第一网格"}, square(113.40, 28.00, 113.42, 28.04))
JIZHEN_BY_CODE = feature({"code": "430181110202", "名称": "集镇"}, square(113.44, 28.00, 113.48, 28.04))


def shapefile_zip(records, *, prj=WGS84_PRJ, encoding="utf-8", cpg=True):
    """A zipped Shapefile of polygons: `records` are (name, ring) pairs."""
    shp, shx, dbf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    writer = shapefile.Writer(shp=shp, shx=shx, dbf=dbf, shapeType=shapefile.POLYGON, encoding=encoding)
    writer.field("NAME", "C", size=50)
    for name, ring in records:
        writer.poly([ring])
        writer.record(name)
    writer.close()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for ext, stream in (("shp", shp), ("shx", shx), ("dbf", dbf)):
            archive.writestr(f"边界/villages.{ext}", stream.getvalue())
        if prj is not None:
            archive.writestr("边界/villages.prj", prj)
        if cpg:
            archive.writestr("边界/villages.cpg", encoding.upper())
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def admin(client, cast, login):
    login(cast.users.town_admin)
    return client


def import_file(client, data, name="边界.geojson"):
    """Upload through the page, run the worker, and return the job and its page."""
    response = client.post(reverse("org:boundary_import"), {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content.decode()[:2000]
    job = Job.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    run_pending_jobs()
    job.refresh_from_db()
    return job, client.get(response["Location"]).content.decode()


def test_a_valid_geojson_is_imported_and_the_map_and_look_ups_use_it(admin, cast):
    job, page = import_file(admin, geojson(JIULONG, JIULONG_GRID, JIZHEN_BY_CODE))
    assert job.status == JobStatus.DONE and job.result["imported"] == 3 and job.result["error_count"] == 0
    assert "导入完成：3个区域的边界已更新" in page
    stored = AreaBoundary.objects.get(area=cast.jizhen)  # matched by its code, not its short name
    assert stored.source == "导入：边界.geojson" and not stored.illustrative
    assert (stored.min_lng, stored.min_lat, stored.max_lng, stored.max_lat) == (113.44, 28.00, 113.48, 28.04)
    assert geo.locate(28.02, 113.41, cast.town).as_json()["grid"] == {"id": cast.jiulong_grid.pk, "name": "九龙村第一网格"}
    notes = set(AuditEntry.objects.filter(object_type="org.AreaBoundary").values_list("note", flat=True))
    assert "导入边界文件“边界.geojson”：3个区域" in notes and "导入边界（边界.geojson）：九龙村" in notes


def test_a_zipped_shapefile_made_with_pyshp_is_imported(admin, cast):
    data = shapefile_zip([("九龙村", square(113.40, 28.00, 113.44, 28.04)),
                          ("九龙村第二网格", square(113.42, 28.00, 113.44, 28.04))], encoding="gbk")
    job, page = import_file(admin, data, name="官桥镇边界.zip")
    assert job.status == JobStatus.DONE and job.result["imported"] == 2, job.result
    assert geo.locate(28.02, 113.43, cast.town).as_json() == {
        "area": {"id": cast.jiulong.pk, "name": "九龙村", "kind": "village"},
        "grid": {"id": cast.jiulong_grid2.pk, "name": "九龙村第二网格"},
    }


def test_a_self_intersecting_polygon_is_refused_by_number_and_nothing_is_imported(admin, cast):
    bowtie = [[113.40, 28.00], [113.44, 28.04], [113.44, 28.00], [113.40, 28.04], [113.40, 28.00]]
    job, page = import_file(admin, geojson(JIULONG, feature({"name": "集镇村"}, bowtie)))
    assert job.status == JobStatus.DONE and job.result["imported"] == 0
    assert job.result["errors"] == [{
        "number": 2, "name": "集镇村",
        "reason": "边界线自相交，位置约在（113.420000, 28.020000）附近；请在 GIS 软件中修正后重新导出",
    }]
    assert "有错误，未导入任何边界" in page and "第2个" in page and "边界线自相交" in page
    assert not AreaBoundary.objects.exists()  # 九龙村, valid, waits for the whole file


def test_projected_coordinates_are_refused_as_a_wrong_coordinate_system(admin, cast):
    # Web Mercator metres of the same square: numbers no longitude/latitude can be.
    metres = feature({"name": "九龙村"}, square(12623000, 3252000, 12627000, 3256000))
    job, page = import_file(admin, geojson(metres))
    assert job.result["errors"][0]["number"] == 1
    assert job.result["errors"][0]["reason"].startswith("坐标（1.2623e+07, 3.252e+06）不是中国境内的经纬度度数")
    assert "投影坐标" in page and not AreaBoundary.objects.exists()


def test_a_shapefile_whose_prj_is_projected_is_refused_before_its_features_are_read(admin, cast):
    data = shapefile_zip([("九龙村", square(12623000, 3252000, 12627000, 3256000))], prj=GAUSS_PRJ)
    job, page = import_file(admin, data, name="投影.zip")
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("villages.prj 表明坐标系为投影坐标")
    assert "EPSG:4326" in page and not AreaBoundary.objects.exists()


def test_a_shapefile_without_its_prj_is_refused(admin, cast):
    job, _ = import_file(admin, shapefile_zip([("九龙村", square(113.40, 28.00, 113.44, 28.04))], prj=None),
                         name="无prj.zip")
    assert job.status == JobStatus.FAILED and "缺少 villages.prj" in job.message


def test_a_geojson_declaring_a_projected_crs_is_refused(admin, cast):
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    job, _ = import_file(admin, geojson(JIULONG, crs=crs))
    assert job.status == JobStatus.FAILED and "不是经纬度坐标" in job.message


def test_every_bad_feature_is_listed_with_its_number_and_reason(admin, cast):
    job, page = import_file(admin, geojson(
        JIULONG,
        feature({"备注": "无名"}, square(113.40, 28.00, 113.41, 28.01)),
        feature({"name": "不存在村"}, square(113.40, 28.00, 113.41, 28.01)),
        feature({"name": "九龙村"}, square(113.40, 28.00, 113.41, 28.01)),
        {"type": "Feature", "properties": {"name": "集镇村"}, "geometry": {"type": "Point", "coordinates": [113.4, 28]}},
    ))
    assert [(e["number"], e["reason"]) for e in job.result["errors"]] == [
        (2, "缺少名称：要素须有 name（名称）或 code（区划代码）属性"),
        (3, "本镇没有名为“不存在村”的村（社区）或网格"),
        (4, "与第1个要素是同一区域（九龙村）"),
        (5, "边界须是面（Polygon 或 MultiPolygon），此要素的几何类型为“Point”"),
    ]
    assert "检查发现4处错误，未导入任何边界" in page and not AreaBoundary.objects.exists()


def test_a_50_mb_file_is_refused_before_it_is_parsed_or_stored(admin, cast):
    big = b'{"type": "FeatureCollection", "features": [' + b" " * (50 * 1024 * 1024) + b"]}"
    response = admin.post(reverse("org:boundary_import"), {"file": SimpleUploadedFile("很大.geojson", big)})
    assert response.status_code == 413
    page = response.content.decode()
    assert "文件过大（约50.0 MB），最大允许20 MB" in page
    assert not Job.objects.exists()
    with pytest.raises(BoundaryFileError, match="文件过大"):
        check_size(io.BytesIO(big))


def test_a_file_just_over_a_lowered_limit_is_refused_by_the_form(admin, settings):
    settings.ZHENWU_MAX_UPLOAD_BYTES = 100 * 1024
    response = admin.post(reverse("org:boundary_import"),
                          {"file": SimpleUploadedFile("b.geojson", geojson(JIULONG) + b" " * (110 * 1024))})
    assert response.status_code == 413 and "文件过大" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize("who", ["secretary", "leader", "grid_worker", "dispatcher"])
def test_only_town_admins_import_boundaries(client, cast, login, who):
    login(getattr(cast.users, who))
    assert client.get(reverse("org:boundary_import")).status_code == 403
    assert client.get(reverse("org:boundary_job", args=[1])).status_code == 403


def test_the_import_page_lists_what_the_town_has(admin, cast):
    page = admin.get(reverse("org:boundary_import")).content.decode()
    assert "官桥镇已有 0 个村（社区）、网格的边界" in page and 'accept=".geojson,.json,.zip' in page
