"""The chair's decisions: at a meeting, ratification, and closing the meeting (chair's
action between meetings is ``chairs_action``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from funding.models import FundingRequest
from funding.services import TransitionError, apply_transition
from funding.workflow import Award, Decide
from portal.money import format_gbp
from portal.notifications import announce

from .. import policy
from ..models import (
    OUTCOME_TRANSITION,
    AgendaItem,
    Decision,
    ItemKind,
    Meeting,
    MeetingStatus,
    Outcome,
)
from ..recusal import Quorum
from ..selectors import later_meeting, undecided_items
from ._common import PENNY, PanelError, _today
from .chairing import note_acting_chair
from .letters import produce_letters
from .meetings import is_recused, item_quorum, meeting_quorum
from .scheduling import deferral_refusal, put_on_agenda


def _notify_decision(decision: Decision) -> None:
    announce("decision", fr=decision.request, decision=decision)


def _validate_outcome(
    funding_request: FundingRequest,
    outcome: str,
    amount: Decimal | None,
    review_date: date | None,
    today: date,
) -> Decimal | None:
    if outcome not in Outcome.values:
        raise PanelError("Choose an outcome.")
    if outcome == Outcome.APPROVED:
        amount = funding_request.amount_requested
    elif outcome == Outcome.PARTIALLY_APPROVED:
        if amount is None:
            raise PanelError("Enter the amount approved.")
        amount = Decimal(amount).quantize(PENNY)
        if not Decimal("0") < amount < funding_request.amount_requested:
            raise PanelError(
                f"A partial approval is more than £0 and less than the "
                f"{format_gbp(funding_request.amount_requested)} requested."
            )
    else:
        amount = None
    if outcome in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED):
        if review_date is None:
            raise PanelError("Set a review date for the funding.")
        if review_date <= today:
            raise PanelError("The review date must be in the future.")
    return amount


def _take(
    decision: Decision,
    item: AgendaItem | None,
    user: AbstractBaseUser,
    *,
    meeting: Meeting | None = None,
    la_officer: AbstractBaseUser | None = None,
    decided_at: datetime | None = None,
) -> None:
    """Move the request; for an award, the amount is set in the same transaction.

    The effect registry in ``funding.services`` is the seam to the budget service:
    the budgets app's guard (budget_available) and effects (commit on approve)
    receive the ``Award`` (amount and decision) from here and run inside this
    transaction, so an award and its commitment stand or fall together.
    """
    transition = OUTCOME_TRANSITION[decision.outcome]
    details = {
        "decision": decision,
        "item": item,
        "meeting": meeting,
        "chairs_action": la_officer is not None,
        "la_officer": la_officer,
        "decided_at": decided_at,
    }
    command = (
        Award(amount=decision.amount, **details)
        if decision.amount is not None
        else Decide(**details)
    )
    # The award's amount is saved with the state by funding (the request's one writer).
    result = apply_transition(
        decision.request, transition, user=user, message=decision.rationale, command=command
    )
    decision.request.amount_awarded = result.request.amount_awarded


@transaction.atomic
def record_decision(
    item: AgendaItem,
    *,
    by: AbstractBaseUser,
    outcome: str,
    rationale: str,
    conditions: str = "",
    review_date: date | None = None,
    amount: Decimal | None = None,
    deferred_to: Meeting | None = None,
    today: date | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """The chair records the outcome of an item at a quorate meeting.

    If recusals leave the item inquorate it is deferred instead (and the
    returned decision says so): it is never decided without a quorum.
    ``decided_at`` is for recording a past meeting's decision (the demo): an award's
    commitment is dated then rather than now.
    """
    today = _today(today)
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("panel", "chair")
        .get(pk=item.meeting_id)
    )
    item = AgendaItem.objects.select_related(
        "request", "request__school", "acting_chair__user"
    ).get(pk=item.pk)
    item.meeting = meeting
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Decisions are recorded at the meeting: open it first.")
    if item.kind != ItemKind.DECISION:
        raise PanelError("This item is for ratification, not decision.")
    policy.require_decide_item(by, item)
    if Decision.objects.filter(item=item).exists():
        raise PanelError("This item has already been decided.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise PanelError("Give the rationale: the school is told it with the decision.")
    whole = meeting_quorum(meeting)
    if not whole.quorate:
        raise PanelError(
            "The meeting is not quorate, so no decision can be recorded. "
            + " ".join(whole.problems)
        )
    if is_recused(item, by):
        raise PanelError(
            "You are recused from this item, so you cannot decide it: "
            "name a voting member present to chair it."
        )
    this_item = item_quorum(item)
    if not this_item.quorate:
        return _defer_inquorate(item, this_item, by)
    amount = _validate_outcome(item.request, outcome, amount, review_date, today)
    if (
        outcome == Outcome.DEFERRED
        and deferred_to is not None
        and (problem := deferral_refusal(meeting, deferred_to, today=today))
    ):
        raise PanelError(problem)
    decision = Decision.objects.create(
        request=item.request,
        item=item,
        outcome=outcome,
        amount=amount,
        rationale=rationale,
        conditions=(conditions or "").strip(),
        review_date=review_date
        if outcome in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED)
        else None,
        deferred_to=deferred_to if outcome == Outcome.DEFERRED else None,
        chair=by,
    )
    try:
        _take(decision, item, by, meeting=meeting, decided_at=decided_at)
    except TransitionError as exc:
        raise PanelError(exc.message, status=exc.status) from exc
    note_acting_chair(item, by=by)
    if decision.deferred_to is not None:
        carry_to(item.request, decision.deferred_to, today=today)
    _notify_decision(decision)
    return decision


def carry_to(funding_request: FundingRequest, meeting: Meeting, *, today: date) -> AgendaItem:
    """The portal puts a deferred request on the agenda the panel named (in the caller's
    transaction: the deferral and the new agenda item stand or fall together)."""
    return put_on_agenda(
        funding_request,
        meeting,
        user=None,
        message=f"Deferred by the panel to the meeting of {meeting.date:%d %B %Y}",
        today=today,
        carried=True,
    )


def _defer_inquorate(item: AgendaItem, q: Quorum, by: AbstractBaseUser | None) -> Decision:
    meeting = item.meeting
    decision = Decision.objects.create(
        request=item.request,
        item=item,
        outcome=Outcome.DEFERRED,
        rationale="Deferred: the panel was not quorate for this item after recusals. "
        + " ".join(q.problems),
        # Whoever chaired the item (its acting chair, if the chair was recused).
        chair=by if by is not None else meeting.chair.user,
    )
    # The portal defers it (system actor): nobody decided anything.
    apply_transition(
        item.request, "defer", user=None, message=decision.rationale, command=Decide(item=item)
    )
    if by is not None:
        note_acting_chair(item, by=by)
    _notify_decision(decision)
    return decision


@transaction.atomic
def ratify_item(item: AgendaItem, *, by: AbstractBaseUser) -> AgendaItem:
    meeting = item.meeting
    if not policy.can_chair(by, meeting):
        raise PanelError("Only the meeting's chair ratifies chair's actions.")
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Open the meeting first.")
    if item.kind != ItemKind.RATIFICATION or item.ratified_at:
        raise PanelError("There is nothing to ratify on this item.")
    if not meeting_quorum(meeting).quorate:
        raise PanelError("The meeting is not quorate, so it cannot ratify anything.")
    item.ratified_at = timezone.now()
    item.save(update_fields=["ratified_at"])
    return item


def _undecided(meeting: Meeting):
    return undecided_items(meeting)


@transaction.atomic
def close_meeting(
    meeting: Meeting,
    *,
    by: AbstractBaseUser | None,
    today: date | None = None,
    carry_forward: bool = True,
) -> Meeting:
    """Close the meeting: items not decided are deferred to the panel's next meeting (on
    its agenda; without one, back to the LA to schedule); the minutes go to the cluster.
    Pages and the API show ``selectors.close_preview`` first and close on confirmation.

    ``by=None`` is the portal closing a meeting left open after its day (a daily task).
    ``carry_forward=False`` leaves the deferred items to the LA (the demo's replay of past
    meetings, whose items the LA scheduled by hand).
    """
    today = _today(today)
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("chair", "panel")
        .get(pk=meeting.pk)
    )
    if by is not None and not policy.runs_meeting(by, meeting):
        raise PanelError("Only the meeting's chair (or an LA SEND officer) can close it.")
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Only a meeting in progress can be closed.")
    # Items not reached go on the panel's next meeting (close_preview says which).
    onward = later_meeting(meeting, today=today) if carry_forward else None
    rationale = (
        "Not reached at the meeting"
        if by is not None
        else "Not decided before the meeting was left open past its day"
    ) + (
        f": deferred to the meeting of {onward.date:%d %B %Y}."
        if onward
        else ": deferred to the next one."
    )
    for item in _undecided(meeting):
        chair_user = meeting.chair.user if meeting.chair else by
        if chair_user is None:
            _defer_unheard(item, rationale)
            continue
        decision = Decision.objects.create(
            request=item.request,
            item=item,
            outcome=Outcome.DEFERRED,
            rationale=rationale,
            chair=chair_user,
            deferred_to=onward,
        )
        apply_transition(
            item.request, "defer", user=None, message=decision.rationale, command=Decide(item=item)
        )
        if onward is not None:
            carry_to(item.request, onward, today=today)
        _notify_decision(decision)
    now = timezone.now()
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = meeting.minutes_published_at = now
    meeting.save(update_fields=["status", "closed_at", "minutes_published_at"])
    announce("minutes_published", meeting=meeting)
    produce_letters(meeting)
    return meeting


def _defer_unheard(item: AgendaItem, rationale: str) -> None:
    """Defer a request nobody decided on (no decision row: nobody decided anything)."""
    fr = apply_transition(
        item.request, "defer", user=None, message=rationale, command=Decide(item=item)
    ).request
    announce("not_heard", fr=fr, rationale=rationale)
