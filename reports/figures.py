"""Turn the per-school aggregates from :mod:`reports.queries` into the two reports.

No database here: the inputs are one row per school (and per cluster for
allocations), so this runs in time proportional to the number of schools. The
output is plain JSON-ready data (money as strings of pounds and pence) that the
page, the HTML file, the CSV, the XLSX and the PDF all render from, so the files
agree with each other by construction.
"""

from __future__ import annotations

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
]
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
_UNIT_ONLY = {"schools", "high_send_count", "magnet_count", "below_fair_share_count"}
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


def inclusiveness(rows: list[dict], scope: ReportScope, params: Params) -> dict:
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

    def unit(level: str, name: str, members: list[dict]) -> dict:
        u = _sum_rows(members)
        u.update(_rates(u))
        u["level"], u["name"] = level, name
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
            if u["need_share"] is not None:
                u["expected_allocation"] = (
                    scope_allocation * Decimal(repr(u["need_share"]))
                ).quantize(PENNY)
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
    weights_text = ", ".join(
        f"{NEED_NAMES.get(name, name)} {w[name] / sum(w.values()):.0%}" for name in need_order(w)
    )
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
            "against the scope's total allocation shared by the same need weights."
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
