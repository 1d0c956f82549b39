from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "zhenwu.concerns"
    verbose_name = "民情办理"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from zhenwu.org.models import Area

        from . import (
            rates_summary,  # noqa: F401  (registers the worker's refresh of the rates' settled months)
            services,  # noqa: F401  (registers the worker's intake follow-up task)
            signals,  # noqa: F401  (declares the staff pages' slots before any page is rendered)
        )
        from .models import Category, PhotoSettings
        from .report_form_cache import forget_rendered_form

        # The resident's form is drawn once per worker (report_form_cache): what it lists changed.
        for model in (Area, Category, PhotoSettings):
            for signal in (post_save, post_delete):
                signal.connect(forget_rendered_form, sender=model,
                               dispatch_uid=f"zhenwu.concerns.report_form.{signal is post_save}.{model.__name__}")
