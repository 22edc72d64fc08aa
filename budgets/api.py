"""Budgets API: totals (scoped), the ledger (LA), allocation, adjustments and overrides
(finance officers). Reads go through the selectors, writes through the services."""

from __future__ import annotations

from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from portal.roles import scope_for

from . import selectors, services
from .allocation import AllocationInputError, Weights, default_stats_year, plan_allocation
from .models import AllocationRun, BudgetOverride, LedgerEntry
from .serializers import (
    AdjustmentInputSerializer,
    AllocationInputSerializer,
    AllocationPlanSerializer,
    AllocationRunSerializer,
    BudgetSerializer,
    LedgerEntrySerializer,
    OverrideInputSerializer,
)

FILTERS = [
    OpenApiParameter("cluster", int),
    OpenApiParameter("stream", int),
    OpenApiParameter("year", int, description="Start year of the financial year, e.g. 2026"),
]


def _filters(request) -> dict:
    def number(name):
        value = request.query_params.get(name, "")
        return int(value) if value.isdigit() else None

    return {
        "cluster": number("cluster"),
        "stream": number("stream"),
        "year": number("year"),
        "date_from": parse_date(request.query_params.get("date_from", "") or "") or None,
        "date_to": parse_date(request.query_params.get("date_to", "") or "") or None,
    }


def _finance_only(request) -> None:
    if not scope_for(request.user).is_finance_officer:
        raise PermissionDenied("Only an LA finance officer can do this.")


@extend_schema(parameters=FILTERS)
class BudgetViewSet(viewsets.ReadOnlyModelViewSet):
    """Cluster budgets with totals: every cluster for LA officers, their own for schools."""

    serializer_class = BudgetSerializer
    filter_backends: list = []

    def get_queryset(self):
        qs = self._filtered(_filters(self.request))
        return selectors.with_totals(qs).order_by(
            "year__start_year", "cluster__name", "stream__name"
        )

    def _filtered(self, f):
        qs = selectors.visible_budgets(self.request.user)
        if f["cluster"]:
            qs = qs.filter(cluster_id=f["cluster"])
        if f["stream"]:
            qs = qs.filter(stream_id=f["stream"])
        if f["year"]:
            qs = qs.filter(year__start_year=f["year"])
        return qs


@extend_schema(
    parameters=[
        *FILTERS,
        OpenApiParameter("date_from", str, description="YYYY-MM-DD"),
        OpenApiParameter("date_to", str, description="YYYY-MM-DD"),
    ]
)
class LedgerViewSet(viewsets.ReadOnlyModelViewSet):
    """The ledger, line by line (LA officers only; school staff see totals, not lines)."""

    serializer_class = LedgerEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.filter_ledger(
            selectors.visible_ledger(self.request.user), **_filters(self.request)
        ).order_by("-id")


class AllocationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Formula allocations: preview the shares, then allocate (finance officers)."""

    serializer_class = AllocationRunSerializer
    filter_backends: list = []

    def get_queryset(self):
        if not scope_for(self.request.user).is_la:
            return AllocationRun.objects.none()
        return AllocationRun.objects.order_by("-created_at")

    def _plan(self, request):
        _finance_only(request)
        data = AllocationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        weights = Weights(d["weight_roll"], d["weight_fsm"], d["weight_sen_support"])
        return d, weights, default_stats_year(d["year"].start_year)

    @extend_schema(request=AllocationInputSerializer, responses=AllocationPlanSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request):
        d, weights, stats_year = self._plan(request)
        try:
            plan = plan_allocation(d["pot"], weights, lump_sum=d["lump_sum"], stats_year=stats_year)
        except AllocationInputError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(AllocationPlanSerializer(plan).data)

    @extend_schema(request=AllocationInputSerializer, responses={201: AllocationPlanSerializer})
    def create(self, request):
        d, weights, stats_year = self._plan(request)
        try:
            _, plan = services.allocate_by_formula(
                stream=d["stream"],
                year=d["year"],
                pot=d["pot"],
                weights=weights,
                lump_sum=d["lump_sum"],
                stats_year=stats_year,
                user=request.user,
            )
        except services.BudgetError as exc:
            raise ValidationError({"detail": exc.message}) from None
        return Response(AllocationPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class AdjustmentViewSet(viewsets.GenericViewSet):
    """Adjust a budget, or move money between clusters' budgets, with a reason."""

    serializer_class = AdjustmentInputSerializer
    queryset = LedgerEntry.objects.none()  # writes only; named for the schema

    @extend_schema(
        request=AdjustmentInputSerializer, responses={201: LedgerEntrySerializer(many=True)}
    )
    def create(self, request):
        _finance_only(request)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        try:
            if d.get("move_to"):
                entries = services.transfer(
                    d["budget"], d["move_to"], d["amount"], user=request.user, reason=d["reason"]
                )
            else:
                entries = [
                    services.adjust(d["budget"], d["amount"], user=request.user, reason=d["reason"])
                ]
        except services.BudgetError as exc:
            raise ValidationError({"detail": exc.message}) from None
        return Response(
            LedgerEntrySerializer(entries, many=True).data, status=status.HTTP_201_CREATED
        )


class OverrideViewSet(viewsets.GenericViewSet):
    """A finance officer allows a request's approval to go over budget, with a reason."""

    serializer_class = OverrideInputSerializer
    queryset = BudgetOverride.objects.none()  # writes only; named for the schema

    @extend_schema(request=OverrideInputSerializer, responses={201: None})
    def create(self, request):
        _finance_only(request)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            override = services.record_override(
                data.validated_data["request"],
                user=request.user,
                reason=data.validated_data["reason"],
            )
        except services.BudgetError as exc:
            raise ValidationError({"detail": exc.message}) from None
        return Response({"id": override.pk}, status=status.HTTP_201_CREATED)
