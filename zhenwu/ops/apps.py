from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OpsConfig(AppConfig):
    name = "zhenwu.ops"
    verbose_name = "运维"

    def ready(self):
        from zhenwu.core import periodic

        from .command_runs import record_finish, record_start
        from .sqlite_stats import on_post_migrate

        periodic.run_started.connect(record_start, dispatch_uid="zhenwu.ops.command_runs.start")
        periodic.run_finished.connect(record_finish, dispatch_uid="zhenwu.ops.command_runs.finish")

        # Once per `migrate` (sender = this app): tables rebuilt by a migration lose their statistics.
        post_migrate.connect(on_post_migrate, sender=self, dispatch_uid="zhenwu.ops.sqlite_stats")
