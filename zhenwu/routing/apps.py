from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "zhenwu.routing"
    verbose_name = "智能分派与热点"
