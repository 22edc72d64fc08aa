"""Budgets API: totals (scoped), the ledger (LA), allocation, adjustments and overrides
(finance officers). Reads go through the selectors, writes through the services."""

from __future__ import annotations

from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from portal.api_errors import REFUSED
from portal.api_views import SavedThroughService
from portal.filters import as_id

from . import policy, selectors, services
from .allocation import Weights, default_stats_year, plan_allocation
from .models import (
    TERM_DAY_FIELDS,
    AllocationRun,
    BudgetOverride,
    LedgerEntry,
    PaymentInstalment,
    TermDates,
)
from .serializers import (
    AdjustmentInputSerializer,
    AllocationInputSerializer,
    AllocationPlanSerializer,
    AllocationRunSerializer,
    BudgetSerializer,
    LedgerEntrySerializer,
    MovePupilInputSerializer,
    OverrideInputSerializer,
    PaymentRunSerializer,
    ReduceAwardInputSerializer,
    RequestMoneySerializer,
    TermDatesSerializer,
)

FILTERS = [
    OpenApiParameter("cluster", int),
    OpenApiParameter("stream", int),
    OpenApiParameter("year", int, description="Start year of the financial year, e.g. 2026"),
]


def _filters(request) -> dict:
    def number(name):
        return as_id(request.query_params.get(name))

    return {
        "cluster": number("cluster"),
        "stream": number("stream"),
        "year": number("year"),
        "date_from": parse_date(request.query_params.get("date_from", "") or "") or None,
        "date_to": parse_date(request.query_params.get("date_to", "") or "") or None,
    }


def _finance_only(request) -> None:
    if not policy.can_manage_budgets(request.user):
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
        if not policy.can_see_county_budgets(self.request.user):
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
        plan = plan_allocation(d["pot"], weights, lump_sum=d["lump_sum"], stats_year=stats_year)
        return Response(AllocationPlanSerializer(plan).data)

    @extend_schema(request=AllocationInputSerializer, responses={201: AllocationPlanSerializer})
    def create(self, request):
        d, weights, stats_year = self._plan(request)
        _, plan = services.allocate_by_formula(
            stream=d["stream"],
            year=d["year"],
            pot=d["pot"],
            weights=weights,
            lump_sum=d["lump_sum"],
            stats_year=stats_year,
            user=request.user,
        )
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
        common = {"user": request.user, "reason": d["reason"], "version": d.get("version")}
        if d.get("move_to"):
            entries = services.transfer(d["budget"], d["move_to"], d["amount"], **common)
        else:
            entries = [services.adjust(d["budget"], d["amount"], **common)]
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
        override = services.record_override(
            data.validated_data["request"],
            user=request.user,
            reason=data.validated_data["reason"],
        )
        return Response({"id": override.pk}, status=status.HTTP_201_CREATED)


class RequestMoneyViewSet(viewsets.GenericViewSet):
    """A funded request's money (LA officers; anyone else gets 404): its history, the
    pupil's move to another school (the unspent award follows them) and a reduced award."""

    serializer_class = RequestMoneySerializer
    queryset = LedgerEntry.objects.none()  # the request is looked up through the selectors

    @extend_schema(responses=RequestMoneySerializer)
    def retrieve(self, request, pk=None):
        money = selectors.request_money(request.user, self._pk(pk))
        return Response(RequestMoneySerializer(money).data)

    @staticmethod
    def _pk(pk) -> int:
        number = as_id(str(pk))
        if number is None:
            raise NotFound()
        return number

    def _write(self, request, pk, serializer_class, do):
        fr = selectors.get_request_for_money(request.user, self._pk(pk))
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        do(fr, data.validated_data)
        money = selectors.request_money(request.user, fr.pk)
        return Response(RequestMoneySerializer(money).data, status=status.HTTP_200_OK)

    @extend_schema(request=MovePupilInputSerializer, responses=RequestMoneySerializer)
    @action(detail=True, methods=["post"], url_path="move-pupil")
    def move_pupil(self, request, pk=None):
        """The pupil moved school: an LA officer moves the unspent award with them. If the
        receiving budget cannot cover it, a finance officer must give ``override_reason``."""
        return self._write(
            request,
            pk,
            MovePupilInputSerializer,
            lambda fr, d: services.move_pupil(
                fr,
                d["new_school"],
                user=request.user,
                reason=d["reason"],
                override_reason=d["override_reason"],
            ),
        )

    @extend_schema(request=ReduceAwardInputSerializer, responses=RequestMoneySerializer)
    @action(detail=True, methods=["post"], url_path="reduce-award")
    def reduce_award(self, request, pk=None):
        """A finance officer lowers the award with a reason; the difference is released."""
        _finance_only(request)
        return self._write(
            request,
            pk,
            ReduceAwardInputSerializer,
            lambda fr, d: services.reduce_award(
                fr, d["new_amount"], user=request.user, reason=d["reason"]
            ),
        )


class PaymentRunViewSet(viewsets.GenericViewSet):
    """Run the payment of every instalment due by today now (finance officers). Idempotent:
    running it again pays only what is still unpaid."""

    serializer_class = PaymentRunSerializer
    queryset = PaymentInstalment.objects.none()  # writes only; named for the schema

    @extend_schema(request=None, responses={201: PaymentRunSerializer})
    def create(self, request):
        _finance_only(request)
        paid = services.pay_due_instalments(user=request.user)
        return Response({"paid": paid}, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="The LA's term dates entered, by academic year"),
    retrieve=extend_schema(summary="One academic year's term dates"),
    create=extend_schema(
        summary="LA SEND officers: enter a year's term dates",
        responses={201: TermDatesSerializer, 400: REFUSED, 403: None},
    ),
    partial_update=extend_schema(
        summary="LA SEND officers: change a year's term dates (send the version read)",
        responses={200: TermDatesSerializer, 400: REFUSED, 403: None, 404: None, 409: REFUSED},
    ),
)
class TermDatesViewSet(
    SavedThroughService,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Every signed-in user reads the term dates; the LA SEND officer enters and changes
    them, through the same service as the page."""

    serializer_class = TermDatesSerializer
    lookup_field = "academic_year"

    def get_queryset(self):
        return TermDates.objects.order_by("-academic_year")

    def _save(self, request, existing=None, status_code=status.HTTP_200_OK):
        if not policy.can_manage_term_dates(request.user):
            raise PermissionDenied("Only LA SEND officers change the term dates.")
        serializer = TermDatesSerializer(existing, data=request.data, partial=existing is not None)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        days = {f: data.get(f, getattr(existing, f, None)) for f in TERM_DAY_FIELDS}
        saved = services.save_term_dates(
            user=request.user,
            term_dates=existing,
            academic_year=existing.academic_year if existing else data["academic_year"],
            version=data.get("version"),
            **days,
        )
        return Response(TermDatesSerializer(saved).data, status=status_code)
