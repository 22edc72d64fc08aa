"""The reports' aggregation, done in the database.

Each function is one SQL query whose result has one row per school or per
cluster, never per request or per ledger row: the report's time grows with the
number of schools. Cluster and county averages come from window functions over
the same rows, so every school is compared with figures from one snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from importlib import import_module
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, DecimalField, F, Q, Sum, Value, Window
from django.db.models.functions import Coalesce

from clusters.models import SchoolYearStats
from funding.models import FundingRequest
from funding.workflow import FUNDED, State

ZERO = Decimal("0.00")
# A decided request was awarded money if it is funded now or was funded and closed.
AWARDED_STATES = sorted(FUNDED | {State.CLOSED})
DECIDED_STATES = [*AWARDED_STATES, State.DECLINED]

STATS_FIELDS = (
    "number_on_roll",
    "fsm_pupils",
    "ehcp_pupils",
    "sen_support_pupils",
    "suspensions",
    "permanent_exclusions",
    "sen_joiners_no_move",
)

# The totals each school is compared with (window functions over the same rows).
CLUSTER_TOTALS = ("number_on_roll", "ehcp_pupils", "sen_support_pupils")
COUNTY_TOTALS = ("number_on_roll", "ehcp_pupils", "sen_support_pupils", "sen_joiners_no_move")


@dataclass(frozen=True)
class YearWindow:
    """Academic year ``year`` (2025 means 2025/26): 1 September to 31 August."""

    year: int

    @property
    def start(self) -> datetime:
        return datetime(self.year, 9, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> datetime:
        return datetime(self.year + 1, 9, 1, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def label(self) -> str:
        return f"{self.year}/{(self.year + 1) % 100:02d}"


def _money(expr) -> Coalesce:
    return Coalesce(expr, Value(ZERO), output_field=DecimalField(max_digits=14, decimal_places=2))


def school_stats(year: int) -> list[dict]:
    """Every county school with figures for the year, with its cluster's and the county's
    totals alongside (window functions partitioned by cluster, and over the county)."""
    by_cluster = {"partition_by": [F("school__cluster_id")]}
    windows = {}
    for name in CLUSTER_TOTALS:
        windows[f"cluster_{name}"] = Window(Sum(name), **by_cluster)
    for name in COUNTY_TOTALS:
        windows[f"county_{name}"] = Window(Sum(name))
    return list(
        SchoolYearStats.objects.filter(academic_year=year, school__cluster__isnull=False)
        .annotate(
            urn=F("school__urn"),
            name=F("school__name"),
            phase=F("school__phase"),
            cluster_id=F("school__cluster_id"),
            cluster_name=F("school__cluster__name"),
            district_id=F("school__cluster__district_id"),
            district_name=F("school__cluster__district__name"),
            **windows,
        )
        .values(
            "school_id",
            "urn",
            "name",
            "phase",
            "cluster_id",
            "cluster_name",
            "district_id",
            "district_name",
            "notional_sen_budget",
            *STATS_FIELDS,
            *windows,
        )
        .order_by("district_name", "cluster_name", "name", "school_id")
    )


def request_totals_by_school(year: int) -> dict[int, dict]:
    """Per school: requests submitted in the year, decided, awarded, £ awarded and the
    school's own contributions to the awarded requests. One GROUP BY over requests."""
    window = YearWindow(year)
    awarded = Q(state__in=AWARDED_STATES)
    rows = (
        FundingRequest.objects.filter(submitted_at__gte=window.start, submitted_at__lt=window.end)
        .order_by()
        .values("school_id")
        .annotate(
            requests=Count("id"),
            decided=Count("id", filter=Q(state__in=DECIDED_STATES)),
            approved=Count("id", filter=awarded),
            awarded=_money(Sum("amount_awarded", filter=awarded)),
            contributions=_money(Sum("school_contribution", filter=awarded)),
        )
    )
    return {r.pop("school_id"): r for r in rows}


def allocations_by_cluster(year: int) -> dict[int, Decimal] | None:
    """Per cluster: Σ allocation + Σ adjustment on its budgets for the financial year
    that starts in April of ``year``; None if budgets are not recorded in this portal."""
    try:
        ledger = import_module("budgets.models").LedgerEntry
    except (ImportError, AttributeError):
        return None
    rows = (
        ledger.objects.filter(budget__year__start_year=year, kind__in=["allocation", "adjustment"])
        .order_by()
        .values(cluster_id=F("budget__cluster_id"))
        .annotate(total=_money(Sum("amount")))
    )
    return {r["cluster_id"]: Decimal(r["total"]).quantize(Decimal("0.01")) for r in rows}
