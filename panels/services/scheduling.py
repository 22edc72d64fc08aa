"""Putting requests on agendas: one at a time, many at once, and carried by a deferral.

``put_on_agenda`` is the one place an item is added to a meeting's agenda for decision:
the LA officer's scheduling (``meetings.schedule_request``, ``schedule_many``), a deferral
to a named later meeting (``decisions.record_decision``) and the items a closing or
cancelled meeting carries forward all go through it, so the same checks hold for each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from funding.models import FundingRequest
from funding.services import TransitionError, apply_transition
from funding.workflow import AWAITING_PANEL, Schedule
from portal.notifications import announce

from .. import policy
from ..models import AgendaItem, ChairsActionProposal, Meeting, MeetingStatus, Panel, ProposalStatus
from ..selectors import panel_for_request
from ._common import PanelError, _today


def agenda_refusal(
    meeting: Meeting, panel: Panel | None, *, today: date, carried: bool = False
) -> str | None:
    """Why a request of ``panel`` may not go on ``meeting``'s agenda (None: it may).

    ``carried``: the panel itself sends it there (a deferral, a closed or cancelled
    meeting's items), so the meeting's closing date for the LA's scheduling does not apply.
    """
    if panel is None:
        return "The request's cluster has no panel yet: set one up first."
    if meeting.panel_id != panel.pk:
        return f"This request goes to {panel.name}, not to {meeting}."
    if meeting.status == MeetingStatus.CANCELLED:
        return f"The meeting of {meeting.date:%d %B %Y} is cancelled."
    if meeting.status != MeetingStatus.SCHEDULED:
        return f"The meeting of {meeting.date:%d %B %Y} has already started."
    if meeting.date < today:
        return f"The meeting of {meeting.date:%d %B %Y} is in the past."
    if not carried and meeting.closing_date < today:
        return f"The meeting of {meeting.date:%d %B %Y} closed for requests on {meeting.closing_date:%d %B %Y}."
    return None


def deferral_refusal(meeting: Meeting, target: Meeting, *, today: date) -> str | None:
    """Why an item of ``meeting`` may not be deferred to ``target`` (None: it may)."""
    if target.panel_id != meeting.panel_id:
        return (
            f"The meeting of {target.date:%d %B %Y} is another panel's: defer to a later "
            f"meeting of {meeting.panel.name}."
        )
    if target.date <= meeting.date or target.date < today:
        return (
            f"The meeting of {target.date:%d %B %Y} is not after this one: defer to a later "
            f"meeting of {meeting.panel.name}."
        )
    return agenda_refusal(target, meeting.panel, today=today, carried=True)


def lapse_waiting_proposal(funding_request: FundingRequest, meeting) -> None:
    """The request went on ``meeting``'s agenda while a chair's action on it waited: the
    panel decides it now, so the proposal lapses (in the caller's transaction) and the
    chair and the officer are told."""
    waiting = (
        ChairsActionProposal.objects.select_for_update(of=("self",))
        .filter(request=funding_request, status=ProposalStatus.AWAITING)
        .select_related("request", "proposed_by", "officer")
        .first()
    )
    if waiting is None:
        return
    waiting.status = ProposalStatus.LAPSED
    waiting.refusal_reason = f"The request was put on the agenda of {meeting}."
    waiting.answered_at = timezone.now()
    waiting.save(update_fields=["status", "refusal_reason", "answered_at"])
    announce("chairs_action_lapsed", proposal=waiting)


def _next_order(meeting: Meeting) -> int:
    return (meeting.items.aggregate(m=Max("order"))["m"] or 0) + 1


def put_on_agenda(
    funding_request: FundingRequest,
    meeting: Meeting,
    *,
    user: AbstractBaseUser | None,
    message: str,
    today: date | None = None,
    carried: bool = False,
    order: int | None = None,
) -> AgendaItem:
    """Add the request to ``meeting``'s agenda and move it on (``schedule``), in the
    caller's transaction. ``user=None``: the portal does it (a deferral the panel named)."""
    today = _today(today)
    with transaction.atomic():
        locked = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
        problem = agenda_refusal(
            locked, panel_for_request(funding_request), today=today, carried=carried
        )
        if problem:
            raise PanelError(problem)
        if AgendaItem.objects.filter(meeting=locked, request=funding_request).exists():
            raise PanelError(f"{funding_request.reference} is already on that agenda.")
        item = AgendaItem.objects.create(
            meeting=locked,
            request=funding_request,
            order=order if order is not None else _next_order(locked),
        )
        try:
            apply_transition(
                funding_request,
                "schedule",
                user=user,
                message=message,
                command=Schedule(meeting=locked),
            )
        except TransitionError as exc:
            raise PanelError(exc.message, status=exc.status) from exc
        lapse_waiting_proposal(funding_request, locked)
    return item


@dataclass(frozen=True)
class Scheduled:
    """What one bulk scheduling did: the items made, and the warnings for the officer."""

    items: list[AgendaItem]
    warnings: list[str]


@transaction.atomic
def schedule_many(
    requests: list[FundingRequest],
    *,
    by: AbstractBaseUser,
    meeting: Meeting,
    today: date | None = None,
) -> Scheduled:
    """Put many ready requests on one meeting in one action, all or none: a request that
    cannot go on it is refused by reference and nothing is scheduled."""
    from ..recusal import recusals_for
    from .chairing import chair_recused_warning

    policy.require_manage_panels(by)
    today = _today(today)
    if not requests:
        raise PanelError("Choose at least one request to schedule.")
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("panel").get(pk=meeting.pk)
    )
    problems = []
    for fr in requests:
        if fr.state not in AWAITING_PANEL:
            problems.append(f"{fr.reference} is {fr.get_state_display().lower()}")
            continue
        problem = agenda_refusal(meeting, panel_for_request(fr), today=today)
        if problem:
            problems.append(f"{fr.reference}: {problem}")
    if problems:
        raise PanelError(
            f"Nothing was scheduled on the meeting of {meeting.date:%d %B %Y}. "
            + "; ".join(problems)
            + "."
        )
    first = _next_order(meeting)
    items = [
        put_on_agenda(
            fr,
            meeting,
            user=by,
            message=f"On the agenda of {meeting}",
            today=today,
            order=first + n,
        )
        for n, fr in enumerate(requests)
    ]
    recusals = recusals_for(items, meeting.panel)
    warnings = []
    for item in items:
        item.meeting = meeting
        if why := recusals.chair_recusal(item):
            warnings.append(f"{item.request.reference}: {chair_recused_warning(why)}")
    return Scheduled(items=items, warnings=warnings)
