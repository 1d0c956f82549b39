"""Open311 GeoReport v2 under /open311/v2/ (the format is the suffix: .json or .xml)."""

from django.urls import path, re_path

from . import open311, open311_openapi

app_name = "open311"

_FMT = r"\.(?P<fmt>json|xml)"

urlpatterns = [
    re_path(rf"^discovery{_FMT}$", open311.discovery, name="discovery"),
    path("openapi.json", open311_openapi.openapi, name="openapi"),
    re_path(rf"^services{_FMT}$", open311.service_list, name="services"),
    re_path(rf"^services/(?P<code>[^/]+?){_FMT}$", open311.service_definition, name="service_definition"),
    re_path(rf"^requests{_FMT}$", open311.requests_endpoint, name="requests"),
    re_path(rf"^requests/(?P<request_id>[^/]+?){_FMT}$", open311.request_detail, name="request"),
    re_path(rf"^tokens/(?P<token>[^/]+?){_FMT}$", open311.token_detail, name="token"),
    # Anything else under the prefix (a wrong suffix, a typo) is answered in the spec's error format.
    path("", open311.not_found),
    re_path(r"^(?P<rest>.*)$", open311.not_found),
]
