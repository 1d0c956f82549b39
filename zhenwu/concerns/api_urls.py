"""The staff JSON API (v1) with its OpenAPI document, under /api/ in the `api` namespace that
zhenwu/urls.py composes (with the key and token pages of open311 and accounts)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from . import api

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
    re_path(r"^v1/(?P<rest>.*)$", api.not_found),
]
