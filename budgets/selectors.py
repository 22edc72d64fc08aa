"""Every read of budgets and the ledger, scoped by the reader.

LA officers see every cluster; school staff and panel members see their own
cluster's totals only (never the ledger's lines). An object outside the scope
answers 404. Totals are always sums over the ledger, computed in SQL with
conditional sums, so a page costs a fixed number of queries whatever the
number of clusters.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DecimalField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404
from django.utils import timezone

from clusters.models import Cluster
from funding.models import FundingRequest, FundingStream, RequestEvent
from portal.roles import Scope, scope_for

from .models import (
    PENNY,
    ZERO,
    BudgetOverride,
    ClusterBudget,
    EntryKind,
    FinancialYear,
    LedgerEntry,
    PaymentInstalment,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
ALERT_AMBER = Decimal("75")
ALERT_RED = Decimal("90")


def _sum(path: str, kind: str, extra: Q | None = None) -> Coalesce:
    prefix = f"{path}__" if path else ""
    condition = Q(**{f"{prefix}kind": kind})
    if extra is not None:
        condition &= extra
    return Coalesce(Sum(f"{prefix}amount", filter=condition), Value(ZERO), output_field=MONEY)


def with_totals(qs: QuerySet[ClusterBudget]) -> QuerySet[ClusterBudget]:
    """Annotate budgets with the ledger sums by kind (one grouped query)."""
    return qs.annotate(
        sum_allocation=_sum("entries", EntryKind.ALLOCATION),
        sum_adjustment=_sum("entries", EntryKind.ADJUSTMENT),
        sum_commitment=_sum("entries", EntryKind.COMMITMENT),
        sum_release=_sum("entries", EntryKind.RELEASE),
        sum_payment=_sum("entries", EntryKind.PAYMENT),
        override_count=Count("entries", filter=Q(entries__override__isnull=False), distinct=True),
        last_entry_id=Max("entries__id"),
    )


@dataclass
class Totals:
    allocated: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def available(self) -> Decimal:
        return self.allocated - self.committed

    @property
    def unpaid_commitment(self) -> Decimal:
        return self.committed - self.paid

    @property
    def percent_committed(self) -> Decimal:
        if self.allocated <= 0:
            return Decimal("100") if self.committed > 0 else ZERO
        return (self.committed * 100 / self.allocated).quantize(Decimal("0.1"))

    @property
    def alert(self) -> str:
        pct = self.percent_committed
        if self.available < 0:
            return "over"
        if pct >= ALERT_RED:
            return "red"
        if pct >= ALERT_AMBER:
            return "amber"
        return ""

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.allocated + other.allocated,
            self.committed + other.committed,
            self.paid + other.paid,
        )


def totals_from_sums(row) -> Totals:
    """Totals from a row annotated by :func:`with_totals` (object or dict)."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    return Totals(
        allocated=(get("sum_allocation") + get("sum_adjustment")).quantize(PENNY),
        committed=(get("sum_commitment") - get("sum_release")).quantize(PENNY),
        paid=get("sum_payment").quantize(PENNY),
    )


def ledger_totals(entries: QuerySet[LedgerEntry]) -> Totals:
    """Totals of any set of ledger entries (one query)."""
    sums = entries.aggregate(**{f"sum_{kind}": _sum("", kind) for kind in EntryKind.values})
    return totals_from_sums(sums)


def budget_totals(budget: ClusterBudget) -> Totals:
    return ledger_totals(LedgerEntry.objects.filter(budget=budget))


def request_budget_balances(funding_request: FundingRequest) -> dict[int, Totals]:
    """Per budget, what this request has committed and been paid there."""
    rows = (
        LedgerEntry.objects.filter(request=funding_request)
        .values("budget_id")
        .annotate(**{f"sum_{kind}": _sum("", kind) for kind in EntryKind.values})
    )
    return {r["budget_id"]: totals_from_sums(r) for r in rows}


def request_totals(funding_request: FundingRequest) -> Totals:
    return ledger_totals(LedgerEntry.objects.filter(request=funding_request))


# --- scoping -----------------------------------------------------------------


def _scope(user_or_scope: AbstractBaseUser | Scope) -> Scope:
    return user_or_scope if isinstance(user_or_scope, Scope) else scope_for(user_or_scope)


def visible_budgets(user: AbstractBaseUser | Scope) -> QuerySet[ClusterBudget]:
    scope = _scope(user)
    qs = ClusterBudget.objects.select_related("cluster", "stream", "year")
    if scope.is_la:
        return qs
    return qs.filter(cluster_id__in=scope.cluster_ids)


def get_budget(user: AbstractBaseUser | Scope, pk: int) -> ClusterBudget:
    try:
        return with_totals(visible_budgets(user)).get(pk=pk)
    except ClusterBudget.DoesNotExist:
        raise Http404("No such budget") from None


def visible_clusters(user: AbstractBaseUser | Scope) -> QuerySet[Cluster]:
    scope = _scope(user)
    qs = Cluster.objects.select_related("district")
    return qs if scope.is_la else qs.filter(pk__in=scope.cluster_ids)


def get_cluster(user: AbstractBaseUser | Scope, pk: int) -> Cluster:
    try:
        return visible_clusters(user).get(pk=pk)
    except Cluster.DoesNotExist:
        raise Http404("No such cluster") from None


def visible_ledger(user: AbstractBaseUser | Scope) -> QuerySet[LedgerEntry]:
    """Ledger lines name who did what and why: LA officers only."""
    scope = _scope(user)
    if not scope.is_la:
        return LedgerEntry.objects.none()
    return LedgerEntry.objects.select_related(
        "budget__cluster", "budget__stream", "budget__year", "created_by", "request", "school"
    )


def visible_instalments(user: AbstractBaseUser | Scope) -> QuerySet[PaymentInstalment]:
    scope = _scope(user)
    if not scope.is_la:
        return PaymentInstalment.objects.none()
    return PaymentInstalment.objects.select_related(
        "request", "school", "budget__cluster", "budget__stream", "budget__year", "payment"
    )


def filter_ledger(
    qs: QuerySet,
    *,
    cluster: int | None = None,
    stream: int | None = None,
    year: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    date_field: str = "created_at__date",
    budget_path: str = "budget",
) -> QuerySet:
    if cluster:
        qs = qs.filter(**{f"{budget_path}__cluster_id": cluster})
    if stream:
        qs = qs.filter(**{f"{budget_path}__stream_id": stream})
    if year:
        qs = qs.filter(**{f"{budget_path}__year__start_year": year})
    if date_from:
        qs = qs.filter(**{f"{date_field}__gte": date_from})
    if date_to:
        qs = qs.filter(**{f"{date_field}__lte": date_to})
    return qs


# --- for other apps ------------------------------------------------------------


def cluster_available(
    cluster: Cluster, stream: FundingStream, on_date: date | None = None
) -> Decimal | None:
    """What the cluster can still commit from this stream this financial year (None: no budget)."""
    day = on_date or timezone.localdate()
    budget = with_totals(
        ClusterBudget.objects.filter(
            cluster=cluster,
            stream=stream,
            year__start_year=FinancialYear.start_year_for(day),
        )
    ).first()
    return None if budget is None else totals_from_sums(budget).available


def unused_override(funding_request: FundingRequest) -> BudgetOverride | None:
    return (
        BudgetOverride.objects.filter(request=funding_request, entries__isnull=True)
        .order_by("-created_at")
        .first()
    )


# --- dashboards ----------------------------------------------------------------


@dataclass
class Forecast:
    """Year-end committed and available at the run rate, with best and worst case."""

    months_elapsed: int
    months_left: int
    run_rate: Decimal
    expected_committed: Decimal
    best_available: Decimal
    expected_available: Decimal
    worst_available: Decimal


def forecast(
    totals: Totals, monthly_net: list[Decimal], months_elapsed: int, months_left: int
) -> Forecast:
    """Project the commitment run rate to 31 March.

    The run rate is the mean net commitment per elapsed month; best and worst
    case use the quietest and busiest past month (the spread an LA would model).
    """
    months = list(monthly_net[:months_elapsed]) or [ZERO]
    rate = (sum(months, ZERO) / len(months)).quantize(Decimal("0.01"))
    low, high = min(months), max(months)
    expected = totals.committed + rate * months_left
    return Forecast(
        months_elapsed=months_elapsed,
        months_left=months_left,
        run_rate=rate,
        expected_committed=expected,
        best_available=totals.allocated - (totals.committed + max(low, ZERO) * months_left),
        expected_available=totals.allocated - expected,
        worst_available=totals.allocated - (totals.committed + high * months_left),
    )


def _month_index(year: FinancialYear, day: date) -> int:
    """0 for April, 11 for March."""
    return (day.year - year.start_year) * 12 + day.month - 4


def _months_elapsed(year: FinancialYear, today: date) -> tuple[int, int]:
    if today < year.start:
        return 0, 12
    if today > year.end:
        return 12, 0
    elapsed = _month_index(year, today) + 1
    return elapsed, 12 - elapsed


def monthly_commitments(budget_ids_qs: QuerySet, year: FinancialYear) -> dict[int, list[Decimal]]:
    """Net commitment (commitment − release) per budget per month of the year (one query)."""
    rows = (
        LedgerEntry.objects.filter(
            budget__in=budget_ids_qs, kind__in=[EntryKind.COMMITMENT, EntryKind.RELEASE]
        )
        .annotate(month=TruncMonth("created_at"))
        .values("budget_id", "month")
        .annotate(
            c=_sum("", EntryKind.COMMITMENT),
            r=_sum("", EntryKind.RELEASE),
        )
    )
    by_budget: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for row in rows:
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        index = _month_index(year, month)
        if 0 <= index < 12:
            by_budget[row["budget_id"]][index] += row["c"] - row["r"]
    return by_budget


@dataclass
class BudgetRow:
    budget_id: int
    cluster_id: int
    cluster: str
    district: str
    stream: str
    totals: Totals
    overrides: int
    monthly: list[Decimal]
    forecast: Forecast

    @property
    def trend(self) -> Decimal:
        """Net commitment in the latest elapsed month."""
        elapsed = self.forecast.months_elapsed
        return self.monthly[elapsed - 1] if elapsed else ZERO


@dataclass
class BudgetBoard:
    year: FinancialYear | None
    stream: FundingStream | None
    rows: list[BudgetRow] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    monthly: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)
    forecast: Forecast | None = None
    version: str = "0"

    @property
    def alerts(self) -> list[BudgetRow]:
        return [r for r in self.rows if r.totals.alert]

    @property
    def overridden(self) -> list[BudgetRow]:
        return [r for r in self.rows if r.overrides]

    @property
    def month_labels(self) -> list[str]:
        if not self.year:
            return []
        names = ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
        return [f"{n} {self.year.start_year + (1 if i >= 9 else 0)}" for i, n in enumerate(names)]

    @property
    def cumulative(self) -> list[Decimal]:
        running, out = ZERO, []
        elapsed = self.forecast.months_elapsed if self.forecast else 12
        for i, m in enumerate(self.monthly):
            running += m
            out.append(running if i < max(elapsed, 1) else None)
        return out


def ledger_version(cluster_ids: list[int] | None = None) -> str:
    """A cheap fingerprint of the ledger: the newest entry's id (one indexed query)."""
    qs = LedgerEntry.objects.all()
    if cluster_ids is not None:
        qs = qs.filter(budget__cluster_id__in=cluster_ids)
    return str(qs.aggregate(m=Max("id"))["m"] or 0)


def budget_board(
    user: AbstractBaseUser | Scope,
    *,
    year: FinancialYear | None = None,
    stream: FundingStream | None = None,
    cluster_ids: list[int] | None = None,
    today: date | None = None,
) -> BudgetBoard:
    """Every visible budget for the year with totals, trend and forecast (two queries)."""
    today = today or timezone.localdate()
    if year is None:
        year = FinancialYear.objects.filter(start_year=FinancialYear.start_year_for(today)).first()
    board = BudgetBoard(year=year, stream=stream)
    if year is None:
        return board
    budgets = visible_budgets(user).filter(year=year)
    if stream is not None:
        budgets = budgets.filter(stream=stream)
    if cluster_ids is not None:
        budgets = budgets.filter(cluster_id__in=cluster_ids)
    rows = list(
        with_totals(budgets)
        .values(
            "id",
            "cluster_id",
            "cluster__name",
            "cluster__district__name",
            "stream__name",
            "sum_allocation",
            "sum_adjustment",
            "sum_commitment",
            "sum_release",
            "sum_payment",
            "override_count",
            "last_entry_id",
        )
        .order_by("cluster__district__name", "cluster__name", "stream__name")
    )
    monthly = monthly_commitments(budgets.values("id"), year)
    elapsed, left = _months_elapsed(year, today)
    for r in rows:
        totals = totals_from_sums(r)
        months = monthly.get(r["id"], [ZERO] * 12)
        board.rows.append(
            BudgetRow(
                budget_id=r["id"],
                cluster_id=r["cluster_id"],
                cluster=r["cluster__name"],
                district=r["cluster__district__name"],
                stream=r["stream__name"],
                totals=totals,
                overrides=r["override_count"],
                monthly=months,
                forecast=forecast(totals, months[:elapsed], elapsed, left),
            )
        )
        board.totals = board.totals + totals
        board.monthly = [a + b for a, b in zip(board.monthly, months, strict=True)]
    board.version = str(max((r["last_entry_id"] or 0 for r in rows), default=0))
    board.forecast = forecast(board.totals, board.monthly[:elapsed], elapsed, left)
    return board


@dataclass
class SchoolLine:
    school_id: int
    school: str
    requests: int = 0
    decided: int = 0
    requested: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO


def cluster_schools(cluster: Cluster, year: FinancialYear | None) -> list[SchoolLine]:
    """Requests and awards by school in the cluster (two queries)."""
    lines: dict[int, SchoolLine] = {
        s.pk: SchoolLine(s.pk, s.name) for s in cluster.schools.order_by("name").only("id", "name")
    }
    requests = FundingRequest.objects.filter(cluster=cluster).exclude(state="draft")
    if year is not None:
        # The year's requests: sent in it, or holding money on its budget (decided later).
        with_money = LedgerEntry.objects.filter(budget__year=year, budget__cluster=cluster)
        requests = requests.filter(
            Q(submitted_at__date__gte=year.start, submitted_at__date__lte=year.end)
            | Q(pk__in=with_money.values("request_id"))
        )
    decided_states = [
        "approved",
        "partially_approved",
        "active",
        "review_due",
        "closed",
        "declined",
    ]
    for row in requests.values("school_id").annotate(
        n=Count("id"),
        decided=Count("id", filter=Q(state__in=decided_states)),
        requested=Coalesce(Sum("amount_requested"), Value(ZERO), output_field=MONEY),
    ):
        line = lines.setdefault(row["school_id"], SchoolLine(row["school_id"], "(moved)"))
        line.requests, line.decided, line.requested = row["n"], row["decided"], row["requested"]
    money = LedgerEntry.objects.filter(budget__cluster=cluster, school__isnull=False)
    if year is not None:
        money = money.filter(budget__year=year)
    for row in money.values("school_id").annotate(
        **{f"sum_{kind}": _sum("", kind) for kind in EntryKind.values}
    ):
        totals = totals_from_sums(row)
        line = lines.setdefault(row["school_id"], SchoolLine(row["school_id"], "(moved)"))
        line.committed, line.paid = totals.committed, totals.paid
    return list(lines.values())


def cluster_requests(user: AbstractBaseUser | Scope, cluster: Cluster, limit: int = 50):
    """The cluster's decided requests with their award; LA officers see all, school staff their own."""
    scope = _scope(user)
    qs = FundingRequest.objects.filter(cluster=cluster).exclude(state="draft")
    if not scope.is_la:
        qs = qs.filter(school_id__in=scope.school_ids)
    return (
        qs.select_related("school", "stream")
        .annotate(
            committed=_sum("ledger_entries", EntryKind.COMMITMENT)
            - _sum("ledger_entries", EntryKind.RELEASE),
            paid=_sum("ledger_entries", EntryKind.PAYMENT),
        )
        .order_by("-state_changed_at", "-pk")[:limit]
    )


def cluster_version(cluster: Cluster) -> str:
    """Changes to the cluster's money or its requests' states (two cheap queries)."""
    ledger = ledger_version([cluster.pk])
    events = RequestEvent.objects.filter(request__cluster=cluster).aggregate(m=Max("id"))["m"] or 0
    return f"{ledger}-{events}"


def financial_years() -> QuerySet[FinancialYear]:
    return FinancialYear.objects.all()
