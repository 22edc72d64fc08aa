"""Totals and balances: every figure is a sum over the ledger, computed in SQL or kept
as the ledger moves (a budget's balance row)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, DecimalField, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
from django.utils import timezone

from clusters.models import Cluster
from funding.models import FundingRequest, FundingStream

from ..models import (
    BALANCE_KINDS,
    MONTHS,
    PENNY,
    ZERO,
    BudgetOverride,
    ClusterBudget,
    EntryKind,
    FinancialYear,
    LedgerEntry,
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
    """Annotate budgets with their ledger's sums by kind, read from each budget's balance
    row (kept as the ledger moves, ``budgets.models.BudgetBalance``): one join, no sum."""

    def kept(kind: str) -> Coalesce:
        return Coalesce(F(f"balance__{kind}"), Value(ZERO), output_field=MONEY)

    return qs.annotate(
        **{f"sum_{kind}": kept(kind) for kind in BALANCE_KINDS},
        override_count=Coalesce(F("balance__overrides"), Value(0)),
        last_entry_id=F("balance__last_entry_id"),
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


def budgets_for_pairs(
    pairs: Iterable[tuple[int, int]], on_date: date | None = None
) -> dict[tuple[int, int], tuple[ClusterBudget, Totals]]:
    """The budgets of several (cluster, stream) pairs in the financial year of ``on_date``,
    with their ledger totals: one grouped query whatever the number of pairs. A pair with
    no budget yet is absent."""
    pairs = set(pairs)
    if not pairs:
        return {}
    day = on_date or timezone.localdate()
    wanted = Q(pk__in=[])
    for cluster_id, stream_id in sorted(pairs):
        wanted |= Q(cluster_id=cluster_id, stream_id=stream_id)
    budgets = with_totals(
        ClusterBudget.objects.filter(
            wanted, year__start_year=FinancialYear.start_year_for(day)
        ).select_related("cluster", "stream")
    )
    return {(b.cluster_id, b.stream_id): (b, totals_from_sums(b)) for b in budgets}


def school_awards(
    school_ids: Iterable[int], start_years: Iterable[int]
) -> dict[tuple[int, int], tuple[Decimal, int]]:
    """What was awarded to each school in each financial year: the sum of the commitments
    made for it on the ledger and the number of requests they were for, by (school id,
    start year); one grouped query. A school's move or a review's release does not
    unsay an award, so releases are not taken off."""
    rows = (
        LedgerEntry.objects.filter(
            kind=EntryKind.COMMITMENT,
            school_id__in=set(school_ids),
            budget__year__start_year__in=set(start_years),
        )
        .values("school_id", "budget__year__start_year")
        .annotate(total=Sum("amount"), requests=Count("request_id", distinct=True))
    )
    return {
        (r["school_id"], r["budget__year__start_year"]): (
            Decimal(r["total"]).quantize(PENNY),
            r["requests"],
        )
        for r in rows
    }


@dataclass(frozen=True)
class BalanceDifference:
    """A budget whose kept balance is not the sum of its ledger for one kind of entry."""

    budget: ClusterBudget
    kind: str
    kept: Decimal
    ledger: Decimal


def balance_differences() -> list[BalanceDifference]:
    """Every budget whose balance row differs from its ledger's sums (or is missing while
    it has entries): one grouped query over the whole ledger, for the nightly proof."""
    budgets = ClusterBudget.objects.select_related("cluster", "stream", "year").annotate(
        **{f"ledger_{kind}": _sum("entries", kind) for kind in BALANCE_KINDS},
        **{
            f"kept_{kind}": Coalesce(F(f"balance__{kind}"), Value(ZERO), output_field=MONEY)
            for kind in BALANCE_KINDS
        },
    )
    budgets = budgets.annotate(
        **{
            f"kept_{m}": Coalesce(F(f"balance__{m}"), Value(ZERO), output_field=MONEY)
            for m in MONTHS
        }
    )
    by_month = _ledger_by_month()
    found = []
    for budget in budgets.order_by("pk"):
        for kind in BALANCE_KINDS:
            kept, ledger = getattr(budget, f"kept_{kind}"), getattr(budget, f"ledger_{kind}")
            if kept != ledger:
                found.append(BalanceDifference(budget, kind, kept, ledger))
        for index, month in enumerate(MONTHS):
            kept, ledger = getattr(budget, f"kept_{month}"), by_month[budget.pk][index]
            if kept != ledger:
                found.append(
                    BalanceDifference(
                        budget, f"net commitment in {_MONTH_NAMES[index]}", kept, ledger
                    )
                )
    return found


_MONTH_NAMES = ("April", "May", "June", "July", "August", "September", "October",
                "November", "December", "January", "February", "March")  # fmt: skip


def _ledger_by_month() -> dict[int, list[Decimal]]:
    """Net commitment by budget and month of its financial year, from the ledger (one
    grouped query, months computed in the database in the portal's time zone)."""
    rows = (
        LedgerEntry.objects.filter(kind__in=[EntryKind.COMMITMENT, EntryKind.RELEASE])
        .annotate(y=ExtractYear("created_at"), m=ExtractMonth("created_at"))
        .values("budget_id", "budget__year__start_year", "y", "m")
        .annotate(c=_sum("", EntryKind.COMMITMENT), r=_sum("", EntryKind.RELEASE))
        .order_by()
    )
    found: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for row in rows:
        index = (row["y"] - row["budget__year__start_year"]) * 12 + row["m"] - 4
        if 0 <= index < 12:
            found[row["budget_id"]][index] += row["c"] - row["r"]
    return found
