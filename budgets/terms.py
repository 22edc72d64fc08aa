"""The LA's term dates, on which awards are paid (termly instalments by default) and
around which panel meetings are published (``school_holidays``).

The LA SEND officer enters each academic year's terms and half-terms on the term dates
page (``budgets.TermDates``); a year entered there is the truth for that year. For a year
not entered, ``settings.LA_TERM_STARTS`` (a list of ISO dates) gives the term starts if
set; otherwise term starts follow the usual English pattern: the first working day from
1 September, from 5 January and from the Monday a week after Easter Monday. School
holidays for a year not entered are ``settings.LA_SCHOOL_HOLIDAYS`` (``[first day, last
day, name]`` ISO triples) if set; otherwise the breaks before each term start (Christmas:
the 16 days before the spring term, Easter: the 14 days before the summer term, summer:
from 22 July) and the usual half-term weeks (the week of the third Monday in February, of
the last Monday in May and of the last Monday in October).

:class:`TermCalendar` reads the entered years once (one query) for a whole calculation;
the module's functions load it for a single answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import holidays
from dateutil.easter import easter
from django.conf import settings

PENNY = Decimal("0.01")


def _first_working_day(day: date, bank_holidays) -> date:
    while day.weekday() >= 5 or day in bank_holidays:
        day += timedelta(days=1)
    return day


def _usual_term_starts(first_year: int, last_year: int) -> list[tuple[date, str]]:
    """Each term's first day with its name, for the calendar years given (no year entered)."""
    configured = getattr(settings, "LA_TERM_STARTS", None)
    if configured:
        days = sorted(date.fromisoformat(d) for d in configured)
        return [(d, _term_name(d)) for d in days if first_year <= d.year <= last_year]
    bank = holidays.country_holidays("GB", subdiv="ENG", years=range(first_year, last_year + 1))
    starts: list[tuple[date, str]] = []
    for year in range(first_year, last_year + 1):
        easter_monday = easter(year) + timedelta(days=1)
        starts.append((_first_working_day(date(year, 1, 5), bank), f"Spring {year}"))
        starts.append(
            (_first_working_day(easter_monday + timedelta(days=7), bank), f"Summer {year}")
        )
        starts.append((_first_working_day(date(year, 9, 1), bank), f"Autumn {year}"))
    return sorted(starts)


def _week_of(day: date, name: str) -> tuple[date, date, str]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=4), name


def _last_monday(year: int, month: int) -> date:
    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=day.weekday())


def _usual_holidays(first_year: int, last_year: int) -> list[tuple[date, date, str]]:
    """The schools' holidays touching the calendar years given, as no year was entered."""
    configured = getattr(settings, "LA_SCHOOL_HOLIDAYS", None)
    if configured:
        found = [(date.fromisoformat(a), date.fromisoformat(b), n) for a, b, n in configured]
    else:
        found = []
        for start, name in _usual_term_starts(first_year - 1, last_year + 1):
            season = name.split()[0]
            if season == "Spring":
                found.append(
                    (start - timedelta(days=16), start - timedelta(days=1), "Christmas holidays")
                )
            elif season == "Summer":
                found.append(
                    (start - timedelta(days=14), start - timedelta(days=1), "Easter holidays")
                )
            else:
                found.append(
                    (date(start.year, 7, 22), start - timedelta(days=1), "Summer holidays")
                )
        for year in range(first_year - 1, last_year + 2):
            third_monday = date(year, 2, 15) + timedelta(days=(0 - date(year, 2, 15).weekday()) % 7)
            found.append(_week_of(third_monday, "February half term"))
            found.append(_week_of(_last_monday(year, 5), "May half term"))
            found.append(_week_of(_last_monday(year, 10), "October half term"))
    return sorted(
        (a, b, n) for a, b, n in found if a.year <= last_year and b.year >= first_year and a <= b
    )


def academic_year_of(day: date) -> int:
    """The academic year a day belongs to, by the year it starts (August to July)."""
    return day.year if day.month >= 8 else day.year - 1


@dataclass
class TermCalendar:
    """The term dates for a calculation: the years the LA entered, else the usual ones."""

    entered: dict[int, object]  # academic year → budgets.TermDates
    _holidays_by_year: dict[int, list] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> TermCalendar:
        from .models import TermDates

        return cls({t.academic_year: t for t in TermDates.objects.all()})

    def term_starts(self, first_year: int, last_year: int) -> list[tuple[date, str]]:
        """Each term's first day with its name, for the calendar years given."""
        starts = [
            (day, name)
            for day, name in _usual_term_starts(first_year, last_year)
            if academic_year_of(day) not in self.entered
        ]
        for dates in self.entered.values():
            for term in dates.terms():
                if first_year <= term["first"].year <= last_year:
                    starts.append((term["first"], f"{term['name']} {term['first'].year}"))
        return sorted(starts)

    def _next_autumn(self, year: int) -> date:
        """The first day of the autumn term of academic year ``year``."""
        if year in self.entered:
            return self.entered[year].autumn_first
        return next(d for d, n in _usual_term_starts(year, year) if n.startswith("Autumn"))

    def school_holidays(self, first_year: int, last_year: int) -> list[tuple[date, date, str]]:
        """The schools' holidays touching the calendar years given: (first day, last day, name)."""
        found = []
        for first, last, name in _usual_holidays(first_year, last_year):
            if academic_year_of(first) in self.entered:
                continue
            if academic_year_of(last) in self.entered:  # a summer break up to an entered year
                last = self._next_autumn(academic_year_of(last)) - timedelta(days=1)
            found.append((first, last, name))
        for year, dates in self.entered.items():
            terms = dates.terms()
            for index, term in enumerate(terms):
                found.append((term["half_first"], term["half_last"], term["half_term"]))
                following = (
                    terms[index + 1]["first"]
                    if index + 1 < len(terms)
                    else self._next_autumn(year + 1)
                )
                found.append(
                    (term["last"] + timedelta(days=1), following - timedelta(days=1),
                     term["holiday_after"])
                )  # fmt: skip
        return sorted(
            (a, b, n)
            for a, b, n in found
            if a.year <= last_year and b.year >= first_year and a <= b
        )

    def school_holiday(self, day: date) -> str | None:
        """The name of the school holiday ``day`` falls in (None: a term day or a weekend in term)."""
        if day.year not in self._holidays_by_year:
            self._holidays_by_year[day.year] = self.school_holidays(day.year, day.year)
        for first, last, name in self._holidays_by_year[day.year]:
            if first <= day <= last:
                return name
        return None


def term_starts(first_year: int, last_year: int) -> list[tuple[date, str]]:
    """Each term's first day with its name, for the calendar years given."""
    return TermCalendar.load().term_starts(first_year, last_year)


def school_holidays(first_year: int, last_year: int) -> list[tuple[date, date, str]]:
    """The schools' holidays touching the calendar years given: (first day, last day, name)."""
    return TermCalendar.load().school_holidays(first_year, last_year)


def _term_name(day: date) -> str:
    season = "Spring" if day.month < 4 else "Summer" if day.month < 9 else "Autumn"
    return f"{season} {day.year}"


def split_evenly(total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` pennies-exact shares; the odd pennies go to the first ones."""
    pennies = int((total / PENNY).to_integral_value())
    base, extra = divmod(pennies, parts)
    return [(base + (1 if i < extra else 0)) * PENNY for i in range(parts)]


def instalment_plan(
    amount: Decimal, start: date, end: date, calendar: TermCalendar | None = None
) -> list[tuple[date, str, Decimal]]:
    """Termly instalments for an award from ``start`` to ``end``: (due date, term, amount).

    One instalment per term the award runs in; the first is due on the start
    date when the award starts mid-term.
    """
    if end < start:
        end = start
    starts = (calendar or TermCalendar.load()).term_starts(start.year - 1, end.year)
    terms: list[tuple[date, str]] = []
    for index, (term_start, name) in enumerate(starts):
        next_start = starts[index + 1][0] if index + 1 < len(starts) else date.max
        if term_start <= end and next_start > start:
            terms.append((max(term_start, start), name))
    if not terms:
        terms = [(start, _term_name(start))]
    shares = split_evenly(amount, len(terms))
    return [(due, name, share) for (due, name), share in zip(terms, shares, strict=True)]
