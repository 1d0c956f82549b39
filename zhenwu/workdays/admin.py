"""The working-day calendar's corrections, edited by the town admin (audited like every write)."""

from django.contrib import admin

from zhenwu.audit.admin import AuditedModelAdmin

from .models import WorkdayOverride


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(AuditedModelAdmin):
    list_display = ("date", "is_workday", "note")
    list_filter = ("is_workday",)
    date_hierarchy = "date"
