from django.apps import AppConfig


class Open311Config(AppConfig):
    name = "zhenwu.open311"
    verbose_name = "Open311接口"

    def ready(self):
        from . import api  # noqa: F401  (registers the queued Open311 submission job)
