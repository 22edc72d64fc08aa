"""The county and cluster dashboards: every visible budget with totals, trend and forecast."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, Max, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from clusters.models import Cluster
from funding.models import FundingRequest, FundingStream, RequestEvent
from portal.roles import Scope

from ..models import (
    BALANCE_KINDS,
    MONTHS,
    ZERO,
    ClusterBudget,
    EntryKind,
    FinancialYear,
    LedgerEntry,
)
from .forecast import Forecast, _months_elapsed, forecast
from .scoped import _scope, visible_budgets
from .totals import ALERT_AMBER, MONEY, Totals, _sum, totals_from_sums, with_totals

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
    months_elapsed: int
    months_left: int

    @cached_property
    def forecast(self) -> Forecast:
        # On demand: the national page's warnings need the totals of hundreds, not this.
        elapsed = self.months_elapsed
        return forecast(self.totals, self.monthly[:elapsed], elapsed, self.months_left)

    @property
    def trend(self) -> Decimal:
        """Net commitment in the latest elapsed month."""
        elapsed = self.months_elapsed
        return self.monthly[elapsed - 1] if elapsed else ZERO


@dataclass
class DistrictRow:
    """A district's budgets added up: the county page's summary row at national scale."""

    district_id: int
    name: str
    clusters: int = 0
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
    # Every budget shown; when grouped, only those needing attention (alerts, overrides).
    rows: list[BudgetRow] = field(default_factory=list)
    budget_count: int = 0
    # Grouped: a row per district (national scale), added up in SQL.
    grouped: bool = False
    districts: list[DistrictRow] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)
    monthly: list[Decimal] = field(default_factory=lambda: [ZERO] * 12)
    forecast: Forecast | None = None
    version: str = "0-0"  # see _version

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


def _board_budgets(
    user: AbstractBaseUser | Scope,
    *,
    year_id: int | None = None,
    start_year: int | None = None,
    stream_id: int | None = None,
    cluster_ids: list[int] | None = None,
    district_id: int | None = None,
) -> QuerySet[ClusterBudget]:
    """The budgets one board shows: the reader's, for its year, stream, clusters, district."""
    budgets = visible_budgets(user)
    if year_id is not None:
        budgets = budgets.filter(year_id=year_id)
    else:
        budgets = budgets.filter(year__start_year=start_year)
    if stream_id is not None:
        budgets = budgets.filter(stream_id=stream_id)
    if cluster_ids is not None:
        budgets = budgets.filter(cluster_id__in=cluster_ids)
    if district_id is not None:
        budgets = budgets.filter(cluster__district_id=district_id)
    return budgets


MONTH_FIELDS = tuple(f"balance__{m}" for m in MONTHS)


def _version(last_entry_id: int | None, budgets: int) -> str:
    # A new entry on any of the board's budgets, or a budget joining it, changes it.
    return f"{last_entry_id or 0}-{budgets}"


def board_version(
    user: AbstractBaseUser | Scope,
    *,
    start_year: int | None = None,
    stream_id: int | None = None,
    cluster_ids: list[int] | None = None,
    district_id: int | None = None,
    today: date | None = None,
) -> str:
    """The version of the board :func:`budget_board` builds for the same filters, without
    building it (one aggregate query): what the polled dashboard compares with the version
    its page sent, so an entry in another year, stream or district leaves it alone."""
    if start_year is None:
        start_year = FinancialYear.start_year_for(today or timezone.localdate())
    budgets = _board_budgets(
        user,
        start_year=start_year,
        stream_id=stream_id,
        cluster_ids=cluster_ids,
        district_id=district_id,
    )
    got = budgets.order_by().aggregate(
        m=Max("balance__last_entry_id"), n=Count("id", distinct=True)
    )
    return _version(got["m"], got["n"])


ROW_FIELDS = (
    "id",
    "cluster_id",
    "cluster__name",
    "cluster__district_id",
    "cluster__district__name",
    "stream__name",
    *(f"sum_{kind}" for kind in BALANCE_KINDS),
    "override_count",
    "last_entry_id",
    *MONTH_FIELDS,
)


def _budget_row(r: dict, elapsed: int, left: int) -> BudgetRow:
    totals = totals_from_sums(r)
    # Kept by month in the budget's balance row as the ledger moves (no ledger scan).
    months = [r[f] if r[f] is not None else ZERO for f in MONTH_FIELDS]
    return BudgetRow(
        budget_id=r["id"],
        cluster_id=r["cluster_id"],
        cluster=r["cluster__name"],
        district_id=r["cluster__district_id"],
        district=r["cluster__district__name"],
        stream=r["stream__name"],
        totals=totals,
        overrides=r["override_count"],
        monthly=months,
        months_elapsed=elapsed,
        months_left=left,
    )


def _needs_attention(budgets: QuerySet[ClusterBudget]) -> QuerySet[ClusterBudget]:
    """The budgets that may need attention: a superset of those :attr:`Totals.alert` (the
    rule) flags — committed within a point of the amber line or over an allocation of
    nothing or less — and those with overrides; the rows built from them decide."""
    allocated = F("sum_allocation") + F("sum_adjustment")
    committed = F("sum_commitment") - F("sum_release")
    near = (ALERT_AMBER - 1) / 100
    return (
        with_totals(budgets)
        .alias(allocated=allocated, committed=committed)
        .filter(
            (Q(committed__gte=F("allocated") * near) & (Q(committed__gt=0) | Q(allocated__lt=0)))
            | Q(override_count__gt=0)
        )
    )


def budget_board(
    user: AbstractBaseUser | Scope,
    *,
    year: FinancialYear | None = None,
    stream: FundingStream | None = None,
    cluster_ids: list[int] | None = None,
    district_id: int | None = None,
    today: date | None = None,
) -> BudgetBoard:
    """Every visible budget for the year with totals, trend and forecast; on the county page
    above ``GROUP_ABOVE`` budgets, a row per district added up in SQL and the budgets
    needing attention instead (two queries either way, whatever the number of budgets)."""
    today = today or timezone.localdate()
    if year is None:
        year = FinancialYear.objects.filter(start_year=FinancialYear.start_year_for(today)).first()
    board = BudgetBoard(year=year, stream=stream, district_id=district_id)
    if year is None:
        return board
    budgets = _board_budgets(
        user,
        year_id=year.pk,
        stream_id=stream.pk if stream is not None else None,
        cluster_ids=cluster_ids,
        district_id=district_id,
    )
    elapsed, left = _months_elapsed(year, today)
    if district_id is None and cluster_ids is None:
        sums = _district_sums(budgets)
        if sum(d["budgets"] for d in sums) > GROUP_ABOVE:
            return _grouped(board, budgets, sums, elapsed, left)
    rows = list(
        with_totals(budgets)
        .values(*ROW_FIELDS)
        .order_by("cluster__district__name", "cluster__name", "stream__name")
    )
    board.rows = [_budget_row(r, elapsed, left) for r in rows]
    board.budget_count = len(board.rows)
    for row in board.rows:
        board.totals = board.totals + row.totals
        board.monthly = [a + b for a, b in zip(board.monthly, row.monthly, strict=True)]
    last = max((r["last_entry_id"] or 0 for r in rows), default=0)
    board.version = _version(last, len(rows))
    board.forecast = forecast(board.totals, board.monthly[:elapsed], elapsed, left)
    return board


def _district_sums(budgets: QuerySet[ClusterBudget]) -> list[dict]:
    """Each district's budgets added up in the database, from their balance rows."""
    kept = {
        **{f"sum_{kind}": Sum(f"balance__{kind}") for kind in BALANCE_KINDS},
        **{m: Sum(f"balance__{m}") for m in MONTHS},
    }
    return list(
        budgets.order_by()
        .values("cluster__district_id", "cluster__district__name")
        .annotate(
            budgets=Count("id"),
            clusters=Count("cluster_id", distinct=True),
            overrides=Coalesce(Sum("balance__overrides"), Value(0)),
            last=Max("balance__last_entry_id"),
            **{k: Coalesce(v, Value(ZERO), output_field=MONEY) for k, v in kept.items()},
        )
        .order_by("cluster__district__name")
    )


def _grouped(
    board: BudgetBoard,
    budgets: QuerySet[ClusterBudget],
    sums: list[dict],
    elapsed: int,
    left: int,
) -> BudgetBoard:
    """The county page at national scale: a row per district from its sums (Python never
    holds the thousands of budgets), and the few budgets needing attention."""
    board.grouped = True
    attention = [
        _budget_row(r, elapsed, left)
        for r in _needs_attention(budgets)
        .values(*ROW_FIELDS)
        .order_by("cluster__district__name", "cluster__name", "stream__name")
    ]
    board.rows = [r for r in attention if r.totals.alert or r.overrides]
    alerts = Counter(r.district_id for r in board.rows if r.totals.alert)
    last = 0
    for d in sums:
        totals = totals_from_sums(d)
        months = [d[m] for m in MONTHS]
        board.districts.append(
            DistrictRow(
                district_id=d["cluster__district_id"],
                name=d["cluster__district__name"],
                clusters=d["clusters"],
                budgets=d["budgets"],
                totals=totals,
                alerts=alerts[d["cluster__district_id"]],
                overrides=d["overrides"],
                monthly=months,
                forecast=forecast(totals, months[:elapsed], elapsed, left),
            )
        )
        board.budget_count += d["budgets"]
        board.totals = board.totals + totals
        board.monthly = [a + b for a, b in zip(board.monthly, months, strict=True)]
        last = max(last, d["last"] or 0)
    board.version = _version(last, board.budget_count)
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
