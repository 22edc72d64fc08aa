"""Admin for the portal's cross-cutting records: view audit (read-only) and notifications."""

from django.contrib import admin

from .models import Notification, ViewAudit


@admin.register(ViewAudit)
class ViewAuditAdmin(admin.ModelAdmin):
    """The audit of reads can be searched but never changed: it is evidence."""

    list_display = [
        "created_at",
        "user",
        "action",
        "object_type",
        "object_id",
        "path",
        "ip_address",
    ]
    list_filter = ["action", "object_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["user__username", "object_id", "path", "detail"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "subject", "read_at"]
    list_filter = [
        ("read_at", admin.EmptyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    search_fields = ["user__username", "user__email", "subject"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at"]
