"""The panel's calendar rules: which days a meeting may sit on and when requests close.

A meeting sits on a school day: not a weekend, not an English bank holiday (the
``holidays`` package), not in the school holidays (the LA's term dates,
``budgets.terms.TermCalendar``, the same dates payments use). A closing date falls
on a working day (not a weekend nor a bank holiday), the panel's ``closing_days`` before
the meeting or the working day before that. Publishing a year and moving a meeting
apply the same rules (``day_refusal``); the planning here is pure reads, so a preview
and the publication compute the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

import holidays

from budgets.terms import TermCalendar

from .models import Meeting, MeetingStatus, Panel, PanelMember

# How far ahead a meeting may be published or moved to.
HORIZON = timedelta(days=2 * 366)


@cache
def _bank_holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=[year]))


def bank_holiday(day: date) -> str | None:
    return _bank_holidays(day.year).get(day)


def school_holiday(day: date, calendar: TermCalendar | None = None) -> str | None:
    return (calendar or TermCalendar.load()).school_holiday(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and bank_holiday(day) is None


def why_closed(day: date, calendar: TermCalendar | None = None) -> str | None:
    """Why no meeting can sit on ``day`` (None: it can). ``calendar``: the term dates,
    loaded once for a calculation that asks about many days."""
    if day.weekday() >= 5:
        return f"a {day:%A}"
    if name := bank_holiday(day):
        return f"a bank holiday ({name})"
    if name := school_holiday(day, calendar):
        return f"in the school holidays ({name})"
    return None


def closing_date_for(panel: Panel, day: date) -> date:
    """``closing_days`` before the meeting, moved back to a working day."""
    closing = day - timedelta(days=panel.closing_days)
    while not is_working_day(closing):
        closing -= timedelta(days=1)
    return closing


def day_refusal(
    panel: Panel,
    day: date,
    *,
    today: date,
    closing: date | None = None,
    moving: Meeting | None = None,
) -> str | None:
    """Why a meeting of ``panel`` may not sit on ``day`` (closing on ``closing``)."""
    if day < today:
        return f"{day:%-d %B %Y} is in the past: choose today or a later day."
    if day > today + HORIZON:
        return f"{day:%-d %B %Y} is more than two years away: choose a nearer day."
    if why := why_closed(day):
        return f"{day:%-d %B %Y} is {why}: choose a school day."
    clash = panel.meetings.filter(date=day).exclude(status=MeetingStatus.CANCELLED)
    if moving is not None:
        clash = clash.exclude(pk=moving.pk)
    if clash.exists():
        return f"{panel.name} already meets on {day:%-d %B %Y}."
    if closing is not None:
        if closing > day:
            return "The closing date must be on or before the day of the meeting."
        if not is_working_day(closing):
            return f"The closing date, {closing:%-d %B %Y}, must be a working day."
    return None


@dataclass(frozen=True)
class Planned:
    """One meeting a year's publication would create."""

    date: date
    closing_date: date
    chair: PanelMember | None
    # The day it would have fallen on and why it moved off it (None: it did not move).
    moved_from: date | None = None
    moved_because: str = ""


@dataclass(frozen=True)
class ChairChange:
    """A published meeting whose chair the re-planned rota would change."""

    meeting: Meeting
    was: PanelMember | None
    becomes: PanelMember | None


@dataclass
class YearPlan:
    panel: Panel
    first_date: date
    every_weeks: int
    location: str
    meetings: list[Planned] = field(default_factory=list)
    # Days skipped: the panel meets on them already, or two fell on one school day.
    skipped: list[tuple[date, str]] = field(default_factory=list)
    chair_changes: list[ChairChange] = field(default_factory=list)
    problem: str | None = None


def plan_year(
    panel: Panel,
    *,
    first_date: date,
    every_weeks: int = 4,
    location: str = "",
    today: date,
) -> YearPlan:
    """What publishing a year from ``first_date`` would do (nothing is written): the
    meetings with their closing dates and chairs, the days moved or skipped and why, and
    the published meetings whose chair would change. ``problem`` says why it is refused."""
    from .services.membership import rota_plan

    plan = YearPlan(panel, first_date, every_weeks, location)
    if every_weeks < 1:
        plan.problem = "Meetings must be at least a week apart."
        return plan
    if first_date > today + HORIZON:
        plan.problem = (
            f"The first meeting, {first_date:%-d %B %Y}, is more than two years away: "
            "publish a nearer year. Nothing was published."
        )
        return plan
    if first_date < today:
        plan.problem = (
            f"The first meeting, {first_date:%-d %B %Y}, is in the past: start today or later. "
            "Nothing was published."
        )
        return plan
    existing = {m.date for m in panel.meetings.exclude(status=MeetingStatus.CANCELLED)}
    days = []
    nominal = first_date
    until = first_date + timedelta(days=363)
    terms = TermCalendar.load()
    while nominal <= until:
        day, because = nominal, why_closed(nominal, terms)
        while why_closed(day, terms):
            day += timedelta(days=1)
        following = nominal + timedelta(weeks=every_weeks)
        if day in existing:
            plan.skipped.append((day, f"{panel.name} already meets on that day"))
        elif day > until or (days and day <= days[-1][0]):
            plan.skipped.append((nominal, f"it is {because}, and the next school day is taken"))
        elif day != nominal and following <= until and day > following - timedelta(days=7):
            # Moved past a long holiday, it would sit days before the next meeting.
            plan.skipped.append(
                (nominal, f"it is {because}, and the next meeting follows the holiday")
            )
        else:
            days.append((day, nominal if day != nominal else None, because or ""))
        nominal += timedelta(weeks=every_weeks)
    if days and closing_date_for(panel, days[0][0]) < today:
        plan.problem = (
            f"The first meeting's closing date, {closing_date_for(panel, days[0][0]):%-d %B %Y}, "
            f"would be in the past: start at least {panel.closing_days} days from today. "
            "Nothing was published."
        )
        return plan
    new = [Meeting(panel=panel, date=d) for d, _, _ in days]
    chairs, changes = rota_plan(panel, new, today=today)
    plan.meetings = [
        Planned(
            date=d,
            closing_date=closing_date_for(panel, d),
            chair=chairs.get(id(m)),
            moved_from=moved,
            moved_because=because if moved else "",
        )
        for (d, moved, because), m in zip(days, new, strict=True)
    ]
    plan.chair_changes = changes
    return plan
