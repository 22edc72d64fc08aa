"""Read-only API for districts, clusters and schools; the selectors decide what each user sees."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from . import selectors, uploads
from .filters import ClusterFilter, SchoolFilter
from .forms import check_csv
from .importers import parse_academic_year
from .models import Cluster, ImportKind, SchoolImport, SchoolYearStats
from .policy import can_import_schools
from .serializers import (
    ClusterSerializer,
    DistrictSerializer,
    SchoolDetailSerializer,
    SchoolSerializer,
)


class DistrictViewSet(viewsets.ReadOnlyModelViewSet):
    """Districts with the names of their clusters (public to anyone with a role)."""

    serializer_class = DistrictSerializer
    ordering_fields = ["name", "code"]

    def get_queryset(self):
        return selectors.visible_districts(self.request.user).prefetch_related(
            Prefetch("clusters", queryset=Cluster.objects.order_by("name"))
        )


class ClusterViewSet(viewsets.ReadOnlyModelViewSet):
    """The clusters whose schools and figures the user may see."""

    serializer_class = ClusterSerializer
    filterset_class = ClusterFilter
    ordering_fields = ["name", "code"]

    def get_queryset(self):
        return (
            selectors.visible_clusters(self.request.user)
            .select_related("district")
            .annotate(school_count=Count("schools"))
            .order_by("district__name", "name")
        )


class SchoolViewSet(viewsets.ReadOnlyModelViewSet):
    """Schools the user may see, with their newest statistics (and every year's in detail)."""

    lookup_field = "urn"
    lookup_value_regex = r"\d+"
    filterset_class = SchoolFilter
    ordering_fields = ["name", "urn"]

    def get_serializer_class(self):
        return SchoolDetailSerializer if self.action == "retrieve" else SchoolSerializer

    def get_queryset(self):
        queryset = (
            selectors.visible_schools(self.request.user)
            .select_related("cluster")
            .prefetch_related(selectors.latest_stats_prefetch())
            .order_by("name")
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("year_stats", queryset=SchoolYearStats.objects.order_by("-academic_year"))
            )
        return queryset


# ---------------------------------------------------------------- imports by upload


class SchoolImportSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.SerializerMethodField()
    applied_by = serializers.SerializerMethodField()
    progress = serializers.IntegerField(read_only=True)

    class Meta:
        model = SchoolImport
        fields = [
            "id",
            "kind",
            "status",
            "filename",
            "mapping_filename",
            "la_code",
            "academic_year",
            "errors",
            "preview",
            "rows_total",
            "rows_done",
            "progress",
            "progress_message",
            "result",
            "message",
            "uploaded_by",
            "applied_by",
            "created_at",
            "applied_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_uploaded_by(self, run) -> str | None:
        return run.uploaded_by.get_username() if run.uploaded_by else None

    def get_applied_by(self, run) -> str | None:
        return run.applied_by.get_username() if run.applied_by else None


class SchoolImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    file = serializers.FileField(
        help_text="gias: the GIAS establishment extract; stats: the DfE's school-level SEN "
        "file or the LA template (CSV)."
    )
    mapping = serializers.FileField(
        required=False, help_text="gias only: the cluster mapping (URN, District, Cluster)."
    )
    year = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="An academic year such as 2025/26 (gias: set that year's figures from "
        "GIAS; stats: import only that year).",
    )

    def _csv(self, upload, what):
        try:
            return check_csv(upload, what)
        except DjangoValidationError as exc:
            raise ValidationError(exc.messages[0] + ".") from exc

    def validate_file(self, upload):
        return self._csv(upload, "file")

    def validate_mapping(self, upload):
        return self._csv(upload, "cluster mapping")

    def validate_year(self, value):
        if not value.strip():
            return None
        year, error = parse_academic_year(value)
        if error:
            raise ValidationError(error)
        return year

    def validate(self, data):
        if data.get("mapping") and data["kind"] != ImportKind.GIAS:
            raise ValidationError({"mapping": "Only a GIAS import takes a cluster mapping."})
        return data


class SchoolImportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """The LA SEND officer only (404 for anyone else). Uploading checks the file and
    answers its preview (status "preview") or its problems (status "rejected", with
    line and column); ``apply`` queues the worker (202; 409 if the preview is stale);
    poll the import for its progress."""

    serializer_class = SchoolImportSerializer
    parser_classes = [MultiPartParser]
    filterset_fields = ["kind", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SchoolImport.objects.none()
        if not can_import_schools(self.request.user):
            raise Http404
        return selectors.school_imports(self.request.user).defer(None)

    @extend_schema(
        request={"multipart/form-data": SchoolImportUploadSerializer},
        responses={201: SchoolImportSerializer},
    )
    def create(self, request, *args, **kwargs):
        self.get_queryset()  # the same 404 for anyone but the LA SEND officer
        data = SchoolImportUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v["kind"] == ImportKind.GIAS:
            mapping = v.get("mapping")
            run = uploads.upload_gias(
                user=request.user,
                data=v["file"].file,
                filename=v["file"].name,
                mapping=mapping.file if mapping else None,
                mapping_filename=mapping.name if mapping else "",
                year=v.get("year"),
            )
        else:
            run = uploads.upload_stats(
                user=request.user, data=v["file"].file, filename=v["file"].name, year=v.get("year")
            )
        out = SchoolImportSerializer(run, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: SchoolImportSerializer})
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        run = uploads.request_apply(user=request.user, run_id=self.get_object().pk)
        out = SchoolImportSerializer(run, context=self.get_serializer_context())
        return Response(out.data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: SchoolImportSerializer})
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        run = uploads.discard(user=request.user, run_id=self.get_object().pk)
        return Response(SchoolImportSerializer(run, context=self.get_serializer_context()).data)
