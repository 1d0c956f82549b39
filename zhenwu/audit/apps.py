from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "zhenwu.audit"
    verbose_name = "审计日志"
