"""Template tags of the maps, `{% load maps %}` (in org: the maps draw its places; every app that
shows a map is above it):

- `{% map_assets %}` in a page's head: the vendored Leaflet (static/vendor/leaflet-1.9.4), the
  shared zhenwu/static/js/map.js and css/map.css; nothing is loaded from another server;
- `{% map_tiles %}` once in the body: the deployment's tile layer (zhenwu.lib.maps) as a JSON data
  block map.js reads (`null` when none is configured: boundaries on a plain background).

A map itself is an element with `data-map="board"` or `data-map="pin"` (see map.js).
"""

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, json_script

register = template.Library()

LEAFLET = "vendor/leaflet-1.9.4"
TILES_ELEMENT_ID = "map-tiles"


@register.simple_tag
def map_assets():
    return format_html(
        '<link rel="stylesheet" href="{}">\n<link rel="stylesheet" href="{}">\n'
        '<script src="{}" defer></script>\n<script src="{}" defer></script>\n<script src="{}" defer></script>',
        static(f"{LEAFLET}/leaflet.css"),
        static("css/map.css"),
        static(f"{LEAFLET}/leaflet.js"),
        static("js/map.js"),
        static("js/locate.js"),
    )


@register.simple_tag
def map_tiles():
    layer = getattr(settings, "ZHENWU_MAP_TILES", None)
    return json_script(layer.client_config() if layer is not None else None, TILES_ELEMENT_ID)
