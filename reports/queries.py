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
from django.db import connection
from django.db.models import DecimalField, F, Sum, Value
from django.db.models.functions import Coalesce

from clusters.models import Cluster, District, SchoolYearStats
from funding.models import FundingRequest
from funding.workflow import AWARDED, DECIDED

from .statistics import INDEX_INDICATORS

ZERO = Decimal("0.00")
# Sorted, so the SQL reads the same on every run.
AWARDED_STATES = sorted(AWARDED)
DECIDED_STATES = sorted(DECIDED)

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


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


def school_figures(year: int) -> list[dict]:
    """One SQL statement: every county school with figures for the year or requests in it
    (flagged ``has_stats`` false when it has no figures), its requests
    submitted in the year (counted, decided, awarded; £ awarded and its own
    contributions), and its cluster's and the county's totals by window functions.

    One round trip and one plan (the requests are aggregated once, in a CTE, and
    joined to the schools): as fast as the hand-written floor of bench/reports_bench.py.
    Written in SQL because the ORM cannot join an aggregated subquery; it runs on
    PostgreSQL and on SQLite (FILTER and window functions)."""
    window = YearWindow(year)
    req, stats = FundingRequest, SchoolYearStats
    school, cluster, district = (
        stats._meta.get_field("school").related_model,
        Cluster,
        District,
    )

    def in_list(states) -> tuple[str, list]:
        return f"({', '.join(['%s'] * len(states))})", list(states)

    awarded_sql, awarded_params = in_list(AWARDED_STATES)
    decided_sql, decided_params = in_list(DECIDED_STATES)
    state, sub = _column(req, "state"), _column(req, "submitted_at")
    amount, contrib = _column(req, "amount_awarded"), _column(req, "school_contribution")
    req_school = _column(req, "school")
    by_cluster = "OVER (PARTITION BY sc.cluster_id)"
    # A school with requests but no statistics row for the year counts as 0 pupils
    # (its rates are then empty), and is flagged by ``has_stats``.
    stat_cols = ", ".join(f"COALESCE(st.{_column(stats, f)}, 0) AS {f}" for f in STATS_FIELDS)
    cluster_totals = ", ".join(
        f"COALESCE(SUM(st.{_column(stats, f)}) {by_cluster}, 0) AS cluster_{f}"
        for f in CLUSTER_TOTALS
    )
    county_totals = ", ".join(
        f"COALESCE(SUM(st.{_column(stats, f)}) OVER (), 0) AS county_{f}" for f in COUNTY_TOTALS
    )
    sql = f"""
        WITH req AS (
            SELECT {req_school} AS school_id,
                   COUNT(*) AS requests,
                   COUNT(*) FILTER (WHERE {state} IN {decided_sql}) AS decided,
                   COUNT(*) FILTER (WHERE {state} IN {awarded_sql}) AS approved,
                   SUM({amount}) FILTER (WHERE {state} IN {awarded_sql}) AS awarded,
                   SUM({contrib}) FILTER (WHERE {state} IN {awarded_sql}) AS contributions
            FROM {_table(req)}
            WHERE {sub} >= %s AND {sub} < %s
            GROUP BY {req_school}
        ), base AS (
            SELECT sc.id AS school_id, sc.urn AS urn, sc.name AS name,
                   sc.phase AS phase, sc.cluster_id AS cluster_id, cl.name AS cluster_name,
                   cl.district_id AS district_id, d.name AS district_name,
                   st.{_column(stats, "notional_sen_budget")} AS notional_sen_budget, {stat_cols},
                   COALESCE(req.requests, 0) AS requests, COALESCE(req.decided, 0) AS decided,
                   COALESCE(req.approved, 0) AS approved, req.awarded AS awarded,
                   req.contributions AS contributions, {cluster_totals}, {county_totals},
                   st.id IS NOT NULL AS has_stats
            FROM {_table(school)} sc
            JOIN {_table(cluster)} cl ON cl.id = sc.cluster_id
            JOIN {_table(district)} d ON d.id = cl.district_id
            LEFT JOIN req ON req.school_id = sc.id
            LEFT JOIN {_table(stats)} st
              ON st.{_column(stats, "school")} = sc.id
             AND st.{_column(stats, "academic_year")} = %s
            WHERE st.id IS NOT NULL OR req.school_id IS NOT NULL
        ), rated AS (
            SELECT base.*, {_rate_columns()} FROM base
        ), scored AS (
            SELECT rated.*, {_zscore_columns()} FROM rated
        )
        SELECT scored.*, {_index_column()} AS "index" FROM scored
    """  # noqa: S608 - only quoted table and column names; every value is a %s parameter
    ops = connection.ops
    params = [
        *decided_params,
        *awarded_params,
        *awarded_params,
        *awarded_params,
        ops.adapt_datetimefield_value(window.start),
        ops.adapt_datetimefield_value(window.end),
        year,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    # Sorted here rather than by the database's collation (a sort of 20,000 names that
    # spills to disk): by district, cluster and school name, then the school's id.
    rows.sort(
        key=lambda r: (
            r["district_name"].casefold(),
            r["cluster_name"].casefold(),
            r["name"].casefold(),
            r["school_id"],
        )
    )
    for r in rows:  # money as Decimal whatever the database returns (SQLite: floats)
        r["has_stats"] = bool(r["has_stats"])
        for k in ("notional_sen_budget", "awarded", "contributions"):
            v = r[k]
            r[k] = ZERO if v is None else (v if type(v) is Decimal else Decimal(str(v)))
        if not r["has_stats"]:
            r["notional_sen_budget"] = None  # not known, rather than £0
    return rows


# The rates of each school, worked out in the same statement (docs/architecture.md §6):
# name, numerator, denominator. ``100 * (a / b)`` in double precision, as
# ``reports.statistics.per_100`` works it out, so the figures are the same to the bit.
RATES = (
    ("sen_support_pct", "sen_support_pupils", "number_on_roll"),
    ("ehcp_pct", "ehcp_pupils", "number_on_roll"),
    ("sen_pct", "sen_support_pupils + ehcp_pupils", "number_on_roll"),
    ("requests_per_100", "requests", "number_on_roll"),
    ("approval_rate", "approved", "decided"),
    ("suspensions_per_100", "suspensions", "number_on_roll"),
    ("exclusions_per_100", "permanent_exclusions", "number_on_roll"),
    ("sen_joiners_per_100", "sen_joiners_no_move", "number_on_roll"),
    ("cluster_sen_support_pct", "cluster_sen_support_pupils", "cluster_number_on_roll"),
    ("cluster_ehcp_pct", "cluster_ehcp_pupils", "cluster_number_on_roll"),
    (
        "cluster_sen_pct",
        "cluster_sen_support_pupils + cluster_ehcp_pupils",
        "cluster_number_on_roll",
    ),
    ("county_sen_support_pct", "county_sen_support_pupils", "county_number_on_roll"),
    ("county_ehcp_pct", "county_ehcp_pupils", "county_number_on_roll"),
    ("county_sen_joiners_per_100", "county_sen_joiners_no_move", "county_number_on_roll"),
)


def _rate_columns() -> str:
    return ", ".join(
        f"100.0 * (CAST({a} AS DOUBLE PRECISION) / NULLIF({b}, 0)) AS {name}"
        for name, a, b in RATES
    )


def _zscore_columns() -> str:
    """Each indicator of the inclusiveness index as a standard score among the schools
    of the same phase (``reports.statistics.zscores``): the population standard
    deviation from the mean of squares; 0 where the indicator does not vary."""
    out = []
    for name in INDEX_INDICATORS:
        mean = f"AVG({name}) OVER (PARTITION BY phase)"
        var = f"(AVG({name} * {name}) OVER (PARTITION BY phase) - {mean} * {mean})"
        out.append(
            f"CASE WHEN {name} IS NULL THEN NULL WHEN {var} > 1e-12 "
            f"THEN ({name} - {mean}) / SQRT({var}) ELSE 0.0 END AS z_{name}"
        )
    return ", ".join(out)


def _index_column() -> str:
    """The mean of a school's signed standard scores (``statistics.inclusiveness_index``);
    NULL when it has none."""
    total = " + ".join(
        f"{'+' if sign > 0 else '-'}COALESCE(z_{name}, 0)"
        for name, sign in INDEX_INDICATORS.items()
    )
    count = " + ".join(f"CASE WHEN z_{name} IS NULL THEN 0 ELSE 1 END" for name in INDEX_INDICATORS)
    return f"({total}) / NULLIF({count}, 0)"


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
