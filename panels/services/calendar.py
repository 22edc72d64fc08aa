"""The panel's calendar: publishing a year of meetings, cancelling or moving one.

The day rules (school days, working closing dates) are ``panels/calendar.py``; the
chairs come from the rota (``membership.rebalance_rota``), and a publication that would
change the chair of a meeting already published is refused until the LA SEND officer
has seen the change and confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max

from funding.services import record_note
from funding.workflow import State
from portal import versions
from portal.errors import ConflictError
from portal.notifications import announce

from .. import policy
from ..calendar import (
    HORIZON,
    YearPlan,
    closing_date_for,
    day_refusal,
    is_working_day,
    plan_year,
)
from ..models import AgendaItem, ItemKind, Meeting, MeetingStatus, Panel
from ..selectors import later_meeting
from ._common import PanelError, _today
from .membership import rebalance_rota


class ChairChangesUnconfirmed(ConflictError):
    """Publishing would change the chair of meetings already published: list, then ask."""

    def __init__(self, plan: YearPlan):
        changes = "; ".join(
            f"{c.meeting.date:%-d %B %Y}: {c.was.name if c.was else 'nobody'} → "
            f"{c.becomes.name if c.becomes else 'nobody'}"
            for c in plan.chair_changes
        )
        super().__init__(
            f"Publishing these meetings changes the chair of {len(plan.chair_changes)} "
            f"meeting{'s' if len(plan.chair_changes) != 1 else ''} already published "
            f"({changes}). Confirm the change to publish."
        )
        self.plan = plan


@transaction.atomic
def generate_year(
    panel: Panel,
    *,
    by: AbstractBaseUser,
    first_date: date,
    every_weeks: int = 4,
    location: str = "",
    confirm_chair_changes: bool = False,
    today: date | None = None,
) -> list[Meeting]:
    """Publish a year of meetings on school days, closing on working days, chairs by rota.

    Refused, creating nothing, if the first day is in the past, or if it would change
    the chair of a meeting already published and the change is not confirmed (the
    preview, ``calendar.plan_year``, lists those changes).
    """
    policy.require_manage_panels(by)
    today = _today(today)
    # One publication at a time per panel: the plan and the rota are computed together.
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    plan = plan_year(
        panel, first_date=first_date, every_weeks=every_weeks, location=location, today=today
    )
    if plan.problem:
        raise PanelError(plan.problem)
    if plan.chair_changes and not confirm_chair_changes:
        raise ChairChangesUnconfirmed(plan)
    Meeting.objects.bulk_create(
        [
            Meeting(panel=panel, date=p.date, closing_date=p.closing_date, location=location)
            for p in plan.meetings
        ]
    )
    rebalance_rota(panel, today=today)
    return list(panel.meetings.filter(date__in=[p.date for p in plan.meetings]))


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise PanelError(f"Give the reason for {what}: members and schools are told it.")
    return reason


MEETING_LABELS = {"date": "Date of the meeting", "closing_date": "Closing date for requests",
                  "location": "Venue"}  # fmt: skip


def _lock_scheduled(
    meeting: Meeting,
    what: str,
    version: int | None = None,
    *,
    yours: dict[str, Any] | None = None,
) -> Meeting:
    """The meeting row, locked, if not yet started; ``version`` (the one the change was
    based on) checked, a stale one refused naming what differs, and moved on."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("panel", "chair__user")
        .get(pk=meeting.pk)
    )
    if meeting.status != MeetingStatus.SCHEDULED:
        raise PanelError(
            f"The meeting is {meeting.get_status_display().lower()}: only a meeting not yet "
            f"started can be {what}."
        )
    versions.check(meeting, version, yours=yours, labels=MEETING_LABELS, what="this meeting")
    versions.advance(meeting)
    return meeting


@transaction.atomic
def update_meeting(
    meeting: Meeting,
    *,
    by: AbstractBaseUser,
    closing_date: date,
    location: str = "",
    version: int | None = None,
) -> Meeting:
    """The LA SEND officer changes a meeting's closing date for requests or its venue
    (its day moves with :func:`move_meeting`, which tells everyone). ``version``: the
    meeting's version the change was based on (a stale one is refused)."""
    policy.require_manage_panels(by)
    location = (location or "").strip()
    meeting = _lock_scheduled(
        meeting, "changed", version, yours={"closing_date": closing_date, "location": location}
    )
    if closing_date > meeting.date:
        raise PanelError("The closing date must be on or before the day of the meeting.")
    if not is_working_day(closing_date):
        raise PanelError(f"The closing date, {closing_date:%-d %B %Y}, must be a working day.")
    meeting.closing_date, meeting.location = closing_date, location
    meeting.save(update_fields=["closing_date", "location", "version"])
    return meeting


def _agenda(meeting: Meeting) -> list[AgendaItem]:
    # Items still waiting on it (a request withdrawn meanwhile has nothing to move).
    return list(
        meeting.items.filter(request__state=State.ON_AGENDA)
        .select_related("request", "request__school")
        .order_by("order", "pk")
    )


@dataclass(frozen=True)
class Cancelled:
    meeting: Meeting
    # Where its agenda went (None: back to "ready" for the LA to schedule).
    moved_to: Meeting | None
    items: int


@transaction.atomic
def cancel_meeting(
    meeting: Meeting,
    *,
    by: AbstractBaseUser,
    reason: str,
    today: date | None = None,
    version: int | None = None,
) -> Cancelled:
    """Cancel a meeting not yet started, with a reason: its agenda moves to the panel's next
    meeting (or, if there is none, its requests go back to ready); members and the schools
    with items are told. ``version``: the meeting's version the page was read at."""
    policy.require_manage_panels(by)
    reason = _reason(reason, "cancelling")
    today = _today(today)
    meeting = _lock_scheduled(meeting, "cancelled", version)
    items = _agenda(meeting)
    onward = later_meeting(meeting, today=today)
    if onward is None and any(i.kind == ItemKind.RATIFICATION for i in items):
        raise PanelError(
            "Chair's actions wait for ratification at this meeting and the panel has no "
            "later meeting: publish the next meeting first."
        )
    requests = [i.request for i in items]
    if onward is not None:
        onward = Meeting.objects.select_for_update(of=("self",)).get(pk=onward.pk)
        first = (onward.items.aggregate(m=Max("order"))["m"] or 0) + 1
        for n, item in enumerate(items):
            if onward.items.filter(request=item.request).exists():
                raise PanelError(f"{item.request.reference} is already on the next agenda.")
            # The next meeting has its own chair: who chairs each item is settled there.
            item.meeting, item.order = onward, first + n
            item.acting_chair, item.acting_chair_reason = None, ""
            item.save(update_fields=["meeting", "order", "acting_chair", "acting_chair_reason"])
            record_note(
                item.request,
                user=by,
                kind="meeting_cancelled",
                message=f"The meeting of {meeting.date:%-d %B %Y} is cancelled ({reason}): "
                f"the request is on the agenda of {onward.date:%-d %B %Y}.",
            )
    else:
        from funding.services import apply_transition

        for item in items:
            item.delete()
            apply_transition(
                item.request,
                "unschedule",
                user=by,
                message=f"The meeting of {meeting.date:%-d %B %Y} is cancelled ({reason}) and "
                "no later meeting is published: back to ready for the next one.",
            )
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancel_reason = reason
    meeting.save(update_fields=["status", "cancel_reason", "version"])
    announce("meeting_cancelled", meeting=meeting, reason=reason, onward=onward, requests=requests)
    return Cancelled(meeting=meeting, moved_to=onward, items=len(items))


@transaction.atomic
def move_meeting(
    meeting: Meeting,
    *,
    by: AbstractBaseUser,
    day: date,
    reason: str,
    closing_date: date | None = None,
    today: date | None = None,
    version: int | None = None,
) -> Meeting:
    """Move a meeting not yet started to another school day (the rules of publishing), with
    its closing date (by default the panel's usual one, on a working day); its agenda goes
    with it; members and the schools with items are told. ``version``: the meeting's
    version the move was based on (a stale one is refused)."""
    policy.require_manage_panels(by)
    reason = _reason(reason, "the move")
    today = _today(today)
    yours: dict[str, Any] = {"date": day}
    if closing_date is not None:
        yours["closing_date"] = closing_date
    meeting = _lock_scheduled(meeting, "moved", version, yours=yours)
    if problem := day_refusal(meeting.panel, day, today=today, moving=meeting):
        raise PanelError(problem)
    if closing_date is not None and not today - HORIZON <= closing_date <= day:
        raise PanelError("The closing date must be on or before the day of the meeting.")
    closing = closing_date or closing_date_for(meeting.panel, day)
    if problem := day_refusal(meeting.panel, day, today=today, closing=closing, moving=meeting):
        raise PanelError(problem)
    chair = meeting.chair
    if chair is not None and (
        not chair.serves_on(day)
        or chair.absences.filter(start_date__lte=day, end_date__gte=day).exists()
    ):
        raise PanelError(
            f"{chair.name}, the chair, is not available on {day:%-d %B %Y}: choose another "
            "day, or swap the chair first."
        )
    was = meeting.date
    meeting.moved_from = meeting.moved_from or was
    meeting.date, meeting.closing_date, meeting.move_reason = day, closing, reason
    meeting.save(update_fields=["date", "closing_date", "moved_from", "move_reason", "version"])
    items = _agenda(meeting)
    for item in items:
        record_note(
            item.request,
            user=by,
            kind="meeting_moved",
            message=f"The panel meeting of {was:%-d %B %Y} moves to {day:%-d %B %Y} ({reason}).",
        )
    announce(
        "meeting_moved",
        meeting=meeting,
        reason=reason,
        was=was,
        requests=[i.request for i in items],
    )
    return meeting
