"""Set-up of districts, clusters, schools, statistics and memberships in the Django admin."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count

from .models import Cluster, District, Membership, School, SchoolYearStats


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "cluster_count"]
    search_fields = ["name", "code"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_clusters=Count("clusters"))

    @admin.display(description="clusters", ordering="_clusters")
    def cluster_count(self, obj):
        return obj._clusters


class SchoolInline(admin.TabularInline):
    model = School
    fields = ["urn", "name", "phase", "is_open"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # schools come from GIAS; move them by editing the school


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "district", "school_count"]
    list_filter = ["district"]
    search_fields = ["name", "code", "district__name"]
    list_select_related = ["district"]
    inlines = [SchoolInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_schools=Count("schools"))

    @admin.display(description="schools", ordering="_schools")
    def school_count(self, obj):
        return obj._schools


class SchoolYearStatsInline(admin.TabularInline):
    model = SchoolYearStats
    extra = 0
    ordering = ["-academic_year"]


class UnmappedFilter(admin.SimpleListFilter):
    title = "cluster"
    parameter_name = "mapped"

    def lookups(self, request, model_admin):
        return [("no", "In no cluster"), ("yes", "In a cluster")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(cluster__isnull=True)
        if self.value() == "yes":
            return queryset.filter(cluster__isnull=False)
        return queryset


@admin.register(School)
class SchoolAdmin(admin.ModelAdmin):
    list_display = ["name", "urn", "phase", "establishment_type", "cluster", "status", "is_open"]
    list_filter = [
        "is_open",
        "phase",
        UnmappedFilter,
        "cluster__district",
        ("cluster", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "=urn", "postcode", "trust_name"]
    list_select_related = ["cluster"]
    autocomplete_fields = ["cluster"]
    inlines = [SchoolYearStatsInline]
    fieldsets = [
        (None, {"fields": ["urn", "name", "cluster", "phase", "status", "is_open"]}),
        (
            "From GIAS",
            {
                "classes": ["collapse"],
                "fields": [
                    "la_code",
                    "la_name",
                    "establishment_number",
                    "establishment_type",
                    "type_group",
                    "gias_phase",
                    ("open_date", "close_date"),
                    ("statutory_low_age", "statutory_high_age"),
                    "district_administrative",
                    "postcode",
                    "trust_name",
                    "gias_last_changed",
                ],
            },
        ),
    ]


@admin.register(SchoolYearStats)
class SchoolYearStatsAdmin(admin.ModelAdmin):
    list_display = [
        "school",
        "academic_year",
        "number_on_roll",
        "fsm_percent",
        "ehcp_pupils",
        "sen_support_pupils",
        "suspensions",
        "permanent_exclusions",
    ]
    list_filter = ["academic_year", "school__cluster__district", "school__phase"]
    search_fields = ["school__name", "=school__urn"]
    list_select_related = ["school"]
    autocomplete_fields = ["school"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "school", "cluster", "created"]
    list_filter = ["role", "cluster"]
    search_fields = [
        "user__username",
        "user__email",
        "user__last_name",
        "school__name",
        "=school__urn",
        "cluster__name",
    ]
    list_select_related = ["user", "school", "cluster"]
    autocomplete_fields = ["user", "school", "cluster"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["school", "cluster"]


User = get_user_model()


class PortalUserAdmin(UserAdmin):
    """The stock user admin, with the user's roles editable on the same page."""

    inlines = [*UserAdmin.inlines, MembershipInline]
    list_filter = [*UserAdmin.list_filter, "memberships__role"]


# Roles are set where users are: replace the stock registration once.
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, PortalUserAdmin)
