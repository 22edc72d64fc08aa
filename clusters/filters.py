"""Filters for the clusters API lists."""

import django_filters
from django.db.models import Q

from portal.filters import IdFilter, as_id

from .models import Cluster, Phase, School


class ClusterFilter(django_filters.FilterSet):
    district = django_filters.CharFilter(field_name="district__code", label="District code")

    class Meta:
        model = Cluster
        fields = ["district", "code"]


class SchoolFilter(django_filters.FilterSet):
    cluster = IdFilter(field_name="cluster_id", label="Cluster id")
    cluster_code = django_filters.CharFilter(field_name="cluster__code")
    district = django_filters.CharFilter(
        field_name="cluster__district__code", label="District code"
    )
    phase = django_filters.ChoiceFilter(choices=Phase.choices)
    is_open = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="search", label="Name or URN contains")

    class Meta:
        model = School
        fields = ["cluster", "cluster_code", "district", "phase", "is_open", "la_code"]

    def search(self, queryset, name, value):
        value = value.strip()
        condition = Q(name__icontains=value)
        urn = as_id(value)
        if urn is not None:
            condition |= Q(urn=urn)
        return queryset.filter(condition)
