"""Admin writes go into the audit log like every other write; the log itself is read-only here.

Other apps register their models with `AuditedModelAdmin` (or mix `AuditedAdminMixin` into
another admin class, e.g. treebeard's TreeAdmin, with the mixin first).
"""

from django.contrib import admin
from django.db import transaction

from .models import AuditAnchor, AuditEntry
from .services import record_create, record_delete, record_update, snapshot


class AuditedAdminMixin:
    """save_model / delete_model / delete_queryset record create, update and delete entries with
    the values before and after; the entry commits or rolls back with the write."""

    audit_note = "配置管理后台"

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = None
            if change and obj.pk is not None:
                # The form has already written its values onto obj: read the stored row instead.
                stored = type(obj)._base_manager.filter(pk=obj.pk).first()
                before = snapshot(stored) if stored is not None else None
            super().save_model(request, obj, form, change)
            if before is None:
                record_create(obj, note=self.audit_note)
            else:
                record_update(obj, before, note=self.audit_note)

    def delete_model(self, request, obj):
        with transaction.atomic():
            record_delete(obj, note=self.audit_note)
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                record_delete(obj, note=f"{self.audit_note}（批量删除）")
            super().delete_queryset(request, queryset)


class AuditedModelAdmin(AuditedAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyAdmin(admin.ModelAdmin):
    """Nobody, superusers included, adds, changes or deletes these rows through the admin."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "at", "actor_label", "action", "object_type", "object_id", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "object_repr", "object_id", "note"]
    date_hierarchy = "at"
    show_full_result_count = False


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAdmin):
    list_display = ["id", "pruned_before_id", "prev_hash", "at"]
