"""Accounts in the configuration admin (superusers). Day-to-day account work is done by town
administrators on the 账号 pages; here every save is still scope-checked and audited, and
accounts are never deleted (the audit log and records point at them): deactivate instead."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db import transaction

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_create, record_event, record_update, snapshot

from . import services
from .models import User


class _ScopeCheckedForm:
    def clean(self):
        data = super().clean()
        if "role" not in data:
            return data
        try:
            data.update(services.check_scope(role=data["role"], area=data.get("area"),
                                             party_org=data.get("party_org"), department=data.get("department")))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


def _scope_checked(form_class):
    return type(f"ScopeChecked{form_class.__name__}", (_ScopeCheckedForm, form_class), {})


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "full_name", "role", "area", "party_org", "department", "is_active",
                    "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff", "is_superuser", "must_change_password")
    list_select_related = ("area", "party_org", "department")
    search_fields = ("username", "full_name")
    ordering = ("role", "username")
    readonly_fields = ("last_login", "date_joined", "password_changed_at")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("个人信息", {"fields": ("full_name", "email")}),
        ("角色与范围", {"fields": ("role", "area", "party_org", "department")}),
        ("状态", {"fields": ("is_active", "must_change_password", "password_changed_at", "last_login",
                            "date_joined")}),
        ("配置管理权限", {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        ("角色与范围", {"fields": ("full_name", "role", "area", "party_org", "department")}),
    )
    form = _scope_checked(DjangoUserAdmin.form)
    add_form = _scope_checked(DjangoUserAdmin.add_form)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            if change:
                before = snapshot(User.objects.get(pk=obj.pk))
                super().save_model(request, obj, form, change)
                record_update(obj, before, note="配置管理中修改账号")
            else:
                obj.must_change_password = True
                super().save_model(request, obj, form, change)
                record_create(obj, note="配置管理中新增账号")

    def user_change_password(self, request, id, form_url=""):
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            record_event(action=AuditAction.SECURITY, obj=User.objects.get(pk=id), note="配置管理中修改密码")
        return response
