"""Read-only representations for /api/v1/ districts, clusters and schools."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Cluster, District, School, SchoolYearStats


class ClusterNameSerializer(serializers.ModelSerializer):
    class Meta:
        model = Cluster
        fields = ["id", "code", "name"]


class DistrictSerializer(serializers.ModelSerializer):
    # Cluster names are public to anyone with a role (see clusters.selectors).
    clusters = ClusterNameSerializer(many=True, read_only=True)

    class Meta:
        model = District
        fields = ["id", "code", "name", "clusters"]


class SchoolYearStatsSerializer(serializers.ModelSerializer):
    ehcp_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    sen_support_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)

    class Meta:
        model = SchoolYearStats
        fields = [
            "academic_year",
            "number_on_roll",
            "fsm_pupils",
            "fsm_percent",
            "ehcp_pupils",
            "ehcp_percent",
            "sen_support_pupils",
            "sen_support_percent",
            "suspensions",
            "permanent_exclusions",
            "sen_joiners_no_move",
            "notional_sen_budget",
        ]


class ClusterSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True)
    school_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Cluster
        fields = ["id", "code", "name", "district", "district_name", "school_count"]


class SchoolSerializer(serializers.ModelSerializer):
    # Null only while an import reports the school unmapped (clusters.models.School).
    cluster = ClusterNameSerializer(read_only=True, allow_null=True)
    phase_label = serializers.CharField(source="get_phase_display", read_only=True)
    latest_stats = serializers.SerializerMethodField()

    class Meta:
        model = School
        fields = [
            "urn",
            "name",
            "la_code",
            "la_name",
            "establishment_type",
            "phase",
            "phase_label",
            "gias_phase",
            "status",
            "is_open",
            "open_date",
            "close_date",
            "statutory_low_age",
            "statutory_high_age",
            "postcode",
            "cluster",
            "latest_stats",
        ]

    @extend_schema_field(SchoolYearStatsSerializer(allow_null=True))
    def get_latest_stats(self, school: School):
        rows = getattr(school, "latest_stats_list", None)
        return SchoolYearStatsSerializer(rows[0]).data if rows else None


class SchoolDetailSerializer(SchoolSerializer):
    year_stats = SchoolYearStatsSerializer(many=True, read_only=True)

    class Meta(SchoolSerializer.Meta):
        fields = [*SchoolSerializer.Meta.fields, "year_stats"]
