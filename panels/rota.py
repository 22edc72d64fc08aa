"""The chair rota as pure functions (no database), so it can be property-tested.

Fairness rule: each meeting, every *eligible* headteacher (in term, not away)
earns an equal share of that meeting's chairing (1 / number eligible); the
meeting goes to the eligible head furthest behind their earned share (then the
fewest chairs, then who chaired longest ago, then list order). So heads who are
eligible throughout never differ by more than one chair, a newcomer joins at
their fair share instead of chairing a run of meetings to "catch up", and a
departure or absence re-balances among the rest.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction

HEADTEACHER = "headteacher"


@dataclass(frozen=True)
class Candidate:
    id: Hashable
    role: str = HEADTEACHER
    start: date = date.min
    end: date | None = None
    away: tuple[tuple[date, date], ...] = field(default=())

    def eligible_on(self, day: date) -> bool:
        if self.role != HEADTEACHER:
            return False
        if day < self.start or (self.end is not None and day > self.end):
            return False
        return not any(a <= day <= b for a, b in self.away)


def assign_chairs(
    dates: Sequence[date],
    candidates: Sequence[Candidate],
    fixed: dict[int, Hashable] | None = None,
) -> list[Hashable | None]:
    """The chair for each of ``dates`` (in the order given), or None if nobody is eligible.

    ``fixed`` maps an index in ``dates`` to a chair already settled (a past meeting,
    or one an LA officer swapped): it counts towards that member's total and the
    rota plans around it.
    """
    fixed = fixed or {}
    order = sorted(range(len(dates)), key=lambda i: (dates[i], i))
    position = {c.id: n for n, c in enumerate(candidates)}
    earned: dict[Hashable, Fraction] = {c.id: Fraction(0) for c in candidates}
    chaired: dict[Hashable, int] = {c.id: 0 for c in candidates}
    last: dict[Hashable, int] = {c.id: -1 for c in candidates}
    result: list[Hashable | None] = [None] * len(dates)

    for step, i in enumerate(order):
        eligible = [c for c in candidates if c.eligible_on(dates[i])]
        for c in eligible:
            earned[c.id] += Fraction(1, len(eligible))
        if i in fixed:
            chosen = fixed[i]
        elif eligible:
            chosen = min(
                eligible,
                key=lambda c: (
                    chaired[c.id] - earned[c.id],
                    chaired[c.id],
                    last[c.id],
                    position[c.id],
                ),
            ).id
        else:
            chosen = None
        result[i] = chosen
        if chosen in chaired:
            chaired[chosen] += 1
            last[chosen] = step
    return result


def meeting_dates(
    first: date,
    *,
    every_weeks: int = 4,
    until: date | None = None,
    closed_days: frozenset[date] | set[date] = frozenset(),
) -> list[date]:
    """A year of meeting days from ``first``, every ``every_weeks`` weeks.

    A day that falls on a bank holiday or in ``closed_days`` moves to the next
    working day (never onto a weekend).
    """
    # A year: up to (not including) the same weekday a year on.
    until = until or (first + timedelta(days=363))
    days: list[date] = []
    day = first
    while day <= until:
        moved = day
        while moved.weekday() >= 5 or moved in closed_days:
            moved += timedelta(days=1)
        if moved <= until and (not days or moved > days[-1]):
            days.append(moved)
        day += timedelta(weeks=every_weeks)
    return days
