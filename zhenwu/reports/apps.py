from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhenwu.reports"
    verbose_name = "台账与简报"

    def ready(self):
        from zhenwu.concerns.signals import concern_detail_cards

        from . import briefing_services, ledgers  # noqa: F401  (register the briefing and ledger job handlers)
        from .concern_slots import dispatch_sheet_card

        concern_detail_cards.connect(dispatch_sheet_card, dispatch_uid="zhenwu.reports.dispatch_sheet_card")
