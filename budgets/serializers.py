from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from clusters.models import School
from funding.models import FundingRequest, FundingStream
from portal.fields import ApiMoneyField

from .models import (
    TERM_DAY_FIELDS,
    AllocationRun,
    ClusterBudget,
    FinancialYear,
    LedgerEntry,
    PaymentInstalment,
    TermDates,
)
from .selectors import totals_from_sums

MONEY = {"max_digits": 14, "decimal_places": 2}


class BudgetSerializer(serializers.ModelSerializer):
    """A budget with its totals, each the sum of its ledger."""

    cluster_name = serializers.CharField(source="cluster.name", read_only=True)
    stream_code = serializers.CharField(source="stream.code", read_only=True)
    financial_year = serializers.CharField(source="year.label", read_only=True)
    allocated = serializers.SerializerMethodField()
    committed = serializers.SerializerMethodField()
    paid = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    percent_committed = serializers.SerializerMethodField()
    overrides = serializers.IntegerField(source="override_count", read_only=True)

    class Meta:
        model = ClusterBudget
        fields = [
            "id",
            "cluster",
            "cluster_name",
            "stream",
            "stream_code",
            "financial_year",
            "allocated",
            "committed",
            "paid",
            "available",
            "percent_committed",
            "overrides",
            "version",
        ]
        read_only_fields = ["version"]

    def _totals(self, obj):
        return totals_from_sums(obj)

    def get_allocated(self, obj) -> str:
        return str(self._totals(obj).allocated)

    def get_committed(self, obj) -> str:
        return str(self._totals(obj).committed)

    def get_paid(self, obj) -> str:
        return str(self._totals(obj).paid)

    def get_available(self, obj) -> str:
        return str(self._totals(obj).available)

    def get_percent_committed(self, obj) -> str:
        return str(self._totals(obj).percent_committed)


class LedgerEntrySerializer(serializers.ModelSerializer):
    request_reference = serializers.CharField(
        source="request.reference", read_only=True, default=None, allow_null=True
    )
    created_by = serializers.CharField(
        source="created_by.username", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "budget",
            "kind",
            "amount",
            "reason",
            "created_by",
            "created_at",
            "request",
            "request_reference",
            "school",
            "allocation_run",
            "override",
            "batch",
        ]
        read_only_fields = fields


class AllocationInputSerializer(serializers.Serializer):
    stream = serializers.PrimaryKeyRelatedField(queryset=FundingStream.objects.all())
    year = serializers.SlugRelatedField(
        slug_field="start_year", queryset=FinancialYear.objects.all()
    )
    pot = ApiMoneyField(name="the county pot", max_digits=14, min_value=Decimal("0.01"))
    weight_roll = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal("0"))
    weight_fsm = serializers.DecimalField(max_digits=7, decimal_places=4, min_value=Decimal("0"))
    weight_sen_support = serializers.DecimalField(
        max_digits=7, decimal_places=4, min_value=Decimal("0")
    )
    lump_sum = ApiMoneyField(name="the lump sum", max_digits=14, default=Decimal("0"))


class ShareSerializer(serializers.Serializer):
    cluster = serializers.IntegerField(source="cluster_id")
    name = serializers.CharField()
    roll = serializers.IntegerField()
    fsm = serializers.IntegerField()
    sen_support = serializers.IntegerField()
    roll_share = serializers.DecimalField(max_digits=12, decimal_places=8)
    fsm_share = serializers.DecimalField(max_digits=12, decimal_places=8)
    sen_share = serializers.DecimalField(max_digits=12, decimal_places=8)
    weighted_share = serializers.DecimalField(max_digits=12, decimal_places=8)
    lump_sum = serializers.DecimalField(**MONEY)
    exact = serializers.DecimalField(max_digits=20, decimal_places=6)
    amount = serializers.DecimalField(**MONEY)


class AllocationPlanSerializer(serializers.Serializer):
    pot = serializers.DecimalField(**MONEY)
    lump_sum = serializers.DecimalField(**MONEY)
    formula_pot = serializers.DecimalField(**MONEY)
    stats_year = serializers.IntegerField(allow_null=True)
    total_allocated = serializers.DecimalField(**MONEY)
    shares = ShareSerializer(many=True)


class AllocationRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = AllocationRun
        fields = [
            "id",
            "stream",
            "year",
            "pot",
            "weight_roll",
            "weight_fsm",
            "weight_sen_support",
            "lump_sum",
            "stats_year",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class AdjustmentInputSerializer(serializers.Serializer):
    budget = serializers.PrimaryKeyRelatedField(queryset=ClusterBudget.objects.all())
    amount = ApiMoneyField(name="the amount", max_digits=14, allow_negative=True)
    reason = serializers.CharField()
    move_to = serializers.PrimaryKeyRelatedField(
        queryset=ClusterBudget.objects.all(), required=False, allow_null=True
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The budget's version as you read it (GET /budgets/): it goes up by one "
        "with every allocation, adjustment or move. If the budget was changed meanwhile, "
        "the change is refused with 409 (naming the change saved meanwhile) and nothing is "
        "written. Leave it out to change the budget whatever its version.",
    )


class OverrideInputSerializer(serializers.Serializer):
    request = serializers.SlugRelatedField(
        slug_field="reference", queryset=FundingRequest.objects.exclude(reference=None)
    )
    reason = serializers.CharField()


class InstalmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PaymentInstalment
        fields = ["id", "due_date", "term", "school", "budget", "amount", "status", "payment"]
        read_only_fields = fields


class RequestMoneySerializer(serializers.Serializer):
    """A request's budget history (LA officers): totals, ledger lines and instalments."""

    id = serializers.IntegerField(source="request.pk")
    reference = serializers.CharField(source="request.reference")
    state = serializers.CharField(source="request.state")
    school = serializers.IntegerField(source="request.school_id")
    cluster = serializers.IntegerField(source="request.cluster_id")
    committed = serializers.DecimalField(source="totals.committed", **MONEY)
    paid = serializers.DecimalField(source="totals.paid", **MONEY)
    unpaid = serializers.DecimalField(source="totals.unpaid_commitment", **MONEY)
    entries = LedgerEntrySerializer(many=True)
    instalments = InstalmentSerializer(many=True)


class MovePupilInputSerializer(serializers.Serializer):
    new_school = serializers.PrimaryKeyRelatedField(
        queryset=School.objects.filter(is_open=True, cluster__isnull=False)
    )
    reason = serializers.CharField()
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReduceAwardInputSerializer(serializers.Serializer):
    new_amount = ApiMoneyField(name="the new award", max_digits=14)
    reason = serializers.CharField()


class PaymentRunSerializer(serializers.Serializer):
    paid = serializers.IntegerField(read_only=True)


class TermDatesSerializer(serializers.ModelSerializer):
    """One academic year's terms and half-terms (ISO dates)."""

    academic_year = serializers.IntegerField(
        min_value=2000, max_value=2100, help_text="The year it starts: 2026 for 2026/27."
    )
    label = serializers.CharField(read_only=True)
    version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="The version you read: a change based on an older one is refused (409).",
    )

    class Meta:
        model = TermDates
        fields = ["academic_year", "label", *TERM_DAY_FIELDS, "version", "updated_at"]
        read_only_fields = ["updated_at"]
        validators: list = []  # the service says why, in words
