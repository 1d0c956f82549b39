from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "zhenwu.activities"
    verbose_name = "活动与志愿"
