from django.contrib import admin

from .models import ReportRun


@admin.register(ReportRun)
class ReportRunAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "scope_kind", "cluster", "academic_year", "status", "created_at")
    list_filter = ("kind", "scope_kind", "status", "academic_year")
    readonly_fields = [f.name for f in ReportRun._meta.fields]

    def has_add_permission(self, request):
        return False  # runs are asked for on the reports page or through the API
