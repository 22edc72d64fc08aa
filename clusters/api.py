"""Read-only API for districts, clusters and schools; the selectors decide what each user sees."""

from django.db.models import Count, Prefetch
from rest_framework import viewsets

from . import selectors
from .filters import ClusterFilter, SchoolFilter
from .models import Cluster, SchoolYearStats
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
