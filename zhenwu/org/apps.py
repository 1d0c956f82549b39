from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhenwu.org"
    verbose_name = "区域、人员与组织"

    def ready(self):
        from .roster import jobs  # noqa: F401  (registers the roster import job handlers)
