from django.apps import AppConfig


class GridConfig(AppConfig):
    name = "zhenwu.grid"
    verbose_name = "网格与联户"

    def ready(self):
        from . import services  # noqa: F401  (registers follow_household_move with org's update_household)
        return None
