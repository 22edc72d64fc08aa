"""The LA's term dates as the term dates page shows them: every year entered, and the
current and next academic years either way (a year not entered shows the usual dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.shortcuts import get_object_or_404
from django.utils import timezone

from clusters.models import academic_year_label

from ..models import TermDates
from ..terms import TermCalendar, academic_year_of


@dataclass(frozen=True)
class YearOfTerms:
    academic_year: int
    entered: TermDates | None
    # What the portal uses for the year: its term starts and school holidays.
    starts: list[tuple[date, str]]
    holidays: list[tuple[date, date, str]]

    @property
    def label(self) -> str:
        return academic_year_label(self.academic_year)


def term_dates(today: date | None = None) -> list[YearOfTerms]:
    """Newest year first; one query whatever the number of years."""
    calendar = TermCalendar.load()
    this_year = academic_year_of(today or timezone.localdate())
    years = sorted(set(calendar.entered) | {this_year, this_year + 1}, reverse=True)
    shown = []
    for year in years:
        starts = [
            (d, n) for d, n in calendar.term_starts(year, year + 1) if academic_year_of(d) == year
        ]
        holidays = [
            h for h in calendar.school_holidays(year, year + 1) if academic_year_of(h[0]) == year
        ]
        shown.append(YearOfTerms(year, calendar.entered.get(year), starts, holidays))
    return shown


def term_dates_for(academic_year: int) -> TermDates:
    return get_object_or_404(TermDates, academic_year=academic_year)
