from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "zhenwu.concerns"
    verbose_name = "民情办理"
