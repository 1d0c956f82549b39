from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "zhenwu.org"
    verbose_name = "区域、人员与组织"

    def ready(self):
        from . import boundaries  # noqa: F401  (registers the boundary import job handler)
        from .roster import jobs  # noqa: F401  (registers the roster import job handlers)
