from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "zhenwu.routing"
    verbose_name = "智能分派与热点"

    def ready(self):
        from zhenwu.concerns.signals import intake_completed

        from .services import queue_new_concerns

        # New concerns reach the router only through this event (concerns never name routing);
        # importing services also registers the router's worker task (suggest_for_new_concerns).
        intake_completed.connect(queue_new_concerns, dispatch_uid="zhenwu.routing.queue_new_concerns")
