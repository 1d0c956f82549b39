"""The map's tile layer, configured per deployment from the environment (read once by settings).

Maps work with no tile layer at all: they draw the town's boundaries, labelled, on a plain
background, so a closed intranet has a map on day one and the browser asks no other server for
anything. A tile layer is loaded only when one is configured:

- ``ZHENWU_TIANDITU_KEY``: 天地图 (its vector map and its Chinese labels, Web Mercator, CGCS2000,
  which is WGS-84 to within centimetres);
- or ``ZHENWU_MAP_TILE_URL``: any XYZ tile server, e.g. an intranet's
  ``https://tiles.example.gov.cn/{z}/{x}/{y}.png``, with ``ZHENWU_MAP_TILE_SUBDOMAINS`` for
  ``{s}`` (``abc`` or ``0,1,2``), ``ZHENWU_MAP_LABEL_URL`` for a second, label layer on top,
  ``ZHENWU_MAP_TILE_COORDS`` (or ``ZHENWU_MAP_TILE_CRS``) the coordinate system the tiles are drawn in (``wgs84``, the default, or
  ``gcj02`` for Gaode-like servers: points, stored in WGS-84, are then shifted for display and a
  pin dropped on the map is sent as GCJ-02), ``ZHENWU_MAP_TILE_MAX_ZOOM`` (18);
- ``ZHENWU_MAP_TILE_ATTRIBUTION`` (or ``ZHENWU_MAP_ATTRIBUTION``): the attribution line (a 审图号
  where the tiles need one).

The tile servers' origins are added to the Content-Security-Policy's img-src (``csp_origins``)
only when a layer is configured. BD-09 (Baidu) tiles use a projection of their own, not XYZ Web
Mercator, and are refused.

This module reads no Django settings: settings.py calls ``tile_layer_from_env`` and keeps the
result as ``ZHENWU_MAP_TILES``; ``{% load maps %}`` (zhenwu.org.templatetags.maps) hands it to the page.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

WGS84 = "wgs84"
GCJ02 = "gcj02"
TILE_CRS = (WGS84, GCJ02)

TIANDITU_SUBDOMAINS = "01234567"
_TIANDITU = (
    "https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=%s"
    "&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=%s"
)
TIANDITU_ATTRIBUTION = "地图数据 © 天地图"


class MapConfigError(ValueError):
    """A tile layer configured wrongly; the message names the environment variable."""


@dataclass(frozen=True)
class TileLayer:
    """What the browser needs to draw tiles: URL templates (a base layer, then overlays such as
    labels), the values of ``{s}``, the coordinate system the tiles are drawn in."""

    urls: tuple
    subdomains: tuple = ()
    crs: str = WGS84
    attribution: str = ""
    max_zoom: int = 18
    provider: str = "custom"

    def client_config(self):
        """The JSON the page carries for zhenwu/static/js/map.js."""
        return {
            "urls": list(self.urls),
            "subdomains": list(self.subdomains),
            "crs": self.crs,
            "attribution": self.attribution,
            "maxZoom": self.max_zoom,
        }


def _subdomains(value):
    value = (value or "").strip()
    if not value:
        return ()
    if "," in value:
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(value)


def _check_url(name, url, subdomains):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") and not url.startswith("/"):
        raise MapConfigError(f"{name} must be an http(s) URL or a path on this server, not {url!r}")
    missing = [p for p in ("{x}", "{y}", "{z}") if p not in url]
    if missing:
        raise MapConfigError(f"{name} must contain {', '.join(missing)} (an XYZ tile URL template)")
    if "{s}" in url and not subdomains:
        raise MapConfigError(f"{name} uses {{s}}: set ZHENWU_MAP_TILE_SUBDOMAINS (e.g. abc or 0,1,2)")


def tile_layer_from_env(environ):
    """The deployment's tile layer from environment variables (a mapping), or None when none is
    configured. Raises MapConfigError for a configuration that cannot work."""
    key = (environ.get("ZHENWU_TIANDITU_KEY") or "").strip()
    url = (environ.get("ZHENWU_MAP_TILE_URL") or "").strip()
    attribution = (environ.get("ZHENWU_MAP_TILE_ATTRIBUTION") or environ.get("ZHENWU_MAP_ATTRIBUTION") or "").strip()
    if key and url:
        raise MapConfigError("set ZHENWU_TIANDITU_KEY or ZHENWU_MAP_TILE_URL, not both")
    max_zoom_text = (environ.get("ZHENWU_MAP_TILE_MAX_ZOOM") or "18").strip()
    if not max_zoom_text.isdigit() or not 1 <= int(max_zoom_text) <= 22:
        raise MapConfigError(f"ZHENWU_MAP_TILE_MAX_ZOOM must be a whole number from 1 to 22, not {max_zoom_text!r}")
    max_zoom = int(max_zoom_text)
    if key:
        if not key.isalnum():
            raise MapConfigError("ZHENWU_TIANDITU_KEY must be the key's letters and digits")
        return TileLayer(
            urls=(_TIANDITU % ("vec", "vec", key), _TIANDITU % ("cva", "cva", key)),
            subdomains=tuple(TIANDITU_SUBDOMAINS),
            crs=WGS84,
            attribution=attribution or TIANDITU_ATTRIBUTION,
            max_zoom=min(max_zoom, 18),
            provider="tianditu",
        )
    if not url:
        return None
    subdomains = _subdomains(environ.get("ZHENWU_MAP_TILE_SUBDOMAINS"))
    _check_url("ZHENWU_MAP_TILE_URL", url, subdomains)
    urls = [url]
    label_url = (environ.get("ZHENWU_MAP_LABEL_URL") or "").strip()
    if label_url:
        _check_url("ZHENWU_MAP_LABEL_URL", label_url, subdomains)
        urls.append(label_url)
    crs_name = "ZHENWU_MAP_TILE_COORDS" if environ.get("ZHENWU_MAP_TILE_COORDS") else "ZHENWU_MAP_TILE_CRS"
    crs = (environ.get(crs_name) or WGS84).strip().lower().replace("-", "").replace("_", "")
    if crs == "bd09":
        raise MapConfigError(f"{crs_name}: BD-09 (Baidu) tiles are not XYZ Web Mercator and are not supported")
    if crs not in TILE_CRS:
        raise MapConfigError(f"{crs_name} must be wgs84 or gcj02, not {crs!r}")
    return TileLayer(urls=tuple(urls), subdomains=subdomains, crs=crs, attribution=attribution, max_zoom=max_zoom)


def csp_origins(layer):
    """The origins the browser fetches tiles from (for img-src): none without a layer, none for
    tiles served by this server; each value of ``{s}`` in the host spelt out."""
    if layer is None:
        return []
    origins = []
    for url in layer.urls:
        hosts = [url.replace("{s}", s) for s in layer.subdomains] if "{s}" in url else [url]
        for host_url in hosts:
            parts = urlsplit(host_url)
            if parts.scheme and parts.netloc:
                origin = f"{parts.scheme}://{parts.netloc}"
                if origin not in origins:
                    origins.append(origin)
    return origins
