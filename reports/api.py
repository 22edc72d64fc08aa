"""REST API: ask for a report run, poll it, list runs, download its files. Scoped
like the pages: a run outside the user's scope is 404."""

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from portal import storage
from portal.audit import record_view
from portal.fields import ApiMoneyField

from . import escalation, policy, selectors, services
from .models import FILE_FORMATS, EscalationImport, ReportKind, ReportRun, RunStatus, ScopeKind
from .views import CONTENT_TYPES


class ReportRunSerializer(serializers.ModelSerializer):
    scope_label = serializers.CharField(read_only=True)
    requested_by = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "kind",
            "scope_kind",
            "district",
            "cluster",
            "scope_label",
            "academic_year",
            "parameters",
            "status",
            "progress",
            "progress_message",
            "error_message",
            "attempts",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "data_as_of",
            "status_url",
            "files",
        ]
        read_only_fields = fields

    def get_requested_by(self, run) -> str | None:
        return run.requested_by.get_username() if run.requested_by else None

    def get_status_url(self, run) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("reports-api-detail", args=[run.pk])
        )

    def get_files(self, run) -> dict[str, str]:
        if run.status != RunStatus.SUCCEEDED:
            return {}
        request = self.context["request"]
        return {
            fmt: request.build_absolute_uri(reverse("reports-api-download", args=[run.pk, fmt]))
            for fmt in FILE_FORMATS
        }


class ReportRunCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    scope_kind = serializers.ChoiceField(choices=ScopeKind.choices)
    scope_id = serializers.IntegerField(required=False, allow_null=True)
    academic_year = serializers.IntegerField(min_value=2000, max_value=2100)
    national_ehcp_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2, min_value=0),
        required=False,
        allow_null=True,
        help_text="Fair share: the weights of roll, fsm and sen_support for this run (in "
        "proportion; they may not add up to zero). Left out: the LA's allocation formula.",
    )
    stream_id = serializers.IntegerField(
        required=False, allow_null=True, help_text="Impact report: one fund only."
    )
    unit_costs = serializers.DictField(
        child=ApiMoneyField(name="the cost of a placement", min_value=0),
        required=False,
        help_text="Impact report: the yearly cost of a specialist_placement and an "
        "ap_placement (pounds), for the cost-avoidance estimate.",
    )

    term = serializers.ChoiceField(
        choices=[("autumn", "Autumn"), ("spring", "Spring"), ("summer", "Summer")],
        required=False,
        allow_null=True,
        help_text="Schools Forum KPI pack (kind kpi_pack, county only): the term of the "
        "academic year.",
    )

    def validate(self, data):
        if data["scope_kind"] != ScopeKind.COUNTY and not data.get("scope_id"):
            raise ValidationError({"scope_id": "Give the district or cluster id."})
        return data


class ReportRunViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ReportRunSerializer
    filterset_fields = ["kind", "scope_kind", "status", "academic_year", "cluster"]
    ordering_fields = ["created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportRun.objects.none()
        return selectors.visible_runs(self.request.user)

    def get_serializer_class(self):
        return ReportRunCreateSerializer if self.action == "create" else ReportRunSerializer

    @extend_schema(request=ReportRunCreateSerializer, responses={202: ReportRunSerializer})
    def create(self, request, *args, **kwargs):
        data = ReportRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        # Django's PermissionDenied answers 403 and a ReportError 400 (portal.api_errors).
        run = services.request_report(
            user=request.user,
            kind=v["kind"],
            scope_kind=v["scope_kind"],
            scope_id=v.get("scope_id"),
            academic_year=v["academic_year"],
            national_ehcp_pct=v.get("national_ehcp_pct"),
            stream_id=v.get("stream_id"),
            weights=v.get("weights"),
            unit_costs=v.get("unit_costs"),
            term=v.get("term"),
        )
        out = ReportRunSerializer(run, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)}
    )
    @action(detail=True, methods=["get"], url_path=r"files/(?P<fmt>html|csv|xlsx|pdf)")
    def download(self, request, pk=None, fmt=None):
        run = self.get_object()
        if run.status != RunStatus.SUCCEEDED:
            raise Http404
        field = run.file_for(fmt)
        response = storage.download_response(  # the store down: 503, "try again"
            field.name, filename=field.name.rsplit("/", 1)[-1], content_type=CONTENT_TYPES[fmt]
        )
        record_view(request, run, action="download", detail=f"api {fmt}")
        return response


# ---------------------------------------------------------------- escalation data


class EscalationImportSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SerializerMethodField()

    class Meta:
        model = EscalationImport
        fields = [
            "id",
            "filename",
            "status",
            "rows_read",
            "records",
            "errors",
            "uploaded_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, run) -> str | None:
        return run.uploaded_by.get_username() if run.uploaded_by else None


class EscalationUploadSerializer(serializers.Serializer):
    extract = serializers.FileField(
        help_text="The LA's CSV: UPN, Event, Date and, for placements, End date."
    )


class EscalationImportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """LA officers only (404 for anyone else). Uploading parses and hashes the file at
    once (a file that cannot be read answers 202 with status "failed" and its
    problems); the worker then checks the pupils and writes all or nothing."""

    serializer_class = EscalationImportSerializer
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return EscalationImport.objects.none()
        if not policy.can_import_escalation(self.request.user):
            raise Http404
        return selectors.escalation_imports()

    @extend_schema(
        request={"multipart/form-data": EscalationUploadSerializer},
        responses={202: EscalationImportSerializer},
    )
    def create(self, request, *args, **kwargs):
        self.get_queryset()  # the same 404 for anyone but an LA officer
        data = EscalationUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["extract"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise ValidationError({"extract": "The file is larger than imports allow."})
        run = escalation.start_import(user=request.user, data=upload.file, filename=upload.name)
        out = EscalationImportSerializer(run, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_202_ACCEPTED)
