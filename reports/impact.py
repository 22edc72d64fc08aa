"""The impact report's statistics: pure functions, no database.

The aggregation (``queries.impact_figures``) gives counts: pupils in each cohort
(funded; declined, the comparison group), how many of them have been followed for 12
and 24 months, and how many of those had each event in that time. Everything below
turns those counts into the report, and is tested against small cases worked by hand.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

LOW = "low"  # a count of 1 to 4, as DfE statistics show it
SMALLEST_SHOWN = 5
PENNY = Decimal("0.01")
HORIZONS = (12, 24)


def suppress(n: int | None) -> int | str | None:
    """A count as published: 1 to 4 is "low" (DfE's convention); 0 and 5 up are shown."""
    if n is None:
        return None
    return LOW if 0 < n < SMALLEST_SHOWN else n


def rate(events: int, pupils: int) -> float | str | None:
    """Events per 100 pupils, to one place; "low" when either count is small enough to
    identify pupils (events 1 to 4, or fewer than 5 pupils); None with no pupils."""
    if not pupils:
        return None
    if 0 < events < SMALLEST_SHOWN or pupils < SMALLEST_SHOWN:
        return LOW
    return round(100 * events / pupils, 1)


def mean_award(total: Decimal, awards: int) -> Decimal | str | None:
    """The mean award to the penny; "low" from fewer than 5 awards; None with none."""
    if not awards:
        return None
    if awards < SMALLEST_SHOWN:
        return LOW
    return (Decimal(total) / awards).quantize(PENNY, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def followed(index: date, as_of: date, months: int) -> bool:
    """Has the pupil been followed for ``months`` since ``index`` by ``as_of``?"""
    return add_months(index, months) <= as_of


def within(index: date, event: date, months: int) -> bool:
    """Did the event fall on or after ``index`` and within ``months`` of it?"""
    return index <= event <= add_months(index, months)


def cohort(decisions: list[tuple[date, bool]]) -> tuple[str, date] | None:
    """A pupil's cohort and index date from their decisions (date, awarded?): funded
    from the first award if any, else declined from the first decline."""
    if not decisions:
        return None
    awards = [d for d, awarded in decisions if awarded]
    if awards:
        return "funded", min(awards)
    return "declined", min(d for d, _ in decisions)


@dataclass(frozen=True)
class CostAvoidance:
    """The workings of one placement type's estimate, every step kept to be shown."""

    kind: str
    funded_pupils: int
    funded_placed: int
    comparison_pupils: int
    comparison_placed: int
    comparison_rate: Decimal | None  # placements per pupil in the comparison group
    expected_placed: Decimal | None  # funded pupils × the comparison rate
    avoided: Decimal | None  # expected − actual (negative: more placements than expected)
    unit_cost: Decimal
    saving: Decimal | None  # avoided × unit cost


def cost_avoidance(
    kind: str,
    funded_pupils: int,
    funded_placed: int,
    comparison_pupils: int,
    comparison_placed: int,
    unit_cost: Decimal,
) -> CostAvoidance:
    """If the funded pupils had been placed at the comparison group's rate, how many
    placements would there have been, and what would the difference cost a year?
    None where a group has no pupils followed (nothing to compare)."""
    if not funded_pupils or not comparison_pupils:
        return CostAvoidance(
            kind, funded_pupils, funded_placed, comparison_pupils, comparison_placed,
            None, None, None, unit_cost, None,
        )  # fmt: skip
    comparison_rate = Decimal(comparison_placed) / Decimal(comparison_pupils)
    expected = (comparison_rate * funded_pupils).quantize(PENNY, ROUND_HALF_UP)
    avoided = expected - funded_placed
    saving = (avoided * unit_cost).quantize(PENNY, ROUND_HALF_UP)
    return CostAvoidance(
        kind, funded_pupils, funded_placed, comparison_pupils, comparison_placed,
        comparison_rate.quantize(Decimal("0.0001"), ROUND_HALF_UP), expected, avoided,
        unit_cost, saving,
    )  # fmt: skip


def sustained(followed_pupils: int, left_mainstream: int) -> int:
    """Pupils still in mainstream at the horizon: followed, and no specialist or
    alternative-provision placement nor permanent exclusion in the time."""
    return followed_pupils - left_mainstream


def share_met(met: int, partly: int, not_met: int) -> float | str | None:
    """The % of reviews whose outcomes were met (suppressed like any rate)."""
    return rate(met, met + partly + not_met)
