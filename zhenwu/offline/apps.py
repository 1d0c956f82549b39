from django.apps import AppConfig


class OfflineConfig(AppConfig):
    name = "zhenwu.offline"
    verbose_name = "离线使用"
