"""Open311 GeoReport v2 under /open311/v2/ (the format is the suffix: .json or .xml), and the key
page that zhenwu/urls.py composes into the `api` namespace (/api/keys/)."""

from django.urls import path, re_path

from . import api, openapi, views

app_name = "open311"

_FMT = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^discovery{_FMT}$", api.discovery, name="discovery"),
    path("openapi.json", openapi.openapi, name="openapi"),
    re_path(rf"^services{_FMT}$", api.service_list, name="services"),
    re_path(rf"^services/(?P<code>[^/]+?){_FMT}$", api.service_definition, name="service_definition"),
    re_path(rf"^requests{_FMT}$", api.requests_endpoint, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/]+?){_FMT}$", api.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){_FMT}$", api.token_detail, name="token"),
    # Anything else under the prefix (a wrong suffix, a typo) is answered in the spec's error format.
    path("", api.not_found),
    re_path(r"^(?P<rest>.*)$", api.not_found),
]

# The key page (town admins), under /api/ beside the staff API and the personal tokens.
key_urlpatterns = [
    path("keys/", views.key_list, name="key_list"),
    path("keys/<int:pk>/revoke/", views.key_revoke, name="key_revoke"),
]
