"""配置管理 for the town's structure: the area tree, party organisations and departments.

Households, residents and members are kept through the app's own pages (scoped, masked, audited
through services), so they are not editable here. Every save and delete here is written to the
audit log like any other change.
"""

from django.contrib import admin
from django.db import transaction
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from zhenwu.audit.admin import AuditedAdminMixin, AuditedModelAdmin
from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event

from .models import Area, Department, PartyOrg


class AuditedTreeAdmin(AuditedAdminMixin, TreeAdmin):
    def move_node(self, request):
        with transaction.atomic():
            response = super().move_node(request)
            node_id = request.POST.get("node")
            if response.status_code < 400 and node_id:
                node = self.model.objects.filter(pk=node_id).first()
                if node is not None:
                    record_event(action=AuditAction.UPDATE, obj=node, note="配置管理调整层级位置")
        return response


@admin.register(Area)
class AreaAdmin(AuditedTreeAdmin):
    form = movenodeform_factory(Area)
    list_display = ("name", "level", "code")
    search_fields = ("name", "code")
    list_filter = ("level",)


@admin.register(PartyOrg)
class PartyOrgAdmin(AuditedTreeAdmin):
    form = movenodeform_factory(PartyOrg)
    list_display = ("name", "kind", "area")
    search_fields = ("name",)
    list_filter = ("kind",)
    list_select_related = ("area",)
    autocomplete_fields = ("area",)


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ("name", "town", "is_active", "description")
    list_filter = ("is_active",)
    search_fields = ("name",)
    list_select_related = ("town",)
    autocomplete_fields = ("town",)
