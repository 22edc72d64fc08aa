"""The year-end forecast and the monthly commitment trend behind it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.db.models.functions import ExtractMonth, ExtractYear

from ..models import (
    ZERO,
    EntryKind,
    FinancialYear,
    LedgerEntry,
)
from .totals import Totals, _sum


@dataclass
class Forecast:
    """Year-end committed and available at the run rate, with best and worst case."""

    months_elapsed: int
    months_left: int
    run_rate: Decimal
    expected_committed: Decimal
    best_available: Decimal
    expected_available: Decimal
    worst_available: Decimal
    best_rate: Decimal = ZERO
    worst_rate: Decimal = ZERO


def forecast(
    totals: Totals, monthly_net: list[Decimal], months_elapsed: int, months_left: int
) -> Forecast:
    """Project the commitment run rate to 31 March.

    Assumptions (written beside the forecast on both dashboards):

    * the expected rate is the mean net commitment (awards less releases) of the
      months elapsed so far, the current month counted as a whole month;
    * best and worst case come from the spread of those past monthly rates: every
      month left runs like the quietest past month (never below £0: releases are not
      forecast) or like the busiest one;
    * nothing is forecast to be added to or taken from the allocation.
    """
    months = list(monthly_net[:months_elapsed]) or [ZERO]
    rate = (sum(months, ZERO) / len(months)).quantize(Decimal("0.01"))
    low, high = max(min(months), ZERO), max(months)
    expected = totals.committed + rate * months_left
    return Forecast(
        months_elapsed=months_elapsed,
        months_left=months_left,
        run_rate=rate,
        expected_committed=expected,
        best_available=totals.allocated - (totals.committed + low * months_left),
        expected_available=totals.allocated - expected,
        worst_available=totals.allocated - (totals.committed + high * months_left),
        best_rate=low,
        worst_rate=high,
    )


def _month_index(year: FinancialYear, day: date) -> int:
    """0 for April, 11 for March."""
    return (day.year - year.start_year) * 12 + day.month - 4


def _months_elapsed(year: FinancialYear, today: date) -> tuple[int, int]:
    if today < year.start:
        return 0, 12
    if today > year.end:
        return 12, 0
    elapsed = _month_index(year, today) + 1
    return elapsed, 12 - elapsed


def monthly_commitments(budget_ids_qs: QuerySet, year: FinancialYear) -> dict[int, list[Decimal]]:
    """Net commitment (commitment − release) per budget per month of the year (one query).

    The month comes back as two integers (year, month), computed in the database in
    the portal's time zone: converting 20,000 truncated datetimes in Python was most
    of the county page's time at national scale.
    """
    rows = (
        LedgerEntry.objects.filter(
            budget__in=budget_ids_qs,
            kind__in=[EntryKind.COMMITMENT, EntryKind.RELEASE],
        )
        .annotate(y=ExtractYear("created_at"), m=ExtractMonth("created_at"))
        .values("budget_id", "y", "m")
        .annotate(
            c=_sum("", EntryKind.COMMITMENT),
            r=_sum("", EntryKind.RELEASE),
        )
        .order_by()
    )
    by_budget: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO] * 12)
    for row in rows:
        index = (row["y"] - year.start_year) * 12 + row["m"] - 4
        if 0 <= index < 12:
            by_budget[row["budget_id"]][index] += row["c"] - row["r"]
    return by_budget
