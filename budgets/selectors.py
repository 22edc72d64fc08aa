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
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, DecimalField, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear
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
    Overpayment,
    PaymentInstalment,
    gbp,
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


# --- settling an award at review ---------------------------------------------------


@dataclass(frozen=True)
class Settlement:
    """What closing an award at review does with its money, given what the school spent.

    * spent above paid: the difference is a final payment due now, and the rest of
      the award (committed − spent) returns to the cluster budget;
    * spent at or below paid: everything not yet paid (committed − paid) returns, and
      anything paid beyond what was spent (paid − spent) is owed back by the school.

    Afterwards the request's commitment is what it was paid plus the final payment.
    """

    committed: Decimal
    paid: Decimal
    spent: Decimal

    @property
    def final_payment(self) -> Decimal:
        return max(self.spent - self.paid, ZERO)

    @property
    def overpaid(self) -> Decimal:
        return max(self.paid - self.spent, ZERO)

    @property
    def released(self) -> Decimal:
        return self.committed - max(self.spent, self.paid)

    @property
    def committed_after(self) -> Decimal:
        return self.paid + self.final_payment

    @property
    def sentence(self) -> str:
        """What will happen (or happened), in the words on the review page."""
        back = (
            f"return {gbp(self.released)} to the cluster budget"
            if self.released > 0
            else "return nothing to the cluster budget (all of the award is accounted for)"
        )
        if self.final_payment > 0:
            return (
                f"We will pay the school the {gbp(self.final_payment)} it has spent but not yet "
                f"been paid, and {back}."
            )
        if self.overpaid > 0:
            return (
                f"The school has been paid {gbp(self.paid)}, {gbp(self.overpaid)} more than the "
                f"{gbp(self.spent)} it spent: the LA finance team will ask for the "
                f"{gbp(self.overpaid)} back. Nothing more will be paid, and we will {back}."
            )
        return f"The school has already been paid the {gbp(self.spent)} it spent. We will {back}."


def spent_too_much(awarded: Decimal, spent: Decimal) -> str | None:
    """The review's one rule on the amount spent: up to the award, never more."""
    if spent > awarded:
        return (
            f"You can report up to {gbp(awarded)}, the amount awarded. If the provision cost "
            "more, the school met the difference."
        )
    return None


def settlement_preview(funding_request: FundingRequest, spent: Decimal) -> Settlement:
    """The settlement if the school reported ``spent`` now (the service re-reads under lock)."""
    totals = request_totals(funding_request)
    return Settlement(totals.committed, totals.paid, Decimal(spent).quantize(PENNY))


def overpayments(user: AbstractBaseUser | Scope):
    """Money schools were paid beyond what they spent: (count, total, the newest 100).

    LA officers only; anyone else sees none.
    """
    if not _scope(user).is_la:
        return 0, ZERO, []
    qs = Overpayment.objects.all()
    summary = qs.aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)
    )
    listed = qs.select_related("request", "school", "budget__cluster").order_by(
        "-created_at", "-id"
    )[:100]
    return summary["n"], summary["total"], list(listed)


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
    best_rate: Decimal = ZERO
    worst_rate: Decimal = ZERO


def forecast(
    totals: Totals, monthly_net: list[Decimal], months_elapsed: int, months_left: int
) -> Forecast:
    """Project the commitment run rate to 31 March.

    Assumptions (written beside the forecast on both dashboards):

    * the expected rate is the mean net commitment (awards less releases) of the
      months elapsed so far, the current month counted as a whole month;
    * best and worst case come from the spread of those past monthly rates: every
      month left runs like the quietest past month (never below £0: releases are not
      forecast) or like the busiest one;
    * nothing is forecast to be added to or taken from the allocation.
    """
    months = list(monthly_net[:months_elapsed]) or [ZERO]
    rate = (sum(months, ZERO) / len(months)).quantize(Decimal("0.01"))
    low, high = max(min(months), ZERO), max(months)
    expected = totals.committed + rate * months_left
    return Forecast(
        months_elapsed=months_elapsed,
        months_left=months_left,
        run_rate=rate,
        expected_committed=expected,
        best_available=totals.allocated - (totals.committed + low * months_left),
        expected_available=totals.allocated - expected,
        worst_available=totals.allocated - (totals.committed + high * months_left),
        best_rate=low,
        worst_rate=high,
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
    """Net commitment (commitment − release) per budget per month of the year (one query).

    The month comes back as two integers (year, month), computed in the database in
    the portal's time zone: converting 20,000 truncated datetimes in Python was most
    of the county page's time at national scale.
    """
    rows = (
        LedgerEntry.objects.filter(
            budget__in=budget_ids_qs,
            kind__in=[EntryKind.COMMITMENT, EntryKind.RELEASE],
        )
        .annotate(y=ExtractYear("created_at"), m=ExtractMonth("created_at"))
        .values("budget_id", "y", "m")
        .annotate(
            c=_sum("", EntryKind.COMMITMENT),
            r=_sum("", EntryKind.RELEASE),
        )
        .order_by()
    )
    by_budget: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for row in rows:
        index = (row["y"] - year.start_year) * 12 + row["m"] - 4
        if 0 <= index < 12:
            by_budget[row["budget_id"]][index] += row["c"] - row["r"]
    return by_budget


# Above this many budgets the county page shows a summary row per district, each a link
# to that district's clusters: 3,000 rows are neither fast to render nor readable.
GROUP_ABOVE = 60
ALERTS_LISTED = 10


@dataclass
class BudgetRow:
    budget_id: int
    cluster_id: int
    cluster: str
    district_id: int
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
class DistrictRow:
    """A district's budgets added up: the county page's summary row at national scale."""

    district_id: int
    name: str
    clusters: set[int] = field(default_factory=set)
    budgets: int = 0
    totals: Totals = field(default_factory=Totals)
    alerts: int = 0
    overrides: int = 0
    monthly: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)
    forecast: Forecast | None = None


@dataclass
class BudgetBoard:
    year: FinancialYear | None
    stream: FundingStream | None
    district_id: int | None = None
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
    def alerts_listed(self) -> list[BudgetRow]:
        """The worst few, so the warning stays readable when hundreds of budgets are tight."""
        order = {"over": 0, "red": 1, "amber": 2}
        ranked = sorted(self.alerts, key=lambda r: (order[r.totals.alert], r.totals.available))
        return ranked[:ALERTS_LISTED]

    @property
    def alerts_unlisted(self) -> int:
        return max(len(self.alerts) - ALERTS_LISTED, 0)

    @property
    def overridden_listed(self) -> list[BudgetRow]:
        return self.overridden[:ALERTS_LISTED]

    @property
    def overridden_unlisted(self) -> int:
        return max(len(self.overridden) - ALERTS_LISTED, 0)

    @property
    def grouped(self) -> bool:
        """Show a row per district rather than per budget."""
        return self.district_id is None and len(self.rows) > GROUP_ABOVE

    @cached_property
    def districts(self) -> list[DistrictRow]:
        by_id: dict[int, DistrictRow] = {}
        for r in self.rows:
            d = by_id.get(r.district_id)
            if d is None:
                d = by_id[r.district_id] = DistrictRow(r.district_id, r.district)
            d.clusters.add(r.cluster_id)
            d.budgets += 1
            d.totals = d.totals + r.totals
            d.alerts += bool(r.totals.alert)
            d.overrides += r.overrides
            d.monthly = [a + b for a, b in zip(d.monthly, r.monthly, strict=True)]
        if self.forecast is not None:
            f = self.forecast
            for d in by_id.values():
                d.forecast = forecast(
                    d.totals, d.monthly[: f.months_elapsed], f.months_elapsed, f.months_left
                )
        return sorted(by_id.values(), key=lambda d: d.name)

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
    district_id: int | None = None,
    today: date | None = None,
) -> BudgetBoard:
    """Every visible budget for the year with totals, trend and forecast (two queries)."""
    today = today or timezone.localdate()
    if year is None:
        year = FinancialYear.objects.filter(start_year=FinancialYear.start_year_for(today)).first()
    board = BudgetBoard(year=year, stream=stream, district_id=district_id)
    if year is None:
        return board
    budgets = visible_budgets(user).filter(year=year)
    if stream is not None:
        budgets = budgets.filter(stream=stream)
    if cluster_ids is not None:
        budgets = budgets.filter(cluster_id__in=cluster_ids)
    if district_id is not None:
        budgets = budgets.filter(cluster__district_id=district_id)
    rows = list(
        with_totals(budgets)
        .values(
            "id",
            "cluster_id",
            "cluster__name",
            "cluster__district_id",
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
                district_id=r["cluster__district_id"],
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


# --- one request's money (LA officers) ----------------------------------------------


def get_request_for_money(user: AbstractBaseUser | Scope, pk: int) -> FundingRequest:
    """A request whose money an LA officer looks after; anyone else gets 404."""
    if not _scope(user).is_la:
        raise Http404("Not found")
    try:
        return FundingRequest.objects.select_related("school", "cluster", "stream").get(pk=pk)
    except FundingRequest.DoesNotExist:
        raise Http404("No such request") from None


@dataclass
class RequestMoney:
    """A request's budget history: every ledger line and instalment, and its totals."""

    request: FundingRequest
    totals: Totals
    entries: list[LedgerEntry]
    instalments: list[PaymentInstalment]
    overpayment: Overpayment | None = None

    @property
    def movable(self) -> bool:
        from funding.workflow import FUNDED

        return self.request.state in FUNDED and self.totals.unpaid_commitment > 0


def request_money(user: AbstractBaseUser | Scope, pk: int) -> RequestMoney:
    """Five queries, whatever the request's history."""
    funding_request = get_request_for_money(user, pk)
    entries = list(
        visible_ledger(user).filter(request=funding_request).order_by("created_at", "id")
    )
    totals = Totals()
    for e in entries:
        if e.kind in (EntryKind.COMMITMENT, EntryKind.RELEASE):
            sign = 1 if e.kind == EntryKind.COMMITMENT else -1
            totals.committed += sign * e.amount
        elif e.kind == EntryKind.PAYMENT:
            totals.paid += e.amount
    instalments = list(
        visible_instalments(user).filter(request=funding_request).order_by("due_date", "id")
    )
    overpayment = Overpayment.objects.filter(request=funding_request).first()
    return RequestMoney(funding_request, totals, entries, instalments, overpayment)


@dataclass
class MovePreview:
    """What a pupil's move would do, for the officer to confirm."""

    moving: Decimal
    target_label: str
    available_before: Decimal
    available_after: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(-self.available_after, ZERO)


def move_preview(funding_request: FundingRequest, new_school) -> MovePreview:
    """The unspent award and the receiving budget's room for it (the service re-checks under lock)."""
    balances = request_budget_balances(funding_request)
    moving = sum((t.unpaid_commitment for t in balances.values() if t.unpaid_commitment > 0), ZERO)
    if not balances:
        return MovePreview(ZERO, str(new_school.cluster), ZERO, ZERO)
    current = ClusterBudget.objects.select_related("stream", "year").get(pk=max(balances))
    target = ClusterBudget.objects.filter(
        cluster_id=new_school.cluster_id, stream_id=current.stream_id, year_id=current.year_id
    ).first()
    available = budget_totals(target).available if target else ZERO
    # Within one cluster the release frees the budget's own money first.
    freed = balances[target.pk].unpaid_commitment if target and target.pk in balances else ZERO
    label = f"{new_school.cluster} — {current.stream} — {current.year}"
    return MovePreview(moving, label, available, available + max(freed, ZERO) - moving)


def due_instalments(user: AbstractBaseUser | Scope, on_date: date | None = None):
    """Scheduled instalments due by ``on_date``: (count, total, the first 100)."""
    day = on_date or timezone.localdate()
    qs = visible_instalments(user).filter(status="scheduled", due_date__lte=day)
    summary = qs.aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)
    )
    return summary["n"], summary["total"], list(qs.order_by("due_date", "id")[:100])
