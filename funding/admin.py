"""Admin for set-up: LA officers manage funding streams and need bands here."""

from django.contrib import admin

from .models import (
    FundingRequest,
    FundingStream,
    NeedBand,
    ProvisionLine,
    ReferenceCounter,
    RequestDocument,
    RequestEvent,
    RetentionPurge,
    ReviewCycle,
)


@admin.register(FundingStream)
class FundingStreamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "max_award", "max_duration_weeks", "is_open"]
    list_editable = ["is_open"]
    search_fields = ["code", "name"]


@admin.register(NeedBand)
class NeedBandAdmin(admin.ModelAdmin):
    list_display = ["need", "band", "usual_award_min", "usual_award_max"]
    list_filter = ["need"]


class ReviewCycleInline(admin.StackedInline):
    model = ReviewCycle
    extra = 0


class ProvisionLineInline(admin.TabularInline):
    model = ProvisionLine
    extra = 0


class RequestDocumentInline(admin.TabularInline):
    model = RequestDocument
    extra = 0
    fields = ["kind", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class RequestEventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    fields = ["created_at", "kind", "from_state", "to_state", "actor", "message"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(FundingRequest)
class FundingRequestAdmin(admin.ModelAdmin):
    list_display = ["__str__", "school", "cluster", "stream", "state", "amount_requested",
                    "submitted_at"]  # fmt: skip
    list_filter = ["state", "stream", "request_type", "cluster"]
    search_fields = ["reference", "school__name", "school__urn"]
    list_select_related = ["school", "cluster", "stream"]
    raw_id_fields = ["school", "cluster", "created_by", "band"]
    # State, reference and money change only through the services (the lifecycle and
    # the provision lines), never by hand.
    readonly_fields = ["reference", "state", "submitted_at", "state_changed_at", "total_cost",
                       "school_contribution", "amount_requested", "amount_awarded",
                       "reconsideration_used", "created_at", "updated_at", "deleted_at",
                       "deleted_by"]  # fmt: skip
    inlines = [ReviewCycleInline, ProvisionLineInline, RequestDocumentInline, RequestEventInline]
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request):
        # The audit's view: a deleted draft is still here, in its "Deleted draft" state.
        return FundingRequest.with_deleted.select_related("school", "cluster", "stream")


@admin.register(RequestEvent)
class RequestEventAdmin(admin.ModelAdmin):
    list_display = ["request", "kind", "from_state", "to_state", "actor", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["request", "actor"]
    list_select_related = ["request", "actor"]

    def has_change_permission(self, request, obj=None):
        return False  # the timeline is append-only


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(admin.ModelAdmin):
    list_display = ["stream", "year", "last_number"]
    readonly_fields = ["stream", "year", "last_number"]


@admin.register(RequestDocument)
class RequestDocumentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "request", "kind", "content_type", "size", "uploaded_at"]
    raw_id_fields = ["request", "uploaded_by"]
    readonly_fields = ["file", "content_type", "size"]


@admin.register(RetentionPurge)
class RetentionPurgeAdmin(admin.ModelAdmin):
    """The retention schedule's record of each purge: read, never changed."""

    list_display = ["request", "data_class", "purged_at", "ended_at", "years", "items", "detail"]
    list_filter = ["data_class", ("purged_at", admin.DateFieldListFilter)]
    raw_id_fields = ["request"]
    list_select_related = ["request"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
