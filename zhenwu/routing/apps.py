from django.apps import AppConfig


class RoutingConfig(AppConfig):
    name = "zhenwu.routing"
    verbose_name = "智能分派与热点"

    def ready(self):
        from zhenwu.concerns.signals import concern_detail_cards, inbox_row_category, intake_completed

        from .concern_slots import suggestion_card, suggestion_hint
        from .services import queue_new_concerns

        # New concerns reach the router only through this event (concerns never name routing);
        # importing services also registers the router's worker task (suggest_for_new_concerns).
        intake_completed.connect(queue_new_concerns, dispatch_uid="zhenwu.routing.queue_new_concerns")
        # Its fragments on the concern pages fill the slots those pages offer (concerns.signals).
        concern_detail_cards.connect(suggestion_card, dispatch_uid="zhenwu.routing.suggestion_card")
        inbox_row_category.connect(suggestion_hint, dispatch_uid="zhenwu.routing.suggestion_hint")

    def warm_up(self):
        """At a web worker's boot (zhenwu.ops.warmup, in gunicorn's master before it forks): teach
        the shared segmenter the towns' place words. The hot issues page teaches them on first
        use, and the segmenter then builds a new dictionary; built in each worker, that was 25 MB
        of private memory per worker; built here, once, the workers share it."""
        from .hot import town_places

        return len(town_places())
