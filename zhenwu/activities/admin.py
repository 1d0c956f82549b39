"""Activities, contests and role models are kept through their pages and services (audited); the
admin only reads them."""

from django.contrib import admin

from zhenwu.audit.admin import ReadOnlyAdmin

from .models import Activity, Contest, Entry, Participation, RoleModel


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "starts_at", "area", "department", "party_org", "beneficiary_count")
    list_filter = ("kind",)
    search_fields = ("title", "place")
    date_hierarchy = "starts_at"
    list_select_related = ("area", "department", "party_org")


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ("activity", "role", "member", "person_name", "hours", "hours_confirmed_at")
    list_filter = ("role",)
    list_select_related = ("activity", "member")
    show_full_result_count = False


@admin.register(Contest)
class ContestAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "held_on", "area")
    list_filter = ("kind",)


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("title", "contest", "author_name", "award")
    list_filter = ("award",)
    list_select_related = ("contest",)


@admin.register(RoleModel)
class RoleModelAdmin(ReadOnlyAdmin):
    list_display = ("name", "category", "headline", "area")
    list_filter = ("category",)
