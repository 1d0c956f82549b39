from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "zhenwu.concerns"
    verbose_name = "民情办理"

    def ready(self):
        from . import (
            rates_summary,  # noqa: F401  (registers the worker's refresh of the rates' settled months)
            services,  # noqa: F401  (registers the worker's intake follow-up task)
            signals,  # noqa: F401  (declares the staff pages' slots before any page is rendered)
        )
