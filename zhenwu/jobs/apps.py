from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "zhenwu.jobs"
    verbose_name = "后台任务"
