from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhenwu.reports"
    verbose_name = "台账与简报"
