"""The deployment's tile layer (zhenwu.lib.maps): none unless configured, and only then an origin in
the Content-Security-Policy's img-src."""

import json
import os
import subprocess
import sys

import pytest
from django.template import Context, Template

from zhenwu.lib.maps import GCJ02, WGS84, MapConfigError, csp_origins, tile_layer_from_env


def test_nothing_configured_means_no_tile_layer_and_no_origin():
    assert tile_layer_from_env({}) is None
    assert tile_layer_from_env({"ZHENWU_MAP_TILE_URL": "  ", "ZHENWU_TIANDITU_KEY": ""}) is None
    assert csp_origins(None) == []


def test_a_tianditu_key_builds_its_vector_and_label_layers_on_its_eight_hosts():
    layer = tile_layer_from_env({"ZHENWU_TIANDITU_KEY": "abc123def"})
    assert layer.crs == WGS84 and layer.provider == "tianditu"
    assert len(layer.urls) == 2
    assert "vec_w/wmts" in layer.urls[0] and "cva_w/wmts" in layer.urls[1]
    assert all("tk=abc123def" in url and "{x}" in url for url in layer.urls)
    assert csp_origins(layer) == [f"https://t{i}.tianditu.gov.cn" for i in range(8)]


def test_an_intranet_server_with_subdomains_and_gcj02_tiles():
    layer = tile_layer_from_env({
        "ZHENWU_MAP_TILE_URL": "https://map{s}.zw.gov.cn:8443/tiles/{z}/{x}/{y}.png",
        "ZHENWU_MAP_TILE_SUBDOMAINS": "1,2",
        "ZHENWU_MAP_TILE_CRS": "GCJ-02",
        "ZHENWU_MAP_ATTRIBUTION": "© 某市测绘院 审图号XX",
    })
    assert layer.crs == GCJ02
    assert layer.client_config() == {
        "urls": ["https://map{s}.zw.gov.cn:8443/tiles/{z}/{x}/{y}.png"],
        "subdomains": ["1", "2"],
        "crs": "gcj02",
        "attribution": "© 某市测绘院 审图号XX",
        "maxZoom": 18,
    }
    assert csp_origins(layer) == ["https://map1.zw.gov.cn:8443", "https://map2.zw.gov.cn:8443"]


def test_tiles_served_by_this_server_add_no_origin():
    layer = tile_layer_from_env({"ZHENWU_MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"})
    assert layer.urls == ("/tiles/{z}/{x}/{y}.png",)
    assert csp_origins(layer) == []


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"ZHENWU_MAP_TILE_URL": "https://t/{z}/{x}/{y}", "ZHENWU_TIANDITU_KEY": "k1"}, "not both"),
        ({"ZHENWU_MAP_TILE_URL": "https://t/{z}/{x}.png"}, "{y}"),
        ({"ZHENWU_MAP_TILE_URL": "ftp://t/{z}/{x}/{y}"}, "ZHENWU_MAP_TILE_URL"),
        ({"ZHENWU_MAP_TILE_URL": "https://t{s}/{z}/{x}/{y}"}, "ZHENWU_MAP_TILE_SUBDOMAINS"),
        ({"ZHENWU_MAP_TILE_URL": "https://t/{z}/{x}/{y}", "ZHENWU_MAP_TILE_CRS": "bd09"}, "BD-09"),
        ({"ZHENWU_MAP_TILE_URL": "https://t/{z}/{x}/{y}", "ZHENWU_MAP_TILE_CRS": "utm"}, "ZHENWU_MAP_TILE_CRS"),
        ({"ZHENWU_MAP_TILE_URL": "https://t/{z}/{x}/{y}", "ZHENWU_MAP_TILE_MAX_ZOOM": "x"}, "MAX_ZOOM"),
        ({"ZHENWU_TIANDITU_KEY": "k'; alert(1)"}, "ZHENWU_TIANDITU_KEY"),
    ],
)
def test_a_configuration_that_cannot_work_is_refused_naming_the_variable(environ, names):
    with pytest.raises(MapConfigError, match=names.replace("{", r"\{").replace("}", r"\}")):
        tile_layer_from_env(environ)


@pytest.mark.django_db
def test_responses_allow_images_from_no_other_server_without_tiles(client, settings):
    assert getattr(settings, "ZHENWU_MAP_TILES", None) is None
    policy = client.get("/concerns/report/")["Content-Security-Policy"]
    img_src = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
    assert "http" not in img_src and "tianditu" not in policy


def test_the_tags_load_vendored_files_and_say_no_tile_layer(settings):
    html = Template("{% load maps %}{% map_assets %}{% map_tiles %}").render(Context({}))
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in html and "/static/js/map.js" in html
    assert "http" not in html
    assert '<script id="map-tiles" type="application/json">null</script>' in html
    settings.ZHENWU_MAP_TILES = tile_layer_from_env({"ZHENWU_MAP_TILE_URL": "/tiles/{z}/{x}/{y}.png"})
    html = Template("{% load maps %}{% map_tiles %}").render(Context({}))
    assert '"urls": ["/tiles/{z}/{x}/{y}.png"]' in html


def test_the_brief_names_of_the_coordinate_system_and_attribution_are_read():
    layer = tile_layer_from_env({
        "ZHENWU_MAP_TILE_URL": "https://tiles.zw.gov.cn/{z}/{x}/{y}.png",
        "ZHENWU_MAP_TILE_COORDS": "gcj02",
        "ZHENWU_MAP_TILE_ATTRIBUTION": "© 县自然资源局",
    })
    assert (layer.crs, layer.attribution) == (GCJ02, "© 县自然资源局")
    with pytest.raises(MapConfigError, match="ZHENWU_MAP_TILE_COORDS"):
        tile_layer_from_env({"ZHENWU_MAP_TILE_URL": "https://t/{z}/{x}/{y}", "ZHENWU_MAP_TILE_COORDS": "bd09"})


_CSP_OF_A_RESPONSE = """
import django, json
django.setup()
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory
from csp.middleware import CSPMiddleware
response = CSPMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
print(json.dumps({"csp": response["Content-Security-Policy"],
                  "tiles": settings.ZHENWU_MAP_TILES and settings.ZHENWU_MAP_TILES.client_config()}))
"""


def _policy_started_with(extra_env):
    """The CSP header of a response from a fresh process started with these variables (settings
    are read once, at start)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENWU_MAP_", "ZHENWU_TIANDITU"))}
    env.update(extra_env, DJANGO_SETTINGS_MODULE="zhenwu.settings")
    out = subprocess.run([sys.executable, "-c", _CSP_OF_A_RESPONSE], env=env, capture_output=True, text=True,
                         check=True, timeout=60)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    img_src = next(part for part in result["csp"].split(";") if part.strip().startswith("img-src"))
    return img_src, result["tiles"]


def test_the_csp_allows_the_tile_server_origin_only_when_one_is_configured():
    img_src, tiles = _policy_started_with({})
    assert tiles is None and "http" not in img_src
    img_src, tiles = _policy_started_with({
        "ZHENWU_MAP_TILE_URL": "https://gis.zw.gov.cn:8443/tiles/{z}/{x}/{y}.png", "ZHENWU_MAP_TILE_COORDS": "gcj02"})
    assert tiles["crs"] == GCJ02
    assert img_src.split()[1:] == ["'self'", "data:", "blob:", "https://gis.zw.gov.cn:8443"]
    img_src, tiles = _policy_started_with({"ZHENWU_TIANDITU_KEY": "abc123"})
    assert "https://t0.tianditu.gov.cn" in img_src and "https://t7.tianditu.gov.cn" in img_src
    assert "gis.zw.gov.cn" not in img_src


@pytest.mark.django_db
def test_a_map_page_carries_the_tile_layer_only_when_configured(client, settings):
    html = client.get("/concerns/board/?view=map").content.decode()
    assert '<script id="map-tiles" type="application/json">null</script>' in html
    settings.ZHENWU_MAP_TILES = tile_layer_from_env({
        "ZHENWU_MAP_TILE_URL": "https://gis.zw.gov.cn/tiles/{z}/{x}/{y}.png", "ZHENWU_MAP_TILE_COORDS": "gcj02",
        "ZHENWU_MAP_TILE_ATTRIBUTION": "© 县自然资源局"})
    html = client.get("/concerns/board/?view=map").content.decode()
    block = html.split('<script id="map-tiles" type="application/json">')[1].split("</script>")[0]
    config = json.loads(block)
    assert config["urls"] == ["https://gis.zw.gov.cn/tiles/{z}/{x}/{y}.png"]
    assert (config["crs"], config["attribution"]) == ("gcj02", "© 县自然资源局")
