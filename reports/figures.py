"""Turn the per-school aggregates from :mod:`reports.queries` into the two reports.

No database here: the inputs are one row per school (and per cluster for
allocations), so this runs in time proportional to the number of schools. The
output is plain JSON-ready data (money as strings of pounds and pence) that the
page, the HTML file, the CSV, the XLSX and the PDF all render from, so the files
agree with each other by construction.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from operator import itemgetter
from typing import Any

from portal.money import format_gbp

from . import statistics as st

ZERO = Decimal("0.00")
PENNY = Decimal("0.01")
COUNTS = (
    "number_on_roll",
    "fsm_pupils",
    "ehcp_pupils",
    "sen_support_pupils",
    "suspensions",
    "permanent_exclusions",
    "sen_joiners_no_move",
    "requests",
    "decided",
    "approved",
)
MONEY = ("awarded", "contributions", "notional_sen_budget", "first_6000", "notional_shortfall")


@dataclass(frozen=True)
class ReportScope:
    kind: str  # "county", "district" or "cluster"
    id: int | None
    label: str

    def contains(self, row: dict) -> bool:
        if self.kind == "cluster":
            return row["cluster_id"] == self.id
        if self.kind == "district":
            return row["district_id"] == self.id
        return True


@dataclass
class Params:
    year: int
    national_ehcp_pct: float | None = None
    contribution_per_pupil: Decimal = Decimal("6000.00")
    thresholds: st.Thresholds = field(default_factory=st.Thresholds)
    weights: dict[str, float] = field(
        default_factory=lambda: {"roll": 1.0, "fsm": 1.0, "sen_support": 1.0}
    )
    # The weights the finance officer allocated with (None: the run's own weights).
    allocation_weights: dict[str, float] | None = None


def col(key: str, label: str, fmt: str = "text") -> list[str]:
    return [key, label, fmt]


# ---------------------------------------------------------------- helpers


def _json(value: Any) -> Any:
    kind = type(value)
    if kind is float:
        return round(value, 4)
    if kind is Decimal:
        return str(value if value.as_tuple().exponent == -2 else value.quantize(PENNY))
    return value


def _sum_rows(rows: Iterable[dict]) -> dict:
    # Column by column at C speed (itemgetter, zip, sum), not a Python loop per cell:
    # national reports sum 20,000 schools twice over.
    rows = rows if isinstance(rows, list) else list(rows)
    totals: dict[str, Any] = {"schools": len(rows)}
    if not rows:
        return {**dict.fromkeys(COUNTS, 0), **dict.fromkeys(MONEY, ZERO), **totals}
    try:
        counts = zip(*map(_COUNTS_OF, rows), strict=True)
        money = zip(*map(_MONEY_OF, rows), strict=True)
    except KeyError:  # a unit's row without every figure
        counts = ([r.get(k) for r in rows] for k in COUNTS)
        money = ([r.get(k) for r in rows] for k in MONEY)
    for k, column in zip(COUNTS, counts, strict=True):
        totals[k] = sum([v for v in column if v])
    for k, column in zip(MONEY, money, strict=True):
        totals[k] = sum([v for v in column if v is not None], ZERO)
    return totals


_COUNTS_OF, _MONEY_OF = itemgetter(*COUNTS), itemgetter(*MONEY)


def _rates(t: dict) -> dict:
    """The rate columns of one unit (school, cluster or total) from its counts."""
    roll = t["number_on_roll"]
    return {
        "sen_support_pct": st.per_100(t["sen_support_pupils"], roll),
        "ehcp_pct": st.per_100(t["ehcp_pupils"], roll),
        "sen_pct": st.per_100(t["sen_support_pupils"] + t["ehcp_pupils"], roll),
        "requests_per_100": st.per_100(t["requests"], roll),
        "approval_rate": st.per_100(t["approved"], t["decided"]),
        "awarded_per_pupil": st.money_per(t["awarded"], roll),
        "awarded_per_sen_support": st.money_per(t["awarded"], t["sen_support_pupils"]),
        "suspensions_per_100": st.per_100(t["suspensions"], roll),
        "exclusions_per_100": st.per_100(t["permanent_exclusions"], roll),
        "sen_joiners_per_100": st.per_100(t["sen_joiners_no_move"], roll),
    }


def year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def no_statistics_note(year: int) -> str:
    return f"No statistics for {year_label(year)}"


def merge(schools: list[dict], params: Params) -> list[dict]:
    """Each school's row (its figures and requests, from one query) with its first-£6,000
    position: the contributions it makes before the high-needs block pays.

    A school with requests but no statistics for the year keeps its requests and awards
    (so every total is the ledger's), with a note saying so and no rates."""
    note = no_statistics_note(params.year)
    for r in schools:
        for k in ("awarded", "contributions"):
            r[k] = r[k].quantize(PENNY)
        if r.get("has_stats", True):
            r["note"] = ""
            r["notional_sen_budget"] = r["notional_sen_budget"].quantize(PENNY)
            r["first_6000"] = (
                params.contribution_per_pupil * r["ehcp_pupils"] + r["contributions"]
            ).quantize(PENNY)
            r["notional_shortfall"] = max(ZERO, r["first_6000"] - r["notional_sen_budget"])
        else:  # its EHCP pupils and notional budget are not known
            r["note"] = note
            r["notional_sen_budget"] = r["first_6000"] = r["notional_shortfall"] = None
    return schools


def _without_statistics(schools: list[dict], year: int) -> list[list]:
    """A summary line counting the schools with no statistics for the year, if any."""
    n = sum(1 for r in schools if r.get("note"))
    return [[f"Schools with no statistics for {year_label(year)}", n, "int"]] if n else []


def _scope_total_label(scope: ReportScope) -> str:
    return f"Total: {scope.label}"


# ---------------------------------------------------------------- inclusiveness

INCLUSIVENESS_COLUMNS = [
    col("level", "Level"),
    col("name", "Name"),
    col("urn", "URN"),
    col("cluster_name", "Cluster"),
    col("phase", "Phase", "phase"),
    col("schools", "Schools", "int"),
    col("number_on_roll", "Pupils on roll", "int"),
    col("sen_support_pct", "% SEN support", "pct"),
    col("cluster_sen_support_pct", "Cluster % SEN support", "pct"),
    col("county_sen_support_pct", "County % SEN support", "pct"),
    col("ehcp_pct", "% EHCP", "pct"),
    col("cluster_ehcp_pct", "Cluster % EHCP", "pct"),
    col("county_ehcp_pct", "County % EHCP", "pct"),
    col("requests", "Requests", "int"),
    col("requests_per_100", "Requests per 100 pupils", "rate"),
    col("approval_rate", "Approval rate", "pct"),
    col("awarded", "£ awarded", "money"),
    col("awarded_per_pupil", "£ awarded per pupil", "money"),
    col("awarded_per_sen_support", "£ awarded per SEN-support pupil", "money"),
    col("suspensions_per_100", "Suspensions per 100", "rate"),
    col("exclusions_per_100", "Permanent exclusions per 100", "rate"),
    col("sen_joiners_no_move", "SEN joiners who did not move house", "int"),
    col("sen_joiners_per_100", "SEN joiners (no house move) per 100", "rate"),
    col("notional_sen_budget", "Notional SEN budget", "money"),
    col("first_6000", "First-£6,000 contributions", "money"),
    col("notional_shortfall", "Notional budget shortfall", "money"),
    col("index", "Inclusiveness index", "index"),
    col("high_send", "High-SEND", "flag"),
    col("magnet", "Magnet", "flag"),
    col("below_fair_share", "Below fair share", "flag"),
    col("flags", "Flags"),
    col("note", "Note"),
    col("high_send_count", "High-SEND schools", "int"),
    col("magnet_count", "Magnet schools", "int"),
    col("below_fair_share_count", "Schools below fair share", "int"),
    # The decision clock (funding.selectors.decision_clock), clusters and totals only.
    col("clock_decided", "Requests decided (clock)", "int"),
    col("median_with_la", "Median working days with the LA", "rate"),
    col("median_since_submitted", "Median working days since first submitted", "rate"),
    col("within_target_pct", "% decided within the target", "pct"),
]
CLOCK_COLUMNS = ("clock_decided", "median_with_la", "median_since_submitted", "within_target_pct")
_SCHOOL_ONLY = {
    "urn",
    "flags",
    "note",
    "phase",
    "cluster_sen_support_pct",
    "county_sen_support_pct",
    "cluster_ehcp_pct",
    "county_ehcp_pct",
    "high_send",
    "magnet",
    "below_fair_share",
}
_UNIT_ONLY = {"schools", "high_send_count", "magnet_count", "below_fair_share_count",
              *CLOCK_COLUMNS}  # fmt: skip
INCLUSIVENESS_SCHOOL_COLS = [
    c[0] for c in INCLUSIVENESS_COLUMNS if c[0] not in _UNIT_ONLY | {"flags"}
]
# The PDF's narrower tables (every column is in the HTML, CSV and XLSX files).
_INCLUSIVENESS_PRINT = [
    "name",
    "number_on_roll",
    "sen_support_pct",
    "ehcp_pct",
    "requests_per_100",
    "approval_rate",
    "awarded",
    "awarded_per_pupil",
    "suspensions_per_100",
    "exclusions_per_100",
    "sen_joiners_per_100",
]
INCLUSIVENESS_SCHOOL_PRINT = [
    *_INCLUSIVENESS_PRINT[:1],
    "cluster_name",
    *_INCLUSIVENESS_PRINT[1:],
    "notional_shortfall",
    "index",
    "flags",
]
INCLUSIVENESS_UNIT_PRINT = [
    *_INCLUSIVENESS_PRINT[:1],
    "schools",
    *_INCLUSIVENESS_PRINT[1:],
    "index",
    "high_send_count",
    "magnet_count",
    "below_fair_share_count",
]
INCLUSIVENESS_UNIT_COLS = [
    c[0] for c in INCLUSIVENESS_COLUMNS if c[0] not in _SCHOOL_ONLY | {"cluster_name"}
]


@dataclass(frozen=True)
class Clocks:
    """The decided requests' clocks, as the report reads them: per cluster, the working
    days with the LA and those since first submitted of each request (two lists of
    numbers rather than an object a request: a national report has a few hundred
    thousand), and the LA's target."""

    target: int
    by_cluster: dict[int, tuple[list[int], list[int]]]


def clock_figures(with_la: list[int], since_submitted: list[int], target: int) -> dict:
    """The decision clock of a unit's decided requests: medians and the share on time."""
    with_la = sorted(with_la)
    return {
        "clock_decided": len(with_la),
        "median_with_la": st.median(with_la),
        "median_since_submitted": st.median(since_submitted),
        "within_target_pct": st.per_100(bisect_right(with_la, target), len(with_la)),
    }


def inclusiveness(
    rows: list[dict], scope: ReportScope, params: Params, clocks: Clocks | None = None
) -> dict:
    t = params.thresholds
    # Each school's rates, its cluster's and the county's, and its index (standardised
    # over every county school of the same phase, so that it reads the same in its
    # cluster's report and the county's) come from the query (``reports.queries``);
    # here only what is money or a flag.
    national = params.national_ehcp_pct
    money_per, is_magnet, is_below = st.money_per, st.is_magnet, st.is_below_fair_share
    for r in rows:
        awarded, roll = r["awarded"], r["number_on_roll"]
        r["awarded_per_pupil"] = money_per(awarded, roll)
        r["awarded_per_sen_support"] = money_per(awarded, r["sen_support_pupils"])
        r["high_send"] = high = st.is_high_send(r["ehcp_pct"], r["county_ehcp_pct"], national)
        r["magnet"] = magnet = is_magnet(
            r["sen_joiners_no_move"], r["sen_joiners_per_100"], r["county_sen_joiners_per_100"], t
        )
        r["below_fair_share"] = below = is_below(r["sen_pct"], r["cluster_sen_pct"], t)
        flags = [
            label
            for on, label in ((high, "High-SEND"), (magnet, "Magnet"), (below, "Below fair share"))
            if on
        ]
        if r["note"]:
            flags.append(r["note"])
        r["flags"] = ", ".join(flags)

    schools = [r for r in rows if scope.contains(r)]

    clocks = clocks or Clocks(0, {})
    no_clocks: tuple[list[int], list[int]] = ([], [])

    def unit(level: str, name: str, members: list[dict]) -> dict:
        u = _sum_rows(members)
        u.update(_rates(u))
        u["level"], u["name"] = level, name
        in_unit = [clocks.by_cluster.get(k, no_clocks) for k in {m["cluster_id"] for m in members}]
        u.update(
            clock_figures(
                [v for la, _ in in_unit for v in la],
                [v for _, since in in_unit for v in since],
                clocks.target,
            )
        )
        indices = [m["index"] for m in members if m["index"] is not None]
        u["index"] = st.mean(indices)
        u["high_send_count"] = sum(1 for m in members if m["high_send"])
        u["magnet_count"] = sum(1 for m in members if m["magnet"])
        u["below_fair_share_count"] = sum(1 for m in members if m["below_fair_share"])
        return u

    by_cluster: dict[tuple, list[dict]] = defaultdict(list)
    for r in schools:
        r["level"] = "school"
        by_cluster[(r["district_name"], r["cluster_name"], r["cluster_id"])].append(r)
    clusters = [unit("cluster", key[1], members) for key, members in by_cluster.items()]
    total = unit("total", _scope_total_label(scope), schools)
    comparators = [] if scope.kind == "county" else [unit("county", "County", rows)]

    method = [
        st.INDEX_METHOD,
        "Rates are per 100 pupils on roll in the academic year; cluster and county "
        "percentages are pupil-weighted (the cluster's pupils on SEN support over its "
        "pupils on roll).",
        "Requests are those submitted in the academic year. The approval rate is the "
        "requests approved (in full or in part) over the requests decided (approved or "
        "declined). £ awarded is the amount awarded on approved requests.",
        f"First-£6,000 contributions: {format_gbp(params.contribution_per_pupil)} for each pupil "
        "with an EHCP plus the school's own contributions on its approved requests. The "
        "shortfall is how far these exceed the notional SEN budget (0 where it suffices).",
        "Time to decision (clusters and totals): the requests submitted in the academic "
        "year and decided since; working days with the LA from the first submission to the "
        "decision, without the days a request was returned to the school when the LA pauses "
        "its clock there, beside the working days since first submitted — the same figures "
        "as the triage queue, the request page and the API.",
        "High-SEND compares each school's % EHCP with the county (local) average and the "
        + (
            f"national average of {params.national_ehcp_pct:g}% entered by the LA."
            if params.national_ehcp_pct is not None
            else "national average — not entered for this report, so the flag is not shown."
        ),
    ]
    chart_units = schools if scope.kind == "cluster" else clusters
    return {
        "kind": "inclusiveness",
        "columns": INCLUSIVENESS_COLUMNS,
        "sections": [
            _section(
                "schools", "Schools", INCLUSIVENESS_SCHOOL_COLS, schools, INCLUSIVENESS_SCHOOL_PRINT
            ),
            _section(
                "clusters", "Clusters", INCLUSIVENESS_UNIT_COLS, clusters, INCLUSIVENESS_UNIT_PRINT
            ),
            _section(
                "total",
                "Totals",
                INCLUSIVENESS_UNIT_COLS,
                [total, *comparators],
                INCLUSIVENESS_UNIT_PRINT,
            ),
        ],
        "summary": [
            ["Schools", total["schools"], "int"],
            ["Pupils on roll", total["number_on_roll"], "int"],
            ["% SEN support", _json(total["sen_support_pct"]), "pct"],
            ["% EHCP", _json(total["ehcp_pct"]), "pct"],
            ["£ awarded", _json(total["awarded"]), "money"],
            ["Approval rate", _json(total["approval_rate"]), "pct"],
            [
                "Median working days with the LA to a decision",
                _json(total["median_with_la"]),
                "rate",
            ],
            ["% decided within the target", _json(total["within_target_pct"]), "pct"],
            ["Magnet schools", total["magnet_count"], "int"],
            ["Schools below fair share", total["below_fair_share_count"], "int"],
            ["High-SEND schools", total["high_send_count"], "int"],
            *_without_statistics(schools, params.year),
        ],
        "total_awarded": _json(total["awarded"]),
        "method": method,
        "thresholds": t.describe(),
        "charts": [
            _chart(
                "sen",
                "% of pupils on SEN support and with an EHCP",
                chart_units,
                [("sen_support_pct", "% SEN support"), ("ehcp_pct", "% EHCP")],
                "pct",
            ),
            _chart(
                "index",
                "Inclusiveness index (0 = county average for the phase)",
                chart_units,
                [("index", "Inclusiveness index")],
                "index",
            ),
        ],
    }


# ---------------------------------------------------------------- fair share

NEED_NAMES = {"roll": "pupils on roll", "fsm": "FSM pupils", "sen_support": "SEN support"}


def need_order(weights: dict) -> list[str]:
    """The weights' names in a fixed order (PostgreSQL's JSON reorders the keys)."""
    return [k for k in NEED_NAMES if k in weights] + sorted(set(weights) - set(NEED_NAMES))


FAIR_SHARE_COLUMNS = [
    col("level", "Level"),
    col("name", "Name"),
    col("urn", "URN"),
    col("cluster_name", "Cluster"),
    col("schools", "Schools", "int"),
    col("number_on_roll", "Pupils on roll", "int"),
    col("fsm_pupils", "FSM pupils", "int"),
    col("sen_support_pupils", "SEN-support pupils", "int"),
    col("roll_share", "Share of roll", "share"),
    col("fsm_share", "Share of FSM", "share"),
    col("sen_support_share", "Share of SEN support", "share"),
    col("need_share", "Share of need", "share"),
    col("awarded", "£ awarded", "money"),
    col("award_share", "Share of £ awarded", "share"),
    col("fair_share_ratio", "Award share ÷ need share", "ratio"),
    col("expected_award", "£ expected by need", "money"),
    col("award_difference", "£ awarded − expected", "money"),
    col("awarded_per_pupil", "Spend per pupil", "money"),
    col("allocation", "£ allocated", "money"),
    col("expected_allocation", "£ allocation expected by formula", "money"),
    col("allocation_difference", "£ allocated − expected", "money"),
    col("note", "Note"),
]
FAIR_SHARE_SCHOOL_COLS = [
    c[0]
    for c in FAIR_SHARE_COLUMNS
    if c[0] not in {"schools", "allocation", "expected_allocation", "allocation_difference"}
]
FAIR_SHARE_CLUSTER_COLS = [
    c[0] for c in FAIR_SHARE_COLUMNS if c[0] not in {"urn", "cluster_name", "note"}
]
FAIR_SHARE_SCHOOL_PRINT = [
    "name",
    "cluster_name",
    "number_on_roll",
    "roll_share",
    "fsm_share",
    "sen_support_share",
    "need_share",
    "awarded",
    "award_share",
    "fair_share_ratio",
    "award_difference",
    "awarded_per_pupil",
    "note",
]
FAIR_SHARE_CLUSTER_PRINT = [
    "name",
    "schools",
    "need_share",
    "awarded",
    "award_share",
    "fair_share_ratio",
    "award_difference",
    "awarded_per_pupil",
    "allocation",
    "expected_allocation",
    "allocation_difference",
]
FAIR_SHARE_TOTAL_COLS = [
    c[0]
    for c in FAIR_SHARE_COLUMNS
    if c[0] not in {"urn", "cluster_name", "fair_share_ratio", "award_difference", "note"}
]


def _weights_text(w: dict) -> str:
    return ", ".join(
        f"{NEED_NAMES.get(name, name)} {w[name] / sum(w.values()):.0%}" for name in need_order(w)
    )


def fair_share(
    rows: list[dict],
    scope: ReportScope,
    params: Params,
    allocations: dict[int, Decimal] | None,
) -> dict:
    schools = [r for r in rows if scope.contains(r)]
    total = _sum_rows(schools)
    has_budgets = allocations is not None
    allocations = allocations or {}

    ratio, need_share, weights = st.ratio, st.need_share, params.weights
    t_roll, t_fsm, t_sen = (
        total["number_on_roll"],
        total["fsm_pupils"],
        total["sen_support_pupils"],
    )
    t_awarded = total["awarded"]

    def shares(u: dict) -> None:  # once per school: kept to plain lookups
        if u.get("note"):  # no statistics: its need is not known, not nil
            roll = fsm = sen = None
        else:
            roll = ratio(u["number_on_roll"], t_roll)
            fsm = ratio(u["fsm_pupils"], t_fsm)
            sen = ratio(u["sen_support_pupils"], t_sen)
        u["roll_share"], u["fsm_share"], u["sen_support_share"] = roll, fsm, sen
        u["need_share"] = need = need_share({"roll": roll, "fsm": fsm, "sen_support": sen}, weights)
        u["award_share"] = award = ratio(u["awarded"], t_awarded)
        u["fair_share_ratio"] = ratio(award, need) if award is not None and need else None
        if need is not None:
            u["expected_award"] = expected = (t_awarded * Decimal(repr(need))).quantize(PENNY)
            u["award_difference"] = u["awarded"] - expected
        u["awarded_per_pupil"] = st.money_per(u["awarded"], u["number_on_roll"])

    by_cluster: dict[tuple, list[dict]] = defaultdict(list)
    for r in schools:
        r["level"] = "school"
        shares(r)
        by_cluster[(r["district_name"], r["cluster_name"], r["cluster_id"])].append(r)

    clusters = []
    scope_allocation = sum((allocations.get(key[2], ZERO) for key in by_cluster), ZERO).quantize(
        PENNY
    )
    for key, members in by_cluster.items():
        u = _sum_rows(members)
        u["level"], u["name"] = "cluster", key[1]
        shares(u)
        if has_budgets:
            u["allocation"] = allocations.get(key[2], ZERO)
            by_formula = (
                need_share(
                    {"roll": u["roll_share"], "fsm": u["fsm_share"],
                     "sen_support": u["sen_support_share"]},
                    params.allocation_weights,
                )
                if params.allocation_weights
                else u["need_share"]
            )  # fmt: skip
            if by_formula is not None:
                u["expected_allocation"] = (scope_allocation * Decimal(repr(by_formula))).quantize(
                    PENNY
                )
                u["allocation_difference"] = u["allocation"] - u["expected_allocation"]
        clusters.append(u)

    t = dict(total)
    t["level"], t["name"] = "total", _scope_total_label(scope)
    shares(t)
    if has_budgets:
        t["allocation"] = scope_allocation
        t["expected_allocation"] = scope_allocation

    awards = [r["awarded"] for r in schools]
    per_pupil = [r["awarded_per_pupil"] for r in schools if r["awarded_per_pupil"] is not None]
    concentration = {
        "gini": st.gini(awards),
        "gini_per_pupil": st.gini(per_pupil),
        "top_decile_share": st.top_share(awards, 0.1),
    }
    w = params.weights
    weights_text = _weights_text(w)
    method = [
        "Each unit's share of need is the weighted mean of its shares of pupils on roll, "
        f"FSM pupils and pupils on SEN support within {scope.label} (weights: {weights_text}).",
        "Its share of funding is its share of the £ awarded on requests submitted in the "
        "academic year and approved in full or in part. The ratio is the share of funding "
        "over the share of need: 1.00 is exactly a fair share, above 1 more than its share.",
        "£ expected by need is the total awarded times the share of need.",
        (
            "Allocation against the formula: each cluster's allocations and adjustments on "
            "its budgets for the financial year starting in April of the academic year, "
            "against the scope's total allocation shared by the weights the LA allocated "
            f"with ({_weights_text(params.allocation_weights or w)})."
            if has_budgets
            else "Allocation against the formula: cluster budgets are not recorded in the "
            "portal yet, so awards are compared with the need formula instead."
        ),
        "Concentration: the Gini coefficient of £ awarded across schools (0 when every "
        "school receives the same, towards 1 when one school receives it all), the same "
        "for £ per pupil, and the share of the total taken by the top 10% of schools "
        "(at least one school).",
    ]
    chart_units = schools if scope.kind == "cluster" else clusters
    return {
        "kind": "fair_share",
        "columns": FAIR_SHARE_COLUMNS,
        "sections": [
            _section(
                "schools", "Schools", FAIR_SHARE_SCHOOL_COLS, schools, FAIR_SHARE_SCHOOL_PRINT
            ),
            _section(
                "clusters", "Clusters", FAIR_SHARE_CLUSTER_COLS, clusters, FAIR_SHARE_CLUSTER_PRINT
            ),
            _section("total", "Totals", FAIR_SHARE_TOTAL_COLS, [t], FAIR_SHARE_CLUSTER_PRINT),
        ],
        "summary": [
            ["Schools", total["schools"], "int"],
            ["£ awarded", _json(total["awarded"]), "money"],
            [
                "Spend per pupil",
                _json(st.money_per(total["awarded"], total["number_on_roll"])),
                "money",
            ],
            ["Gini coefficient of awards", _json(concentration["gini"]), "ratio"],
            ["Gini coefficient of £ per pupil", _json(concentration["gini_per_pupil"]), "ratio"],
            [
                "Share taken by the top 10% of schools",
                _json(concentration["top_decile_share"]),
                "share",
            ],
            *_without_statistics(schools, params.year),
        ],
        "concentration": {k: _json(v) for k, v in concentration.items()},
        "total_awarded": _json(total["awarded"]),
        "method": method,
        "thresholds": [],
        "charts": [
            _chart(
                "shares",
                "Share of funding against share of need",
                chart_units,
                [("need_share", "Share of need"), ("award_share", "Share of £ awarded")],
                "share",
            ),
            _chart(
                "ratio",
                "Award share ÷ need share (1.00 = fair share)",
                chart_units,
                [("fair_share_ratio", "Ratio")],
                "ratio",
            ),
        ],
    }


# ---------------------------------------------------------------- shared shapes

PRINT_ONLY = {"flags"}
MONEY_KEYS = {c[0] for c in (*INCLUSIVENESS_COLUMNS, *FAIR_SHARE_COLUMNS) if c[2] == "money"}


def _section(
    key: str, title: str, columns: list[str], rows: list[dict], print_columns: list[str]
) -> dict:
    # The PDF's columns are the section's, plus the schools' compact "Flags" text.
    print_columns = [c for c in print_columns if c in columns or c in PRINT_ONLY]
    keys = list(dict.fromkeys(("level", *columns, *print_columns)))
    at = [i for i, k in enumerate(keys) if k in MONEY_KEYS]
    get = itemgetter(*keys)
    out = []
    for r in rows:  # once per school: a report of 20,000 schools writes 20,000 rows
        try:
            values = list(get(r))
        except KeyError:  # a unit has no URN, a school no count of schools
            values = [r.get(k) for k in keys]
        for i in at:
            if values[i] is not None:
                values[i] = str(values[i])  # always to the penny (quantized where computed)
        out.append(dict(zip(keys, values, strict=True)))
    return {
        "key": key,
        "title": title,
        "columns": [c for c in columns if c != "level"],
        "print_columns": print_columns,
        "rows": out,
    }


CHART_MAX_BARS = 40


def _chart(key: str, title: str, units: list[dict], series, fmt: str) -> dict:
    """A bar chart of units; of many units, only the lowest and highest by the last series."""
    if len(units) > CHART_MAX_BARS:
        by = series[-1][0]
        known = sorted((u for u in units if u.get(by) is not None), key=lambda u: u[by])
        half = CHART_MAX_BARS // 2
        if len(known) > CHART_MAX_BARS:
            title += f" — the {half} lowest and {half} highest of {len(known)}"
            known = known[:half] + known[-half:]
        units = known
    return {
        "id": key,
        "title": title,
        "fmt": fmt,
        "labels": [u["name"] for u in units],
        "datasets": [
            {"label": label, "data": [_json(u.get(k)) for u in units]} for k, label in series
        ],
    }


# ---------------------------------------------------------------- impact

IMPACT_EVENTS = [
    ("ehcna_requested", "EHC needs assessment requested"),
    ("ehcp_issued", "EHCP issued"),
    ("specialist_placement", "Specialist placement"),
    ("ap_placement", "Alternative provision placement"),
    ("permanent_exclusion", "Permanent exclusion"),
    ("left_mainstream", "Left mainstream (specialist or AP placement, or permanent exclusion)"),
    ("any", "Any of these"),
]
COHORTS = {"1": "Funded", "0": "Declined (comparison group)"}
RESULTS = ("met", "partly", "not_met")
DIMENSIONS = [("need", "Primary need"), ("band", "Band"), ("phase", "Phase"), ("stream", "Fund")]
PLACEMENT_TYPES = [
    ("specialist_placement", "Specialist placement"),
    ("ap_placement", "Alternative provision placement"),
]

IMPACT_COLUMNS = [
    col("level", "Table"),
    col("name", "Name"),
    col("cohort", "Group"),
    col("dimension", "By"),
    col("followed_12", "Pupils followed 12 months", "count"),
    col("with_12", "With the event within 12 months", "count"),
    col("rate_12", "% within 12 months", "pct"),
    col("followed_24", "Pupils followed 24 months", "count"),
    col("with_24", "With the event within 24 months", "count"),
    col("rate_24", "% within 24 months", "pct"),
    col("sustained_12", "Still in mainstream at 12 months", "count"),
    col("sustained_12_pct", "% still in mainstream at 12 months", "pct"),
    col("sustained_24", "Still in mainstream at 24 months", "count"),
    col("sustained_24_pct", "% still in mainstream at 24 months", "pct"),
    col("met", "Outcomes met", "count"),
    col("partly", "Partly met", "count"),
    col("not_met", "Not met", "count"),
    col("reviews", "Reviews", "count"),
    col("met_pct", "% met", "pct"),
    col("funded_pupils", "Funded pupils followed 12 months", "count"),
    col("funded_placed", "Funded pupils placed", "count"),
    col("comparison_pupils", "Comparison pupils followed 12 months", "count"),
    col("comparison_placed", "Comparison pupils placed", "count"),
    col("comparison_rate", "Comparison placements per 100", "pct"),
    col("expected_placed", "Placements expected at the comparison rate", "rate"),
    col("avoided", "Placements avoided (estimate)", "rate"),
    col("unit_cost", "Cost of a placement a year", "money"),
    col("saving", "Cost avoided a year (estimate)", "money"),
    col("with_award", "With an award", "count"),
    col("without_award", "Without an award (instead of money)", "count"),
    col("follow_ups", "Support recorded", "count"),
    col("due", "Follow-up date passed", "count"),
    col("decisions", "Decisions", "count"),
    col("approval_pct", "% approved (in full or part)", "pct"),
    col("county_approval_pct", "County % approved", "pct"),
    col("mean_award", "Mean award", "money"),
    col("county_mean_award", "County mean award", "money"),
    col("within_band_pct", "% of banded awards within the band's usual range", "pct"),
    col("items", "Items moderated by 2 or more", "count"),
    col("mean_spread", "Mean spread of members' total scores (4 to 16)", "rate"),
]
IMPACT_ESCALATION_COLS = ["name", "cohort", "followed_12", "with_12", "rate_12", "followed_24",
                          "with_24", "rate_24"]  # fmt: skip
IMPACT_SUSTAINED_COLS = ["name", "followed_12", "sustained_12", "sustained_12_pct", "followed_24",
                         "sustained_24", "sustained_24_pct"]  # fmt: skip
IMPACT_OUTCOME_COLS = ["name", "dimension", "met", "partly", "not_met", "reviews", "met_pct"]
IMPACT_SUPPORT_COLS = ["name", "with_award", "without_award", "follow_ups", "due"]
IMPACT_COST_COLS = ["name", "funded_pupils", "funded_placed", "comparison_pupils",
                    "comparison_placed", "comparison_rate", "expected_placed", "avoided",
                    "unit_cost", "saving"]  # fmt: skip


def _plain_section(key: str, title: str, columns: list[str], rows: list[dict]) -> dict:
    return {
        "key": key,
        "title": title,
        "columns": columns,
        "print_columns": columns,
        "rows": [{"level": key, **{c: r.get(c) for c in columns}} for r in rows],
    }


IMPACT_EQUALITY_COLS = ["name", "dimension", "decisions", "approval_pct", "mean_award",
                        "within_band_pct"]  # fmt: skip
IMPACT_CLUSTER_COLS = ["name", "decisions", "approval_pct", "county_approval_pct", "mean_award",
                       "county_mean_award", "within_band_pct", "items", "mean_spread"]  # fmt: skip


def _decision_measures(row: dict) -> dict:
    from . import impact as im

    return {
        "decisions": im.suppress(row["decisions"]),
        "approval_pct": im.rate(row["awards"], row["decisions"]),
        "mean_award": _json(im.mean_award(row["awarded"], row["awards"])),
        "within_band_pct": im.rate(row["within_band"], row["banded"]),
    }


def equalities(eq: dict[str, list[dict]]) -> list[dict]:
    """The sections "Decisions by pupil group" and "Clusters against the county" from
    ``queries.equalities_figures``: approval rate and mean award by sex, year group,
    primary need, phase, and need and band, and each cluster beside the county with the
    moderation spread; small numbers shown as "low"."""
    from clusters.models import Phase
    from funding.models import Sex, YearGroup

    labels = {
        "sex": ("Sex", dict(Sex.choices)),
        "year_group": ("Year group", dict(YearGroup.choices)),
        "need": ("Primary need", {}),
        "phase": ("Phase", dict(Phase.choices)),
    }
    rows = []
    for dimension, (title, names) in labels.items():
        for row in eq.get(dimension, []):
            value = row["value"]
            rows.append(
                {
                    "name": names.get(value, value) or "Not given",
                    "dimension": title,
                    **_decision_measures(row),
                }
            )
    for row in eq.get("need_band", []):
        band = f"band {row['band']}" if row["band"] is not None else "no band"
        rows.append(
            {
                "name": f"{row['need'] or 'Not given'}, {band}",
                "dimension": "Need and band",
                **_decision_measures(row),
            }
        )
    county = _decision_measures(eq["all"][0]) if eq.get("all") else {}
    spread = {s["cluster"]: s for s in eq.get("spread", [])}
    clusters = []
    for row in eq.get("cluster", []):
        moderated = spread.get(row["value"], {})
        clusters.append(
            {
                "name": row["value"],
                **_decision_measures(row),
                "county_approval_pct": county.get("approval_pct"),
                "county_mean_award": county.get("mean_award"),
                "items": moderated.get("items", 0),
                "mean_spread": round(moderated["mean_spread"], 1) if moderated else None,
            }
        )
    return [
        _plain_section("equalities", "Decisions by pupil group", IMPACT_EQUALITY_COLS, rows),
        _plain_section("consistency", "Clusters against the county", IMPACT_CLUSTER_COLS, clusters),
    ]


def _pct_or_none(value):
    return value if isinstance(value, float) else None


def impact(
    figures_rows: list[tuple],
    scope: ReportScope,
    params: Params,
    unit_costs: dict[str, Decimal],
    stream_label: str | None = None,
    equality_figures: dict[str, list[dict]] | None = None,
) -> dict:
    """The impact report from ``queries.impact_figures``' rows: escalation against the
    comparison group, placements sustained, the cost-avoidance estimate with its
    workings, and outcomes at review by need, band, phase and fund. Every count of 1 to 4
    is shown as "low", and so is any rate made from one."""
    from panels.models import FollowUpKind

    from . import impact as im

    pupils = {"1": (0, 0, 0), "0": (0, 0, 0)}
    events: dict[tuple[str, str], tuple[int, int]] = {}
    reviews: dict[tuple[str, str], dict[str, int]] = {}
    support: dict[tuple[str, str], tuple[int, int]] = {}
    for section, a, b, n1, n2, n3 in figures_rows:
        n1, n2, n3 = int(n1 or 0), int(n2 or 0), int(n3 or 0)
        if section == "pupils":
            pupils[a] = (n1, n2, n3)
        elif section == "event":
            events[(a, b)] = (n2, n3)
        elif section == "support":
            support[(a, b)] = (n1, n2)
        else:
            reviews.setdefault((section, a or ""), dict.fromkeys(RESULTS, 0))[b] = n1

    escalation_rows, chart_units = [], []
    for kind, label in IMPACT_EVENTS:
        unit = {"name": label}
        for cohort, cohort_label in COHORTS.items():
            _, f12, f24 = pupils[cohort]
            w12, w24 = events.get((cohort, kind), (0, 0))
            row = {
                "name": label,
                "cohort": cohort_label,
                "followed_12": im.suppress(f12),
                "with_12": im.suppress(w12),
                "rate_12": im.rate(w12, f12),
                "followed_24": im.suppress(f24),
                "with_24": im.suppress(w24),
                "rate_24": im.rate(w24, f24),
            }
            escalation_rows.append(row)
            unit[f"rate_{cohort}"] = _pct_or_none(row["rate_12"])
        chart_units.append(unit)

    sustained_rows = []
    for cohort, cohort_label in COHORTS.items():
        _, f12, f24 = pupils[cohort]
        l12, l24 = events.get((cohort, "left_mainstream"), (0, 0))
        s12, s24 = im.sustained(f12, l12), im.sustained(f24, l24)
        sustained_rows.append(
            {
                "name": cohort_label,
                "followed_12": im.suppress(f12),
                "sustained_12": im.suppress(s12),
                "sustained_12_pct": im.rate(s12, f12),
                "followed_24": im.suppress(f24),
                "sustained_24": im.suppress(s24),
                "sustained_24_pct": im.rate(s24, f24),
            }
        )

    cost_rows, total_saving, estimated = [], ZERO, False
    funded_12, comparison_12 = pupils["1"][1], pupils["0"][1]
    for kind, label in PLACEMENT_TYPES:
        w = im.cost_avoidance(
            kind,
            funded_12,
            events.get(("1", kind), (0, 0))[0],
            comparison_12,
            events.get(("0", kind), (0, 0))[0],
            unit_costs[kind],
        )
        # An estimate from fewer than 5 pupils in a group would say too much about them.
        shown = min(funded_12, comparison_12) >= im.SMALLEST_SHOWN and w.saving is not None
        if shown:
            total_saving += w.saving
            estimated = True
        cost_rows.append(
            {
                "name": label,
                "funded_pupils": im.suppress(w.funded_pupils),
                "funded_placed": im.suppress(w.funded_placed),
                "comparison_pupils": im.suppress(w.comparison_pupils),
                "comparison_placed": im.suppress(w.comparison_placed),
                "comparison_rate": im.rate(w.comparison_placed, w.comparison_pupils),
                "expected_placed": float(w.expected_placed) if shown else None,
                "avoided": float(w.avoided) if shown else None,
                "unit_cost": _json(w.unit_cost),
                "saving": _json(w.saving) if shown else None,
            }
        )

    outcome_rows = []
    dimension_names = dict(DIMENSIONS)
    for dimension, _ in DIMENSIONS:
        for (d, value), counts in sorted(reviews.items()):
            if d != dimension:
                continue
            met, partly, not_met = (counts[k] for k in RESULTS)
            outcome_rows.append(
                {
                    "name": value or "Not given",
                    "dimension": dimension_names[dimension],
                    "met": im.suppress(met),
                    "partly": im.suppress(partly),
                    "not_met": im.suppress(not_met),
                    "reviews": im.suppress(met + partly + not_met),
                    "met_pct": im.share_met(met, partly, not_met),
                }
            )
    # Counts of decisions, not of pupils: shown in full (no pupil is found from them).
    support_rows = []
    for kind, label in FollowUpKind.choices:
        with_award, due_with = support.get((kind, "1"), (0, 0))
        alone, due_alone = support.get((kind, "0"), (0, 0))
        support_rows.append(
            {
                "name": label,
                "with_award": with_award,
                "without_award": alone,
                "follow_ups": with_award + alone,
                "due": due_with + due_alone,
            }
        )
    all_reviews = [
        sum(c[k] for (d, _), c in reviews.items() if d == "need") for k in RESULTS
    ]  # each review once
    funded_n, declined_n = pupils["1"][0], pupils["0"][0]
    summary = [
        ["Pupils funded (first award in the year)", im.suppress(funded_n), "count"],
        ["Pupils declined and never funded (comparison group)", im.suppress(declined_n), "count"],
        ["Funded pupils followed for 12 months", im.suppress(funded_12), "count"],
        ["Outcome reviews", im.suppress(sum(all_reviews)), "count"],
        ["% of reviews with outcomes met", im.share_met(*all_reviews), "pct"],
        [
            "Cost avoided a year (estimate, 12 months)",
            _json(total_saving) if estimated else None,
            "money",
        ],
    ]
    costs_text = ", ".join(f"{label} {format_gbp(unit_costs[k])}" for k, label in PLACEMENT_TYPES)
    method = [
        f"The pupils are those with a UPN recorded on a request in {scope.label}"
        + (f" to {stream_label}" if stream_label else "")
        + " whose first award was decided in the academic year (funded), or who were "
        "declined in the year and never funded (the comparison group). A pupil counts once, "
        "from the date of that first decision.",
        "Escalation comes from the LA's own records (the escalation extract): an EHC needs "
        "assessment requested, an EHCP issued, a specialist or alternative-provision "
        "placement, or a permanent exclusion, on or after the decision. A pupil is counted "
        "at 12 (24) months only once 12 (24) months have passed since the decision, so "
        "the later horizon has fewer pupils.",
        "Still in mainstream: pupils followed that long with no specialist or AP "
        "placement and no permanent exclusion in the time.",
        "Cost avoided: the comparison group's placements per pupil within 12 months, times "
        "the funded pupils followed 12 months, is the number of placements expected without "
        "the funding; less the placements the funded pupils had, times the LA's yearly cost "
        f"of a placement ({costs_text}). Shown only when both groups have at least 5 "
        "pupils followed; a negative figure means more placements than expected.",
        "Outcomes: the SENCO's review of each request submitted in the year (met, partly "
        "met or not met), by the pupil's primary need, band, school phase and fund.",
        "Equalities and consistency: the panels' decisions taken in the year (approved, "
        "in part or declined) by the pupil's sex, year group, primary need, school phase, "
        "and need and band — the share approved and the mean award — and each cluster "
        "beside the county, with the share of banded awards within the band's usual range "
        "and the moderation spread (the highest less the lowest of the members' total "
        "scores on an item, averaged over items two or more members scored). A mean from "
        'fewer than 5 awards is shown as "low".',
        "Support beyond money: the advice and referrals (outreach, educational "
        "psychologist, specialist teacher) the panels recorded with decisions taken in the "
        "year, with an award or instead of one, and how many have reached the date the "
        "panel set to follow them up.",
        'Small numbers: a count of 1 to 4 is shown as "low", as DfE statistics do, and so '
        "is a rate made from one, or from fewer than 5 pupils.",
    ]
    caveats = [
        "Caveats: the declined pupils are not a random control group — a panel declined "
        "them, often because their needs were judged lower or met otherwise — so the "
        "difference is an association, not proof that the funding caused it.",
        "The estimate counts placements, not their length, and uses one yearly cost for "
        "each type; it leaves out the cost of the funding itself and of EHCPs.",
        "Pupils without a UPN on their request, and events the LA's extract does not "
        "hold (another LA's, or after a move), are not counted.",
    ]
    return {
        "kind": "impact",
        "columns": IMPACT_COLUMNS,
        "sections": [
            _plain_section(
                "escalation",
                "Escalation within 12 and 24 months",
                IMPACT_ESCALATION_COLS,
                escalation_rows,
            ),
            _plain_section(
                "sustained",
                "Mainstream placements sustained",
                IMPACT_SUSTAINED_COLS,
                sustained_rows,
            ),  # fmt: skip
            _plain_section("cost", "Cost avoidance: the workings", IMPACT_COST_COLS, cost_rows),
            _plain_section("outcomes", "Outcomes at review", IMPACT_OUTCOME_COLS, outcome_rows),
            _plain_section("support", "Support beyond money", IMPACT_SUPPORT_COLS, support_rows),
            *(equalities(equality_figures) if equality_figures is not None else []),
        ],
        "summary": summary,
        "method": method + caveats,
        "thresholds": [],
        "charts": [
            _chart(
                "escalation",
                "Pupils with each event within 12 months, per 100: funded against declined",
                chart_units,
                [("rate_1", "Funded"), ("rate_0", "Declined")],
                "pct",
            )
        ],
        "cohorts": {
            "funded": funded_n,
            "declined": declined_n,
        },
    }


# ---------------------------------------------------------------- the budget forecast

FORECAST_COLUMNS = [
    col("level", "Table"),
    col("name", "Name"),
    col("allocated", "Allocated", "money"),
    col("committed", "Committed so far", "money"),
    col("paid", "Paid so far", "money"),
    col("available", "Available now", "money"),
    col("requests", "Requests submitted, undecided", "int"),
    col("requested", "Asked for by undecided requests", "money"),
    col("approval_rate", "Approval rate used", "factor"),
    col("award_ratio", "Award ratio used", "factor"),
    col("rates_from", "Rates from"),
    col("pipeline_expected", "Expected from undecided", "money"),
    col("left_best", "Left at 31 March, best case", "money"),
    col("left_expected", "Left at 31 March, expected", "money"),
    col("left_worst", "Left at 31 March, worst case", "money"),
    col("run_out_best", "Runs out, best case"),
    col("run_out_expected", "Runs out, expected"),
    col("run_out_worst", "Runs out, worst case"),
    col("next_year", "Due after 31 March (next year)", "money"),
    col("next_year_awards", "Awards running into next year", "int"),
    col("share", "Share of the months left", "share"),
    col("expected_month", "Expected commitments in the month", "money"),
    col("worst_month", "Worst-case commitments in the month", "money"),
    col("spend_expected", "Spend to date, expected", "money"),
    col("spend_worst", "Spend to date, worst case", "money"),
    col("decisions", "Decisions", "int"),
    col("awards", "Awards", "int"),
    col("awarded", "Awarded", "money"),
    col("asked", "Asked for by those awards", "money"),
    col("earlier", "Committed in the years before", "money"),
    col("year_share", "Share of the year", "share"),
    col("in_forecast", "A month left", "flag"),
]
FORECAST_BUDGET_COLS = ["name", "allocated", "committed", "paid", "available", "requests",
                        "requested", "approval_rate", "award_ratio", "rates_from",
                        "pipeline_expected",
                        "left_best", "left_expected", "left_worst", "run_out_best",
                        "run_out_expected", "run_out_worst", "next_year",
                        "next_year_awards"]  # fmt: skip
FORECAST_BUDGET_PRINT = ["name", "allocated", "committed", "paid", "requested",
                         "pipeline_expected", "left_expected", "left_worst", "run_out_expected",
                         "run_out_worst", "next_year"]  # fmt: skip
FORECAST_MONTH_COLS = ["name", "share", "expected_month", "worst_month", "spend_expected",
                       "spend_worst", "allocated"]  # fmt: skip
FORECAST_RATE_COLS = ["name", "decisions", "awards", "awarded", "asked", "approval_rate",
                      "award_ratio", "rates_from"]  # fmt: skip
FORECAST_PATTERN_COLS = ["name", "earlier", "year_share", "in_forecast"]
SCENARIOS = ("best", "expected", "worst")
# A cluster with fewer decisions than this in the window is forecast at the county's rates.
FORECAST_MIN_DECISIONS = 5


def _money_json(value: Decimal) -> str:
    return str(Decimal(value).quantize(PENNY))


def forecast(data: dict, scope: ReportScope, start_year: int, as_of) -> dict:
    """The budget forecast from ``queries.forecast_figures``: each budget's committed and
    paid so far, the undecided requests weighted by its cluster's rates (best: none
    approved; worst: all in full), spread over the months left by last years' pattern to
    the penny, the month each case runs out, and what is due after 31 March. The
    scope's total is the sum of its budgets, month by month, so it adds up exactly."""
    from . import forecast as fc

    year = year_label(start_year)
    window, earlier_years = data.get("rate_window_months", 24), data.get("pattern_years", 3)
    months = fc.months_left(start_year, as_of)
    by_month = {int(r["month"]): Decimal(r["total"]) for r in data["pattern"]}
    pattern, followed = fc.pattern_for(months, by_month)

    # The rates: each cluster's own from 5 decisions up, else the county's.
    county_counts = [sum(r[k] for r in data["rates"]) for k in ("decisions", "awards")]
    county_money = [sum((r[k] for r in data["rates"]), ZERO) for k in ("awarded", "asked")]
    county_rates = fc.rates(*county_counts, *county_money)
    counts = {r["cluster_id"]: r for r in data["rates"]}

    def rates_of(cluster_id: int) -> tuple[float, float, str]:
        r = counts.get(cluster_id)
        if r and r["decisions"] >= FORECAST_MIN_DECISIONS:
            return (*fc.rates(r["decisions"], r["awards"], r["awarded"], r["asked"]), "the cluster")
        return (*county_rates, "the county")

    pairs: dict[tuple[int, int], dict] = {}
    for b in data["budgets"]:
        pairs[(b["cluster_id"], b["stream_id"])] = {**b, "requests": 0, "requested": ZERO}
    for p in data["pipeline"]:
        row = pairs.setdefault(
            (p["cluster_id"], p["stream_id"]),
            {"cluster_id": p["cluster_id"], "cluster": p["cluster"], "stream": p["stream"],
             "allocated": ZERO, "committed": ZERO, "paid": ZERO, "next_year": ZERO,
             "next_year_awards": 0},
        )  # fmt: skip
        row["requests"], row["requested"] = p["requests"], p["requested"]

    zeros = [ZERO] * len(months)
    total_months = {s: list(zeros) for s in SCENARIOS}
    budget_rows, chart_units, shown_clusters = [], [], {}
    for (cluster_id, _), b in sorted(
        pairs.items(), key=lambda kv: (kv[1]["cluster"], kv[1]["stream"])
    ):
        approval, ratio, source = rates_of(cluster_id)
        shown_clusters[cluster_id] = b["cluster"]
        requested = [b["requested"]] if months else []  # the year over: none to come in it
        row = {
            "name": f"{b['cluster']}: {b['stream']}",
            "allocated": b["allocated"],
            "committed": b["committed"],
            "paid": b["paid"],
            "available": b["allocated"] - b["committed"],
            "requests": b["requests"],
            "requested": b["requested"],
            "approval_rate": approval,
            "award_ratio": ratio,
            "rates_from": source,
            "next_year": b["next_year"],
            "next_year_awards": b["next_year_awards"],
        }
        for case in fc.scenarios(b["allocated"], b["committed"], requested, approval, ratio):
            monthly = fc.spread(case.pipeline, pattern) if months else []
            for i, amount in enumerate(monthly):
                total_months[case.name][i] += amount
            month = fc.run_out_month(
                b["allocated"], b["committed"], list(zip(months, monthly, strict=True))
            )
            row[f"pipeline_{case.name}"] = case.pipeline
            row[f"left_{case.name}"] = case.left
            row[f"spend_{case.name}"] = case.spend
            row[f"run_out_{case.name}"] = fc.run_out_text(b["allocated"], b["committed"], month)
        budget_rows.append(row)
        chart_units.append(row)

    total = {"name": f"Total: {scope.label}", "rates_from": ""}
    for k in ("allocated", "committed", "paid", "available", "requested", "next_year",
              *(f"{p}_{s}" for p in ("pipeline", "left", "spend") for s in SCENARIOS)):  # fmt: skip
        total[k] = sum((r[k] for r in budget_rows), ZERO)
    for k in ("requests", "next_year_awards"):
        total[k] = sum(r[k] for r in budget_rows)
    for s in SCENARIOS:
        month = fc.run_out_month(
            total["allocated"], total["committed"], list(zip(months, total_months[s], strict=True))
        )
        total[f"run_out_{s}"] = fc.run_out_text(total["allocated"], total["committed"], month)

    month_rows, running = [], {"expected": total["committed"], "worst": total["committed"]}
    pattern_total = sum(pattern) or 1
    for i, m in enumerate(months):
        for s in ("expected", "worst"):
            running[s] += total_months[s][i]
        month_rows.append(
            {
                "name": m.strftime("%B %Y"),
                "share": pattern[i] / pattern_total,
                "expected_month": total_months["expected"][i],
                "worst_month": total_months["worst"][i],
                "spend_expected": running["expected"],
                "spend_worst": running["worst"],
                "allocated": total["allocated"],
            }
        )
    if month_rows:
        month_rows.append(
            {
                "name": "Total of the months left",
                "share": 1.0,
                "expected_month": sum(total_months["expected"], ZERO),
                "worst_month": sum(total_months["worst"], ZERO),
            }
        )

    rate_rows = []
    for cluster_id, name in sorted(shown_clusters.items(), key=lambda kv: kv[1]):
        r = counts.get(cluster_id, {"decisions": 0, "awards": 0, "awarded": ZERO, "asked": ZERO})
        approval, ratio, source = rates_of(cluster_id)
        rate_rows.append(
            {"name": name, **{k: r[k] for k in ("decisions", "awards", "awarded", "asked")},
             "approval_rate": approval, "award_ratio": ratio, "rates_from": source}
        )  # fmt: skip
    rate_rows.append(
        {"name": "The county (every cluster)", "decisions": county_counts[0],
         "awards": county_counts[1], "awarded": county_money[0], "asked": county_money[1],
         "approval_rate": county_rates[0], "award_ratio": county_rates[1], "rates_from": ""}
    )  # fmt: skip

    year_total = sum(by_month.values(), ZERO)
    left = {m.month for m in months}
    pattern_rows = [
        {
            "name": m.strftime("%B"),
            "earlier": by_month.get(m.month, ZERO),
            "year_share": float(by_month.get(m.month, ZERO) / year_total) if year_total else None,
            "in_forecast": m.month in left,
        }
        for m in fc.financial_months(start_year)
    ]

    def section(key, title, columns, rows, print_columns=None):
        s = _plain_section(key, title, columns, [_json_row(r) for r in rows])
        if print_columns:
            s["print_columns"] = print_columns
        return s

    summary = [
        ["Allocated", _money_json(total["allocated"]), "money"],
        ["Committed so far", _money_json(total["committed"]), "money"],
        ["Paid so far", _money_json(total["paid"]), "money"],
        ["Requests submitted and undecided", total["requests"], "int"],
        ["Asked for by undecided requests", _money_json(total["requested"]), "money"],
        ["Expected from undecided requests", _money_json(total["pipeline_expected"]), "money"],
        ["Left at 31 March, best case", _money_json(total["left_best"]), "money"],
        ["Left at 31 March, expected", _money_json(total["left_expected"]), "money"],
        ["Left at 31 March, worst case", _money_json(total["left_worst"]), "money"],
        ["Runs out, best case", total["run_out_best"], "text"],
        ["Runs out, expected", total["run_out_expected"], "text"],
        ["Runs out, worst case", total["run_out_worst"], "text"],
        [
            f"Due after 31 March {start_year + 1} from awards running into the next year",
            _money_json(total["next_year"]),
            "money",
        ],  # fmt: skip
    ]
    first_left = months[0].strftime("%B %Y") if months else None
    method = [
        f"The financial year {year} (1 April {start_year} to 31 March {start_year + 1}), as "
        f"of {as_of:%-d %B %Y}. Allocated, committed and paid are sums over each cluster "
        "budget's ledger: allocations and adjustments; commitments less releases; payments.",
        "Undecided requests: those submitted and not yet decided (submitted, returned for "
        "more information, ready for panel, on an agenda or deferred), the £ they ask for, "
        "by cluster and fund. Drafts are not counted.",
        "Best case: none of them approved. Expected: the £ asked for × the cluster's "
        "approval rate × its award ratio, to the penny. Worst case: every one approved in "
        "full.",
        f"The rates: a cluster's panels' decisions in the {window} months to the snapshot — the "
        "approval rate is awards (approved in full or in part) ÷ decisions, the award ratio "
        "the £ awarded ÷ the £ those awards asked for, each to 4 places. A cluster with "
        f"fewer than {FORECAST_MIN_DECISIONS} decisions is forecast at the county's rates "
        "(every cluster's decisions together).",
        (
            f"The spread: what is expected is committed over the months left ({first_left} "
            f"to March {start_year + 1}, this month counted) as the county's commitments "
            f"fell in those months over the financial years {start_year - earlier_years}/"
            f"{(start_year - earlier_years + 1) % 100:02d} to {start_year - 1}/{start_year % 100:02d}, to the "
            "penny (largest remainder)."
            if followed
            else f"The spread: nothing was committed in the months left in the "
            f"{earlier_years} years before, so what is expected is spread evenly over the months left "
            f"({first_left} to March {start_year + 1}), to the penny."
        )
        if months
        else "The year is over: no months are left in it, so undecided requests are not "
        "forecast on its budgets (they will be committed on the next year's).",
        "The run-out month: the first month in which the committed so far plus the "
        'commitments spread to that month go above the allocation; "Does not run out" '
        "when they never do by 31 March. The scope's total is the sum of its budgets, "
        "month by month, and runs out when their total does.",
        f"Next year: the instalments of awards committed on {year}'s budgets that are still "
        f"scheduled to be paid after 31 March {start_year + 1} (the awards running into the "
        "next year), by budget.",
        "Caveats: new requests not yet submitted are not forecast, nor are releases at "
        "review, adjustments or transfers; the rates and the pattern are the past's.",
    ]
    basis = [
        ["Financial year", f"{year}: 1 April {start_year} to 31 March {start_year + 1}"],
        ["Months left", f"{first_left} to March {start_year + 1}" if months else "none"],
        ["Rates from", f"the panels' decisions in the {window} months to the snapshot; the "
         f"county's below {FORECAST_MIN_DECISIONS} decisions"],
        ["Monthly pattern", f"the county's commitments, {earlier_years} years before"
         + ("" if followed or not months else " (none in the months left: even)")],
    ]  # fmt: skip
    return {
        "kind": "forecast",
        "basis": basis,
        "columns": FORECAST_COLUMNS,
        "sections": [
            section(
                "budgets",
                "Budgets to 31 March and after",
                FORECAST_BUDGET_COLS,
                [*budget_rows, total],
                FORECAST_BUDGET_PRINT,
            ),
            section("months", "The months left, one by one", FORECAST_MONTH_COLS, month_rows),
            section("rates", "The rates used", FORECAST_RATE_COLS, rate_rows),
            section("pattern", "Last years' monthly pattern", FORECAST_PATTERN_COLS, pattern_rows),
        ],
        "summary": summary,
        "method": method,
        "thresholds": [],
        "charts": [
            _chart(
                "year_end",
                "Spend at 31 March against the allocation, by budget",
                chart_units,
                [
                    ("allocated", "Allocated"),
                    ("spend_expected", "Expected spend"),
                    ("spend_worst", "Worst-case spend"),
                ],  # fmt: skip
                "money",
            ),
            _chart(
                "months",
                "Commitments expected in each month left, from undecided requests",
                month_rows[:-1],
                [("expected_month", "Expected"), ("worst_month", "Worst case")],
                "money",
            ),
        ],
        "totals": {k: _json(v) for k, v in total.items()},
    }


def _json_row(row: dict) -> dict:
    return {k: _json(v) for k, v in row.items()}


# ---------------------------------------------------------------- the Schools Forum pack

PACK_COLUMNS = [
    col("level", "Table"),
    col("name", "Figure"),
    col("report", "Report"),
    col("value", "Value"),
]


def kpi_pack(parts: list[tuple], *, term: str, year: int, first, following, as_of) -> dict:
    """The Schools Forum KPI pack: each report's headline figures (its summary) for the
    county, written as the report writes them, one table a report; a report that could
    not be produced is there with the reason. ``parts``: (its kind, the report's name,
    its kind's name, its result or None, the reason)."""
    from .formatting import format_value

    term_name = f"{term.capitalize()} term {year_label(year)}"
    sections, summary, method = [], [], []
    available = 0
    for kind, name, kind_name, result, error in parts:
        if result is None:
            rows = [{"name": "Not available", "report": name, "value": error}]
        else:
            available += 1
            rows = [
                {"name": label, "report": name, "value": format_value(value, fmt)}
                for label, value, fmt in result["summary"]
            ]
        sections.append(_plain_section(kind, kind_name,
                                       ["name", "value"], rows))  # fmt: skip
        method.append(
            f"{kind_name}: the summary of the {name.split(',')[0].lower()} for the county "
            + (f"({result['title']}), produced by the same code as that report; ask for it "
               "on the reports page for its tables and workings." if result
               else f"— not available: {error}")
        )  # fmt: skip
    summary = [
        [
            "Term",
            f"{term_name}: from {first:%-d %B %Y} (the next term starts {following:%-d %B %Y})",
            "text",
        ],  # fmt: skip
        ["Reports with figures", f"{available} of {len(parts)}", "text"],
        ["Figures as of", f"{as_of:%-d %B %Y}", "text"],
    ]
    basis = [["Term", term_name]] + [
        [f"{kind_name}: year", (result or {}).get("title", name).split(", ", 1)[-1]]
        for kind, name, kind_name, result, _ in parts
    ]
    return {
        "kind": "kpi_pack",
        "basis": basis,
        "title": f"Schools Forum KPI pack: the county, {term_name}",
        "columns": PACK_COLUMNS,
        "sections": sections,
        "summary": summary,
        "method": [
            "The headline figures of every report for the whole county, for the LA to take "
            "to Schools Forum, read from one snapshot of the portal's data. Each report's "
            "figures are of the academic year; the budget forecast's of the financial year "
            'the term falls in. Small numbers are shown as "low" as in the reports.',
            *method,
        ],
        "thresholds": [],
        "charts": [],
    }
