"""/api/: the staff JSON API (v1) with its OpenAPI document, and the pages that issue keys."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import api
from .views import api_keys

app_name = "api"

urlpatterns = [
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/me/", api.me, name="me"),
    path("v1/concerns/", api.concern_list, name="concern_list"),
    path("v1/concerns/<int:pk>/", api.concern_detail, name="concern_detail"),
    *[
        path(f"v1/concerns/<int:pk>/{name}/", view, name=f"concern_{name.replace('-', '_')}")
        for name, view in api.ACTION_VIEWS.items()
    ],
    path("v1/categories/", api.category_list, name="category_list"),
    path("v1/departments/", api.department_list, name="department_list"),
    path("v1/areas/", api.area_list, name="area_list"),
    # Pages: Open311 keys (town admins) and personal tokens (every staff account).
    path("keys/", api_keys.key_list, name="key_list"),
    path("keys/<int:pk>/revoke/", api_keys.key_revoke, name="key_revoke"),
    path("tokens/", api_keys.token_list, name="token_list"),
    path("tokens/<int:pk>/revoke/", api_keys.token_revoke, name="token_revoke"),
    re_path(r"^v1/(?P<rest>.*)$", api.not_found),
]
