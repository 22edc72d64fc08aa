"""The daily jobs (panels.tasks).

Each is idempotent: it acts only on what is due and still in the state it expects, and
the transition re-checks that state under a row lock, so a re-run, a retry or two workers
at once move nothing twice. Whatever one skips is logged (``panels.services.sweeps``),
with the item and the reason."""

from __future__ import annotations

import logging
from datetime import date

from django.db import transaction
from django.db.models import Q

from funding.models import FundingRequest
from funding.services import TransitionError, apply_transition
from funding.workflow import APPROVED, State

from ..models import ItemKind, Meeting, MeetingStatus
from ._common import PanelError, _today
from .decisions import _defer_unheard, _undecided, close_meeting

logger = logging.getLogger(__name__)


def _skipped(job: str, what: object, reason: str) -> None:
    logger.warning("%s skipped %s: %s", job, what, reason)


def activate_due(*, today: date | None = None) -> int:
    """Approved funding becomes active on its start date (run daily); returns how many."""
    today = _today(today)
    due = (
        FundingRequest.objects.filter(state__in=APPROVED)
        .filter(Q(start_date__lte=today) | Q(start_date__isnull=True))
        .order_by("pk")
    )
    count = 0
    for fr in due:
        try:
            apply_transition(fr, "activate", user=None, message="Funding starts.")
        except TransitionError as exc:
            # Moved meanwhile (withdrawn, or another run got there first).
            _skipped("activate_due", f"request {fr.reference} (#{fr.pk})", exc.message)
            continue
        count += 1
    return count


def reviews_due(*, today: date | None = None) -> int:
    """Active funding whose review date has come is marked due and the school told."""
    today = _today(today)
    due = (
        FundingRequest.objects.filter(state=State.ACTIVE, decisions__review_date__lte=today)
        .distinct()
        .order_by("pk")
    )
    count = 0
    for fr in due:
        try:
            # The school is told (portal.notifications' "review_due") in the same transaction.
            apply_transition(fr, "review_due", user=None, message="Review date reached.")
        except TransitionError as exc:
            _skipped("reviews_due", f"request {fr.reference} (#{fr.pk})", exc.message)
            continue
        count += 1
    return count


def sweep_past_meetings(*, today: date | None = None) -> dict[str, int]:
    """Meetings whose day has passed and that were left unfinished (run daily).

    Left open: the portal closes them, which defers whatever was not decided and
    publishes the minutes. Never opened, with requests still waiting on the agenda:
    the meeting did not happen, so it is cancelled and its requests deferred to the
    next one (the LA schedules them again). Returns how many of each.
    """
    today = _today(today)
    closed = 0
    for meeting in Meeting.objects.filter(status=MeetingStatus.OPEN, date__lt=today):
        try:
            close_meeting(meeting, by=None)
        except PanelError as exc:
            # Closed meanwhile (by its chair, or another run).
            _skipped("sweep_past_meetings", f"meeting {meeting} (#{meeting.pk})", exc.message)
            continue
        closed += 1
    missed = 0
    waiting = (
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            date__lt=today,
            items__kind=ItemKind.DECISION,
            items__request__state=State.ON_AGENDA,
        )
        .distinct()
        .order_by("date", "pk")
    )
    for meeting in waiting:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
            if locked.status != MeetingStatus.SCHEDULED:
                _skipped(
                    "sweep_past_meetings",
                    f"meeting {locked} (#{locked.pk})",
                    f"it is {locked.get_status_display().lower()} now, so it was held or "
                    "cancelled meanwhile",
                )
                continue
            rationale = (
                f"The panel meeting of {locked.date:%d %B %Y} was not held: "
                "deferred to the next one."
            )
            for item in _undecided(locked):
                _defer_unheard(item, rationale)
            locked.status = MeetingStatus.CANCELLED
            locked.save(update_fields=["status"])
        missed += 1
    return {"closed": closed, "missed": missed}
