from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "zhenwu.ops"
    verbose_name = "运维"
