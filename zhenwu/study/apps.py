from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "zhenwu.study"
    verbose_name = "学习教育"
