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


def school_figures(year: int, *, rates: bool = True) -> list[dict]:
    """One SQL statement: every county school with figures for the year or requests in it
    (flagged ``has_stats`` false when it has no figures), its requests
    submitted in the year (counted, decided, awarded; £ awarded and its own
    contributions), and its cluster's and the county's totals by window functions.

    One round trip and one plan (the requests are aggregated once, in a CTE, and
    joined to the schools): as fast as the hand-written floor of bench/reports_bench.py.
    Written in SQL because the ORM cannot join an aggregated subquery; it runs on
    PostgreSQL and on SQLite (FILTER and window functions). Without ``rates`` (the
    fair-share report shows none) neither the rates nor the index are worked out."""
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
    scored = f", scored AS (SELECT rated.*, {_zscore_columns()} FROM rated)" if rates else ""  # noqa: S608 - names only
    index_sql = _index_column() if rates else "NULL"
    rate_sql = f", {_rate_columns()}" if rates else ""
    out = ", ".join(OUT_COLUMNS + (tuple(name for name, _, _ in RATES) if rates else ()))
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
            SELECT base.*{rate_sql} FROM base
        ){scored}
        SELECT {out}, {index_sql} AS "index" FROM {"scored" if rates else "rated"}
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


# What the reports read of each row, with the rates (``RATES``) and the index: the
# standard scores and the cluster's and county's counts stay in the statement.
OUT_COLUMNS = (
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
    "requests",
    "decided",
    "approved",
    "awarded",
    "contributions",
    "has_stats",
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


# ---------------------------------------------------------------- the impact report

IMPACT_LEFT_MAINSTREAM = ("specialist_placement", "ap_placement", "permanent_exclusion")
AWARD_OUTCOMES = ("approved", "partially_approved")


def _plus_months(expr: str, months: int) -> str:
    if connection.vendor == "postgresql":
        return f"(({expr}) + INTERVAL '{int(months)} months')::date"
    return f"date({expr}, '+{int(months)} months')"


def _local_date(expr: str) -> str:
    if connection.vendor == "postgresql":
        return f"(({expr}) AT TIME ZONE '{settings.TIME_ZONE}')::date"
    return f"date({expr})"


def _scope_filters(scope_kind: str, scope_id, stream_id, alias: str = "r") -> tuple[str, list]:
    """The ``AND ...`` of a report statement keeping requests (as ``alias``) in scope."""
    filters, params = [], []
    if scope_kind == "cluster":
        filters.append(f"{alias}.{_column(FundingRequest, 'cluster')} = %s")
        params.append(scope_id)
    elif scope_kind == "district":
        in_district = f"SELECT id FROM {_table(Cluster)} WHERE {_column(Cluster, 'district')} = %s"  # noqa: S608, E501 - names only
        filters.append(f"{alias}.{_column(FundingRequest, 'cluster')} IN ({in_district})")
        params.append(scope_id)
    if stream_id:
        filters.append(f"{alias}.{_column(FundingRequest, 'stream')} = %s")
        params.append(stream_id)
    return "".join(f" AND {f}" for f in filters), params


def _decimal(value) -> Decimal:
    # PostgreSQL sums numeric exactly; SQLite's sum is a float, rounded back to the penny.
    return value if isinstance(value, Decimal) else Decimal(str(value or 0)).quantize(ZERO)


def impact_figures(
    year: int,
    *,
    as_of,
    scope_kind: str = "county",
    scope_id: int | None = None,
    stream_id: int | None = None,
) -> list[tuple]:
    """One SQL statement, one row per figure: (section, a, b, n1, n2, n3).

    * ``("pupils", cohort, "", pupils, followed 12 months, followed 24 months)``: the pupils
      (by pupil key) whose first award — or, never funded, first decline — in scope fell
      in the academic year; ``cohort`` 1 funded, 0 declined (the comparison group);
    * ``("event", cohort, kind, 0, with it in 12 months, in 24 months)``, of the pupils
      followed that long, for each kind, "left_mainstream" (a specialist or AP
      placement, or a permanent exclusion) and "any";
    * ``(dimension, value, result, reviews, 0, 0)`` for dimension need, band, phase and
      stream: the outcome reviews of requests submitted in the year, met / partly / not;
    * ``("support", kind, "1" with an award / "0" without, follow-ups, due by as_of, 0)``:
      the support beyond money (advice, referrals) the panels recorded with decisions
      taken in the year.
    """
    from panels.models import Decision, DecisionAction, OutcomeReview

    from .models import EscalationRecord

    req, dec, rev, ev, act = (
        FundingRequest,
        Decision,
        OutcomeReview,
        EscalationRecord,
        DecisionAction,
    )
    school_model = req._meta.get_field("school").related_model
    stream_model = req._meta.get_field("stream").related_model
    band_model = req._meta.get_field("band").related_model
    r_key, r_school = (_column(req, f) for f in ("pupil_key", "school"))
    r_stream = _column(req, "stream")
    d_req, d_outcome, d_at = (_column(dec, f) for f in ("request", "outcome", "decided_at"))
    window = YearWindow(year)
    where, params = _scope_filters(scope_kind, scope_id, stream_id)
    awarded = ", ".join(f"'{o}'" for o in AWARD_OUTCOMES)
    left = ", ".join(f"'{k}'" for k in IMPACT_LEFT_MAINSTREAM)
    on = _column(ev, "on")
    as_of_date = as_of.date() if hasattr(as_of, "date") else as_of
    sql = f"""
        WITH dec AS (
            SELECT r.{r_key} AS pupil_key,
                   CASE WHEN d.{d_outcome} IN ({awarded}) THEN 1 ELSE 0 END AS funded,
                   {_local_date(f"d.{d_at}")} AS on_date
            FROM {_table(dec)} d JOIN {_table(req)} r ON r.id = d.{d_req}
            WHERE r.{r_key} <> '' AND d.{d_outcome} IN ({awarded}, 'declined'){where}
        ),
        pupil AS (
            SELECT pupil_key, MAX(funded) AS funded,
                   COALESCE(MIN(CASE WHEN funded = 1 THEN on_date END), MIN(on_date)) AS index_date
            FROM dec GROUP BY pupil_key
        ),
        cohort AS (
            SELECT pupil_key, funded, index_date,
                   CASE WHEN {_plus_months("index_date", 12)} <= %s THEN 1 ELSE 0 END AS f12,
                   CASE WHEN {_plus_months("index_date", 24)} <= %s THEN 1 ELSE 0 END AS f24
            FROM pupil WHERE index_date >= %s AND index_date < %s
        ),
        ev AS (
            SELECT p.pupil_key, p.funded, e.{_column(ev, "kind")} AS kind,
                   MAX(CASE WHEN p.f12 = 1 AND e.{on} <= {_plus_months("p.index_date", 12)}
                       THEN 1 ELSE 0 END) AS in12,
                   MAX(CASE WHEN p.f24 = 1 AND e.{on} <= {_plus_months("p.index_date", 24)}
                       THEN 1 ELSE 0 END) AS in24
            FROM cohort p JOIN {_table(ev)} e
                 ON e.{_column(ev, "pupil_key")} = p.pupil_key AND e.{on} >= p.index_date
            GROUP BY p.pupil_key, p.funded, e.{_column(ev, "kind")}
        ),
        per_pupil AS (
            SELECT pupil_key, funded, MAX(in12) AS any12, MAX(in24) AS any24,
                   MAX(CASE WHEN kind IN ({left}) THEN in12 ELSE 0 END) AS left12,
                   MAX(CASE WHEN kind IN ({left}) THEN in24 ELSE 0 END) AS left24
            FROM ev GROUP BY pupil_key, funded
        ),
        reviewed AS (
            SELECT r.primary_need AS need,
                   CASE WHEN b.id IS NULL THEN '' ELSE b.{_column(band_model, "need")} || ' band '
                        || CAST(b.{_column(band_model, "band")} AS TEXT) END AS band,
                   s.{_column(school_model, "phase")} AS phase,
                   st.{_column(stream_model, "name")} AS stream,
                   o.{_column(rev, "result")} AS result
            FROM {_table(rev)} o
            JOIN {_table(req)} r ON r.id = o.{_column(rev, "request")}
            JOIN {_table(school_model)} s ON s.id = r.{r_school}
            JOIN {_table(stream_model)} st ON st.id = r.{r_stream}
            LEFT JOIN {_table(band_model)} b ON b.id = r.{_column(req, "band")}
            WHERE r.{_column(req, "submitted_at")} >= %s AND r.{_column(req, "submitted_at")} < %s
                  {where}
        )
        SELECT 'pupils', CAST(funded AS TEXT), '', COUNT(*), SUM(f12), SUM(f24)
            FROM cohort GROUP BY funded
        UNION ALL
        SELECT 'event', CAST(funded AS TEXT), kind, 0, SUM(in12), SUM(in24)
            FROM ev GROUP BY funded, kind
        UNION ALL
        SELECT 'event', CAST(funded AS TEXT), 'left_mainstream', 0, SUM(left12), SUM(left24)
            FROM per_pupil GROUP BY funded
        UNION ALL
        SELECT 'event', CAST(funded AS TEXT), 'any', 0, SUM(any12), SUM(any24)
            FROM per_pupil GROUP BY funded
        UNION ALL SELECT 'need', need, result, COUNT(*), 0, 0 FROM reviewed GROUP BY need, result
        UNION ALL SELECT 'band', band, result, COUNT(*), 0, 0 FROM reviewed GROUP BY band, result
        UNION ALL SELECT 'phase', phase, result, COUNT(*), 0, 0 FROM reviewed GROUP BY phase, result
        UNION ALL
        SELECT 'stream', stream, result, COUNT(*), 0, 0 FROM reviewed GROUP BY stream, result
        UNION ALL
        SELECT 'support', a.{_column(act, "kind")},
               CASE WHEN d.{d_outcome} IN ({awarded}) THEN '1' ELSE '0' END,
               COUNT(*), SUM(CASE WHEN a.{_column(act, "due_by")} <= %s THEN 1 ELSE 0 END), 0
            FROM {_table(act)} a
            JOIN {_table(dec)} d ON d.id = a.{_column(act, "decision")}
            JOIN {_table(req)} r ON r.id = d.{d_req}
            WHERE d.{d_at} >= %s AND d.{d_at} < %s{where}
            GROUP BY a.{_column(act, "kind")},
                     CASE WHEN d.{d_outcome} IN ({awarded}) THEN '1' ELSE '0' END
    """  # noqa: S608 - only quoted names and fixed codes; every value is a %s parameter
    all_params = [
        *params,
        as_of_date,
        as_of_date,
        window.start.date(),
        window.end.date(),
        window.start,
        window.end,
        *params,
        as_of_date,
        window.start,
        window.end,
        *params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        return [tuple(r) for r in cursor.fetchall()]


# ------------------------------------------------- equalities and consistency (impact)

# Each grouping of the decisions: its key in the result and the column(s) it groups by.
EQUALITY_GROUPINGS = {
    "sex": ("sex",),
    "year_group": ("year_group",),
    "need": ("need",),
    "phase": ("phase",),
    "cluster": ("cluster",),
    "need_band": ("need", "band"),
    "all": (),
}


def equalities_figures(
    year: int,
    *,
    scope_kind: str = "county",
    scope_id: int | None = None,
    stream_id: int | None = None,
) -> dict[str, list[dict]]:
    """The panels' decisions taken in the academic year (approved, in part or declined),
    grouped by each of ``EQUALITY_GROUPINGS``: ``decisions``, ``awards``, ``awarded`` (the
    sum) and, for awards with a band, how many fell within the band's usual range. Plus
    ``spread``: per cluster, the mean range (highest less lowest) of the members' total
    scores on items with two views or more.

    One statement for the groupings, whatever the size: the decisions in scope are read
    once (a CTE, materialised as it is used by every grouping) and each grouping is a
    ``GROUP BY`` over them, joined by ``UNION ALL`` (SQLite has no ``GROUPING SETS``)."""
    from panels.models import Decision

    dec, req, band = Decision, FundingRequest, FundingRequest._meta.get_field("band").related_model
    school = req._meta.get_field("school").related_model
    window = YearWindow(year)
    where, params = _scope_filters(scope_kind, scope_id, stream_id)
    awarded = ", ".join(f"'{o}'" for o in AWARD_OUTCOMES)
    outcome, amount = f"d.{_column(dec, 'outcome')}", f"d.{_column(dec, 'amount')}"
    is_award = f"{outcome} IN ({awarded})"
    is_banded = f"{is_award} AND b.id IS NOT NULL AND b.{_column(band, 'usual_award_max')} > 0"
    selects = []
    for key, columns in EQUALITY_GROUPINGS.items():
        # Typed nulls where a grouping has fewer columns: PostgreSQL types a UNION's column
        # from its first branches.
        keys = [*columns, *["CAST(NULL AS TEXT)", "CAST(NULL AS INTEGER)"][len(columns) :]]
        group = f" GROUP BY {', '.join(columns)}" if columns else ""
        selects.append(
            f"SELECT '{key}', {keys[0]}, {keys[1]}, COUNT(*), SUM(award), SUM(amount), "  # noqa: S608 - fixed names only
            f"SUM(banded), SUM(within_band) FROM d{group}"
        )
    sql = f"""
        WITH d AS (
            SELECT r.{_column(req, "sex")} AS sex, r.{_column(req, "year_group")} AS year_group,
                   r.{_column(req, "primary_need")} AS need,
                   s.{_column(school, "phase")} AS phase, c.{_column(Cluster, "name")} AS cluster,
                   CAST(b.{_column(band, "band")} AS INTEGER) AS band,
                   CASE WHEN {is_award} THEN 1 ELSE 0 END AS award,
                   CASE WHEN {is_award} THEN {amount} ELSE 0 END AS amount,
                   CASE WHEN {is_banded} THEN 1 ELSE 0 END AS banded,
                   CASE WHEN {is_banded} AND {amount} >= b.{_column(band, "usual_award_min")}
                             AND {amount} <= b.{_column(band, "usual_award_max")}
                        THEN 1 ELSE 0 END AS within_band
            FROM {_table(dec)} d
            JOIN {_table(req)} r ON r.id = d.{_column(dec, "request")}
            JOIN {_table(school)} s ON s.id = r.{_column(req, "school")}
            JOIN {_table(Cluster)} c ON c.id = r.{_column(req, "cluster")}
            LEFT JOIN {_table(band)} b ON b.id = r.{_column(req, "band")}
            WHERE d.{_column(dec, "decided_at")} >= %s AND d.{_column(dec, "decided_at")} < %s
                  AND {outcome} IN ({awarded}, 'declined'){where}
        )
        SELECT * FROM ({" UNION ALL ".join(selects)}) AS g ORDER BY 1, 2, 3
    """  # noqa: S608 - only quoted names and fixed codes; every value is a %s parameter
    out: dict[str, list[dict]] = {key: [] for key in EQUALITY_GROUPINGS}
    with connection.cursor() as cursor:
        cursor.execute(sql, [window.start, window.end, *params])
        for key, first, second, n, awards, total, banded, within in cursor.fetchall():
            row = {
                "decisions": n,
                "awards": int(awards or 0),
                "awarded": _decimal(total),
                "banded": int(banded or 0),
                "within_band": int(within or 0),
            }
            if key == "need_band":
                row = {"need": first, "band": second, **row}
            elif key != "all":
                row = {"value": first, **row}
            out[key].append(row)
    out["spread"] = _moderation_spread(window, scope_kind, scope_id, stream_id)
    return out


def _moderation_spread(window: YearWindow, scope_kind, scope_id, stream_id) -> list[dict]:
    from panels.models import AgendaItem, Meeting, ModerationView

    v, i, m, r = ModerationView, AgendaItem, Meeting, FundingRequest
    total = " + ".join(
        f"v.{_column(v, c)}"
        for c in ("evidence_of_need", "graduated_approach", "likely_impact", "value_for_money")
    )
    where, params = _scope_filters(scope_kind, scope_id, stream_id)
    sql = f"""
        SELECT c.{_column(Cluster, "name")}, COUNT(*), AVG(per_item.spread)
        FROM (
            SELECT r.{_column(r, "cluster")} AS cluster_id, MAX({total}) - MIN({total}) AS spread
            FROM {_table(v)} v
            JOIN {_table(i)} i ON i.id = v.{_column(v, "item")}
            JOIN {_table(m)} mt ON mt.id = i.{_column(i, "meeting")}
            JOIN {_table(r)} r ON r.id = i.{_column(i, "request")}
            WHERE mt.{_column(m, "date")} >= %s AND mt.{_column(m, "date")} < %s{where}
            GROUP BY v.{_column(v, "item")}, r.{_column(r, "cluster")}
            HAVING COUNT(*) >= 2
        ) per_item
        JOIN {_table(Cluster)} c ON c.id = per_item.cluster_id
        GROUP BY c.{_column(Cluster, "name")}
        ORDER BY c.{_column(Cluster, "name")}
    """  # noqa: S608 - only quoted names; every value is a %s parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [window.start.date(), window.end.date(), *params])
        return [
            {"cluster": name, "items": int(n), "mean_spread": float(mean or 0)}
            for name, n, mean in cursor.fetchall()
        ]


# ---------------------------------------------------------------- the budget forecast

PIPELINE_STATES = ("submitted", "returned", "ready", "on_agenda", "deferred")
RATE_WINDOW_MONTHS = 24  # a cluster's rates are its decisions over the two years to the snapshot
PATTERN_YEARS = 3  # last years' monthly pattern: the three financial years before


def forecast_figures(
    start_year: int,
    *,
    as_of: datetime,
    scope_kind: str = "county",
    scope_id: int | None = None,
) -> dict[str, list[dict]]:
    """The budget forecast's aggregates, five grouped queries whatever the size:

    * ``budgets``: each cluster budget of the financial year in scope, with its ledger
      sums (allocated, committed, paid) and the instalments still scheduled after
      31 March (``next_year``, ``next_year_awards``);
    * ``pipeline``: per cluster and fund, the requests submitted but undecided, their
      number and the £ they ask for;
    * ``rates``: per cluster (every cluster: the county's rates are their sum), the
      panels' decisions in the ``RATE_WINDOW_MONTHS`` to the snapshot, the awards, the £
      awarded and the £ those awards had asked for;
    * ``pattern``: the county's commitments in each calendar month of the
      ``PATTERN_YEARS`` financial years before (commitments, not releases: the timing
      of new awards is what is spread).
    """
    from django.db.models import Count, Q
    from django.db.models.functions import ExtractMonth

    from budgets.models import ClusterBudget, EntryKind, InstalmentStatus, LedgerEntry
    from budgets.models import PaymentInstalment as Instalment
    from budgets.selectors.totals import totals_from_sums, with_totals
    from panels.models import Decision

    from .impact import add_months

    def in_scope(prefix: str = "") -> Q:
        if scope_kind == "cluster":
            return Q(**{f"{prefix}cluster_id": scope_id})
        if scope_kind == "district":
            return Q(**{f"{prefix}cluster__district_id": scope_id})
        return Q()

    year_end = datetime(start_year + 1, 3, 31).date()

    budgets = with_totals(
        ClusterBudget.objects.filter(in_scope(), year__start_year=start_year)
    ).values(
        "id",
        "cluster_id",
        "stream_id",
        "sum_allocation",
        "sum_adjustment",
        "sum_commitment",
        "sum_release",
        "sum_payment",
        cluster_name=F("cluster__name"),
        stream_name=F("stream__name"),
    )
    later = {
        r["budget_id"]: r
        for r in Instalment.objects.filter(
            in_scope("budget__"),
            budget__year__start_year=start_year,
            status=InstalmentStatus.SCHEDULED,
            due_date__gt=year_end,
        )
        .values("budget_id")
        .annotate(total=_money(Sum("amount")), awards=Count("request_id", distinct=True))
        .order_by()
    }
    budget_rows = []
    for b in budgets.order_by("cluster__name", "stream__name"):
        t = totals_from_sums(b)
        after = later.get(b["id"], {})
        budget_rows.append(
            {
                "budget_id": b["id"],
                "cluster_id": b["cluster_id"],
                "stream_id": b["stream_id"],
                "cluster": b["cluster_name"],
                "stream": b["stream_name"],
                "allocated": t.allocated,
                "committed": t.committed,
                "paid": t.paid,
                "next_year": Decimal(after.get("total", ZERO)).quantize(Decimal("0.01")),
                "next_year_awards": after.get("awards", 0),
            }
        )

    pipeline = [
        {
            **r,
            "cluster": r.pop("cluster_name"),
            "stream": r.pop("stream_name"),
            "requested": Decimal(r["requested"]).quantize(Decimal("0.01")),
        }
        for r in FundingRequest.objects.filter(in_scope(), state__in=PIPELINE_STATES)
        .values(
            "cluster_id",
            "stream_id",
            cluster_name=F("cluster__name"),
            stream_name=F("stream__name"),
        )
        .annotate(requests=Count("pk"), requested=_money(Sum("amount_requested")))
        .order_by("cluster__name", "stream__name")
    ]

    since = add_months(as_of.date(), -RATE_WINDOW_MONTHS)
    award = Q(outcome__in=list(AWARD_OUTCOMES))
    rates = list(
        Decision.objects.filter(
            outcome__in=[*AWARD_OUTCOMES, "declined"],
            decided_at__gte=datetime(since.year, since.month, since.day, tzinfo=as_of.tzinfo),
            decided_at__lte=as_of,
        )
        .values("request__cluster_id")
        .annotate(
            decisions=Count("pk"),
            awards=Count("pk", filter=award),
            awarded=_money(Sum("amount", filter=award)),
            asked=_money(Sum("request__amount_requested", filter=award)),
        )
        .order_by("request__cluster_id")
    )

    pattern = list(
        LedgerEntry.objects.filter(
            kind=EntryKind.COMMITMENT,
            budget__year__start_year__gte=start_year - PATTERN_YEARS,
            budget__year__start_year__lt=start_year,
        )
        .annotate(month=ExtractMonth("created_at"))
        .values("month")
        .annotate(total=_money(Sum("amount")))
        .order_by("month")
    )
    return {
        "budgets": budget_rows,
        "pipeline": pipeline,
        "rates": [{"cluster_id": r.pop("request__cluster_id"), **r} for r in rates],
        "pattern": pattern,
        "rate_window_months": RATE_WINDOW_MONTHS,
        "pattern_years": PATTERN_YEARS,
    }
