from django.contrib import admin

from .models import (
    AgendaItem,
    Appeal,
    Attendance,
    ConflictDeclaration,
    Decision,
    Meeting,
    MemberAbsence,
    ModerationView,
    OutcomeReview,
    Panel,
    PanelMember,
)


class MemberInline(admin.TabularInline):
    model = PanelMember
    extra = 0
    raw_id_fields = ["user", "school"]


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "district", "quorum_voting", "quorum_headteachers"]
    inlines = [MemberInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["panel", "date", "closing_date", "status", "chair"]
    list_filter = ["status"]
    date_hierarchy = "date"
    raw_id_fields = ["chair", "rota_chair", "swapped_by"]


# Decisions, views and attendance are records: read them here, change them through the portal.
for model in (
    AgendaItem,
    Attendance,
    ConflictDeclaration,
    ModerationView,
    Decision,
    Appeal,
    OutcomeReview,
    MemberAbsence,
):

    @admin.register(model)
    class ReadOnlyAdmin(admin.ModelAdmin):
        def has_add_permission(self, request):
            return False

        def has_change_permission(self, request, obj=None):
            return False

        def has_delete_permission(self, request, obj=None):
            return False
