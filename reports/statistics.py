"""Pure statistics for the reports: no Django, no database, easy to check by hand.

Money comes in as ``Decimal`` and stays ``Decimal``; rates and indices are floats
(they are ratios shown to one or two decimal places, never added to money).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

# Indicators of the composite inclusiveness index and their signs: +1 where a
# higher value means a more inclusive school, -1 where it means a less inclusive one.
INDEX_INDICATORS: dict[str, int] = {
    "sen_support_pct": +1,
    "ehcp_pct": +1,
    "sen_joiners_per_100": +1,
    "suspensions_per_100": -1,
    "exclusions_per_100": -1,
}
INDEX_LABELS: dict[str, str] = {
    "sen_support_pct": "% of pupils on SEN support",
    "ehcp_pct": "% of pupils with an EHCP",
    "sen_joiners_per_100": "SEN joiners who did not move house, per 100 pupils",
    "suspensions_per_100": "suspensions per 100 pupils",
    "exclusions_per_100": "permanent exclusions per 100 pupils",
}

INDEX_METHOD = (
    "The inclusiveness index is the mean of five standardised indicators. Each indicator "
    "is turned into a z-score (the school's value minus the mean of schools of the same "
    "phase across the county, divided by their standard deviation) and signed so that "
    "higher means more inclusive: % on SEN support (+), % with an EHCP (+), SEN joiners "
    "who did not move house per 100 pupils (+), suspensions per 100 (−) and permanent "
    "exclusions per 100 (−). 0 is the county average for the phase; +1 is one standard "
    "deviation more inclusive. An indicator that does not vary within a phase counts as 0."
)


@dataclass(frozen=True)
class Thresholds:
    """The flag thresholds, stored with each report run and printed on the report."""

    # Magnet: SEN joiners who did not move house per 100 pupils at least this many
    # times the county rate, and at least ``magnet_min_joiners`` such joiners.
    magnet_ratio: float = 2.0
    magnet_min_joiners: int = 3
    # Below fair share: % of pupils with SEN (SEN support + EHCP) below this fraction
    # of the cluster's %.
    below_fair_share_ratio: float = 0.75

    def describe(self) -> list[str]:
        return [
            f"Magnet: SEN joiners who did not move house per 100 pupils at least "
            f"{self.magnet_ratio:g} times the county rate, and at least "
            f"{self.magnet_min_joiners} such joiners in the year.",
            f"Below fair share: the % of pupils with SEN (SEN support plus EHCP) is below "
            f"{self.below_fair_share_ratio:.0%} of the cluster's %.",
            "High-SEND (NFER): the % of pupils with an EHCP is above both the county "
            "(local) average and the national average entered by the LA.",
        ]


def ratio(numerator: float | Decimal | int, denominator: float | Decimal | int) -> float | None:
    """numerator / denominator as a float, or None when the denominator is 0."""
    if not denominator:
        return None
    return float(numerator) / float(denominator)


def per_100(count: float | Decimal | int, pupils: float | Decimal | int) -> float | None:
    r = ratio(count, pupils)
    return None if r is None else 100.0 * r


PENNY = Decimal("0.01")


def money_per(amount: Decimal, count: int) -> Decimal | None:
    """£ per pupil to the penny, or None when there are no pupils."""
    if not count:
        return None
    return (Decimal(amount) / count).quantize(PENNY)


def mean(values: Iterable[float]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def median(values: Iterable[float]) -> float | None:
    """The middle value (the mean of the two middle values of an even number); None of
    none."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return None
    middle = n // 2
    return float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def pstdev(values: Iterable[float]) -> float | None:
    """Population standard deviation."""
    vals = [v for v in values if v is not None]
    if not vals:
        return None
    m = sum(vals) / len(vals)
    return math.sqrt(sum((v - m) ** 2 for v in vals) / len(vals))


def zscores(values: Sequence[float | None]) -> list[float | None]:
    """Standard scores against the population of non-missing values (0 if no spread)."""
    m, sd = mean(values), pstdev(values)
    return [
        None if v is None else (0.0 if not sd else (v - m) / sd)  # type: ignore[operator]
        for v in values
    ]


def inclusiveness_index(
    rows: Sequence[Mapping[str, float | None]],
    groups: Sequence[object] | None = None,
    indicators: Mapping[str, int] = INDEX_INDICATORS,
) -> list[float | None]:
    """The composite index for each row: the mean of its signed z-scores.

    ``groups`` (e.g. each school's phase) standardises within each group; a row's
    missing indicator is left out of its mean; a row with none gets None.
    """
    n = len(rows)
    groups = list(groups) if groups is not None else [None] * n
    signed: list[list[float]] = [[] for _ in range(n)]
    for group in dict.fromkeys(groups):
        members = [i for i in range(n) if groups[i] == group]
        for name, sign in indicators.items():
            zs = zscores([rows[i].get(name) for i in members])
            for i, z in zip(members, zs, strict=True):
                if z is not None:
                    signed[i].append(sign * z)
    return [sum(s) / len(s) if s else None for s in signed]


def is_high_send(
    ehcp_pct: float | None, local_pct: float | None, national_pct: float | None
) -> bool | None:
    """NFER's high-SEND school: EHCP share above both the local and the national average.

    None when a figure is missing (the flag cannot be decided).
    """
    if ehcp_pct is None or local_pct is None or national_pct is None:
        return None
    return ehcp_pct > local_pct and ehcp_pct > national_pct


def is_magnet(
    joiners: int, joiners_per_100: float | None, county_per_100: float | None, t: Thresholds
) -> bool:
    if joiners_per_100 is None or not county_per_100:
        return False
    return joiners >= t.magnet_min_joiners and joiners_per_100 >= t.magnet_ratio * county_per_100


def is_below_fair_share(
    sen_pct: float | None, cluster_sen_pct: float | None, t: Thresholds
) -> bool:
    if sen_pct is None or not cluster_sen_pct:
        return False
    return sen_pct < t.below_fair_share_ratio * cluster_sen_pct


def gini(values: Sequence[float | Decimal]) -> float | None:
    """Gini coefficient of non-negative amounts: 0 all equal, (n-1)/n one takes all.

    G = Σ_i Σ_j |x_i − x_j| / (2 n² mean), computed from the sorted values as
    G = 2 Σ_i i·x_(i) / (n Σ x) − (n + 1) / n, i = 1..n ascending.
    """
    xs = sorted(float(v) for v in values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total == 0:
        return None
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return 2 * weighted / (n * total) - (n + 1) / n


def top_share(values: Sequence[float | Decimal], fraction: float = 0.1) -> float | None:
    """Share of the total taken by the top ``fraction`` of units (at least one unit)."""
    xs = sorted((Decimal(v) for v in values), reverse=True)
    total = sum(xs, Decimal(0))
    if not xs or total == 0:
        return None
    k = max(1, math.ceil(len(xs) * fraction - 1e-9))
    return float(sum(xs[:k], Decimal(0)) / total)


def need_share(shares: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted share of need from the unit's shares of roll, FSM and SEN support."""
    total_w = sum(weights.values())
    if not total_w:
        return None
    acc = 0.0
    for name, w in weights.items():
        s = shares.get(name)
        if s is None:
            return None
        acc += w * s
    return acc / total_w
