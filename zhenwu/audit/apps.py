from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zhenwu.audit"
    verbose_name = "审计日志"

    def ready(self):
        from . import export  # noqa: F401  (registers the export job handler)
