"""The view audit under /api/v1/view-audit/, for the data-protection officer: the same
filters and scoping as the page (``portal.selectors.view_audit``)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError

from . import policy, selectors
from .models import ViewAudit


class ViewAuditSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    reference = serializers.SerializerMethodField(
        help_text="The request's reference, when the record read is a request"
    )

    class Meta:
        model = ViewAudit
        fields = [
            "id", "created_at", "username", "name", "action", "object_type", "object_id",
            "reference", "detail", "path", "ip_address",
        ]  # fmt: skip
        read_only_fields = fields

    def get_reference(self, entry: ViewAudit) -> str | None:
        if entry.object_type != selectors.REQUEST:
            return None
        return self.context.get("references", {}).get(entry.object_id)


AUDIT_FILTERS = [
    OpenApiParameter("person", str, description="Words of the reader's username, name or email"),
    OpenApiParameter("reference", str, description="A request's reference"),
    OpenApiParameter("from", OpenApiTypes.DATE, description="Read on or after this day"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Read on or before this day"),
    OpenApiParameter("action", str, enum=list(selectors.ACTIONS)),
]


@extend_schema_view(
    list=extend_schema(
        summary="Data-protection officer: who opened which request, document or export, when",
        parameters=AUDIT_FILTERS,
        responses={200: ViewAuditSerializer(many=True), 400: None, 404: None},
    ),
)
class ViewAuditViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ViewAuditSerializer
    filter_backends: list = []  # the page's filters (AuditFilters), not django-filter
    queryset = ViewAudit.objects.none()  # for the schema; the rows come from the selector

    def list(self, request, *args, **kwargs):
        # As the page: for anyone but the data-protection officer there is nothing here.
        if not policy.can_read_view_audit(request.user):
            raise NotFound()
        filters = selectors.AuditFilters.from_params(request.query_params)
        if filters.problems:
            raise ValidationError(filters.problems)
        page = self.paginate_queryset(selectors.view_audit(request.user, filters))
        context = {
            **self.get_serializer_context(),
            "references": selectors.request_references(page),
        }
        return self.get_paginated_response(
            ViewAuditSerializer(page, many=True, context=context).data
        )
