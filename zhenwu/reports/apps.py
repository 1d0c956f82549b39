from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhenwu.reports"
    verbose_name = "台账与简报"

    def ready(self):
        from . import ledgers  # noqa: F401  (registers the ledger export job handler)
