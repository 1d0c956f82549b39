from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhenwu.reports"
    verbose_name = "台账与简报"

    def ready(self):
        from . import briefing_services, ledgers  # noqa: F401  (register the briefing and ledger job handlers)
