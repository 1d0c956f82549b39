from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OpsConfig(AppConfig):
    name = "zhenwu.ops"
    verbose_name = "运维"

    def ready(self):
        from .sqlite_stats import on_post_migrate

        # Once per `migrate` (sender = this app): tables rebuilt by a migration lose their statistics.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="zhenwu.ops.sqlite_stats")
