"""配置管理 for 学习教育: campaigns and their items may be set up here (audited like every write);
the records of what happened (sessions, sign-ins, lessons, guidance) are kept through the study
pages and services and are read-only here."""

from django.contrib import admin

from zhenwu.audit.admin import AuditedModelAdmin, ReadOnlyAdmin

from .models import (
    Attendance,
    Campaign,
    CampaignItem,
    Guidance,
    HomeLesson,
    InstructorAssignment,
    MakeUpTask,
    Mentorship,
    SiteCheck,
    StudySession,
)


class CampaignItemInline(admin.TabularInline):
    model = CampaignItem
    extra = 0
    fields = ("position", "kind", "title", "due_on", "description")


@admin.register(Campaign)
class CampaignAdmin(AuditedModelAdmin):
    list_display = ("name", "starts_on", "ends_on")
    search_fields = ("name",)
    filter_horizontal = ("party_orgs",)
    exclude = ("created_by",)
    inlines = [CampaignItemInline]


@admin.register(CampaignItem)
class CampaignItemAdmin(AuditedModelAdmin):
    list_display = ("title", "campaign", "kind", "due_on", "position")
    list_filter = ("kind", "campaign")
    search_fields = ("title",)
    list_select_related = ("campaign",)


@admin.register(StudySession)
class StudySessionAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "starts_at", "venue_kind", "is_featured")
    list_filter = ("kind", "venue_kind", "is_featured")
    search_fields = ("title", "topic", "speaker")
    date_hierarchy = "starts_at"


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ("session", "member", "method", "signed_at")
    list_filter = ("method",)
    list_select_related = ("session", "member")
    show_full_result_count = False


@admin.register(HomeLesson)
class HomeLessonAdmin(ReadOnlyAdmin):
    list_display = ("member", "mentor", "given_on", "confirmation", "confirmed_at")
    list_select_related = ("member", "mentor")


@admin.register(MakeUpTask)
class MakeUpTaskAdmin(ReadOnlyAdmin):
    list_display = ("member", "item", "reason", "status")
    list_filter = ("status", "reason")
    list_select_related = ("member", "item")


@admin.register(Mentorship)
class MentorshipAdmin(ReadOnlyAdmin):
    list_display = ("mentor", "started_on", "ended_on")
    list_select_related = ("mentor",)


@admin.register(InstructorAssignment)
class InstructorAssignmentAdmin(ReadOnlyAdmin):
    list_display = ("instructor", "party_org", "campaign", "assigned_at")
    list_select_related = ("instructor", "party_org", "campaign")


@admin.register(Guidance)
class GuidanceAdmin(ReadOnlyAdmin):
    list_display = ("party_org", "instructor", "visited_on", "follow_up_done_on")
    list_select_related = ("party_org", "instructor")


@admin.register(SiteCheck)
class SiteCheckAdmin(ReadOnlyAdmin):
    list_display = ("party_org", "checked_on", "total")
    list_select_related = ("party_org",)
