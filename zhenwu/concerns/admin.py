"""Configuration screens for the town admin: categories (the county catalogue), reply templates,
service attributes (the working-day calendar's corrections are in zhenwu.workdays.admin). A town's
own rules for a category are set on its 诉求类别 page (views.catalogue), where they are checked;
here they are only listed.

Concerns themselves are read-only here (their changes go through the workflow services); edits
made here are written to the audit log like any other change.
"""

from django.contrib import admin

from zhenwu.audit.services import record_create, record_delete, record_update, snapshot

from .models import Category, Concern, PhotoSettings, ReplyTemplate, ServiceAttribute, TownCategorySetting


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        before = snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if change:
            record_update(obj, before, note="配置管理修改")
        else:
            record_create(obj, note="配置管理新增")

    def delete_model(self, request, obj):
        record_delete(obj, note="配置管理删除")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            record_delete(obj, note="配置管理删除")
        super().delete_queryset(request, queryset)


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = (
        "code",
        "name",
        "group",
        "default_department",
        "response_limit_days",
        "resolution_limit_days",
        "town_limits_allowed",
        "may_become_project",
        "coarse_on_map",
        "is_active",
        "town",
    )
    list_filter = ("is_active", "may_become_project", "coarse_on_map", "town_limits_allowed", "town", "group")
    search_fields = ("code", "name", "keywords")
    list_select_related = ("default_department", "town")


@admin.register(TownCategorySetting)
class TownCategorySettingAdmin(admin.ModelAdmin):
    """Each town's own rules for the county's categories, read-only: the town's administrator sets
    them on the 诉求类别 page, through the service that checks and audits them."""

    list_display = ("town", "category", "default_department", "response_limit_days", "resolution_limit_days")
    list_filter = ("town",)
    list_select_related = ("town", "category", "default_department")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(AuditedAdmin):
    list_display = ("title", "status", "is_active", "sort_order")
    list_filter = ("status", "is_active")


@admin.register(Concern)
class ConcernAdmin(admin.ModelAdmin):
    list_display = ("reference", "title", "status", "category", "department", "received_at", "resolution_due")
    list_filter = ("status", "channel", "urgency", "is_supervised")
    search_fields = ("reference",)
    list_select_related = ("category", "department")
    exclude = ("reporter_name", "reporter_phone")

    def get_queryset(self, request):
        return super().get_queryset(request).defer("reporter_name", "reporter_phone")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ServiceAttribute)
class ServiceAttributeAdmin(AuditedAdmin):
    """Extra questions of a category (Open311 service attributes)."""

    list_display = ("category", "order", "code", "description", "datatype", "required")
    list_filter = ("category", "datatype")
    list_select_related = ("category",)


@admin.register(PhotoSettings)
class PhotoSettingsAdmin(AuditedAdmin):
    """Per town: whether new concern photos start public on the board (default: not until chosen)."""

    list_display = ("town", "public_by_default", "updated_at")
