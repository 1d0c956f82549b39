from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "zhenwu.grid"
    verbose_name = "网格与联户"
