from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "zhenwu.workdays"
    verbose_name = "工作日"
