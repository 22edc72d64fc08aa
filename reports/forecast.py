"""A budget forecast with the pipeline: pure functions, no database.

The calculations of the budget forecast report (``figures.forecast`` draws them into
the report from ``queries.forecast_figures``), tested against cases worked by hand.

* The pipeline: requests submitted but undecided, weighted by the cluster's approval rate
  and mean award ratio (awarded ÷ requested) — the expected case; the worst case
  approves every one in full; the best case approves none of them.
* The spread: what is committed and expected is paid month by month as last years'
  payments were (their monthly shares), to the penny (largest remainder).
* The run-out month: the first month the cumulative spend goes above the allocation.
* The rates: a cluster's approval rate (awards ÷ decisions) and award ratio (awarded ÷
  requested, over its awards), each to 4 places so the workings can be redone by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
ZERO = Decimal("0.00")


def pipeline(requested: Sequence[Decimal], approval_rate: float, award_ratio: float) -> Decimal:
    """The expected £ of undecided requests: Σ requested × approval rate × award ratio."""
    total = sum(requested, ZERO)
    factor = Decimal(repr(approval_rate)) * Decimal(repr(award_ratio))
    return (total * factor).quantize(PENNY, ROUND_HALF_UP)


@dataclass(frozen=True)
class Scenario:
    name: str
    pipeline: Decimal  # £ of undecided requests taken to be awarded
    spend: Decimal  # committed so far + that pipeline
    left: Decimal  # allocated − spend (negative: overspent)


def scenarios(
    allocated: Decimal,
    committed: Decimal,
    requested: Sequence[Decimal],
    approval_rate: float,
    award_ratio: float,
) -> list[Scenario]:
    """Best (no undecided request approved), expected (by the cluster's rates) and worst
    (every undecided request approved in full)."""
    cases = [
        ("best", ZERO),
        ("expected", pipeline(requested, approval_rate, award_ratio)),
        ("worst", sum(requested, ZERO).quantize(PENNY)),
    ]
    return [Scenario(name, p, committed + p, allocated - committed - p) for name, p in cases]


def spread(amount: Decimal, pattern: Sequence[float]) -> list[Decimal]:
    """``amount`` spread over months in proportion to ``pattern`` (last years' monthly
    spend, any scale), to the penny, adding up to ``amount`` exactly: each month's
    share rounded down, the pennies left given to the largest remainders."""
    total = sum(pattern)
    if not total:
        raise ValueError("the monthly pattern has no spend to follow")
    pennies = int((amount / PENNY).to_integral_value(ROUND_HALF_UP))
    exact = [Decimal(pennies) * Decimal(repr(p)) / Decimal(repr(total)) for p in pattern]
    shares = [int(x.to_integral_value(ROUND_DOWN)) for x in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in order[: pennies - sum(shares)]:
        shares[i] += 1
    return [Decimal(s) * PENNY for s in shares]


def run_out_month(
    allocated: Decimal, spent_so_far: Decimal, months: Sequence[tuple[date, Decimal]]
) -> date | None:
    """The first month in which spend so far plus the months' spend goes above the
    allocation; None if it never does (within the months given)."""
    running = spent_so_far
    if running > allocated:
        return months[0][0] if months else None
    for month, amount in months:
        running += amount
        if running > allocated:
            return month
    return None


RATE_PLACES = 4


def financial_months(start_year: int) -> list[date]:
    """The first day of each month of the financial year starting in April ``start_year``."""
    return [date(start_year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]


def months_left(start_year: int, as_of: date) -> list[date]:
    """The months of the year still to come, the snapshot's month counted (decisions are
    still to be taken in it); all twelve before the year starts, none once it is over."""
    return [
        m for m in financial_months(start_year) if (m.year, m.month) >= (as_of.year, as_of.month)
    ]


def rates(decisions: int, awards: int, awarded: Decimal, requested: Decimal) -> tuple[float, float]:
    """(approval rate, award ratio) to 4 places: awards ÷ decisions, and awarded ÷ requested
    over the awards (1 when the awards asked for nothing); (0, 0) with no decisions."""
    if not decisions:
        return 0.0, 0.0
    approval = round(awards / decisions, RATE_PLACES)
    ratio = round(float(awarded) / float(requested), RATE_PLACES) if requested else 1.0
    return approval, ratio


def pattern_for(months: Sequence[date], by_month: dict[int, Decimal]) -> tuple[list[float], bool]:
    """Last years' commitments in each of ``months`` (by calendar month), as the pattern
    to spread by, and whether it was followed: with nothing committed in those months in
    earlier years, an even spread instead (False)."""
    pattern = [float(by_month.get(m.month, 0)) for m in months]
    if sum(pattern) > 0:
        return pattern, True
    return [1.0] * len(months), False


def run_out_text(allocated: Decimal, committed: Decimal, month: date | None) -> str:
    """The run-out month as the report writes it."""
    if committed > allocated:
        return "Already over the allocation"
    return month.strftime("%B %Y") if month else "Does not run out"
