"""Chair's action that two people really take.

For an urgent request between meetings, the rota's chair proposes the decision
(``propose_chairs_action``), naming an LA SEND officer; that officer is told and, in
their own session, confirms it (``confirm_chairs_action``) or refuses it with a reason
(``refuse_chairs_action``). Nothing is committed until the confirmation, which runs the
real decision path as the confirming officer: the request goes on the next meeting's
agenda for ratification and the decision is taken through ``apply_transition`` (the
panel's chair's-action guard and the budget guard under its row lock). The timeline shows
the chair's proposal in the chair's name and the decision in the officer's.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from funding.models import FundingRequest, RequestType
from funding.services import TransitionError, apply_transition, record_note
from funding.workflow import AWAITING_PANEL, Schedule
from portal.money import format_gbp
from portal.notifications import announce
from portal.roles import scope_for

from .. import policy
from ..models import (
    AgendaItem,
    ChairsActionProposal,
    Decision,
    ItemKind,
    MeetingStatus,
    Outcome,
    ProposalStatus,
)
from ..selectors import current_chair, panel_for_request
from ._common import PanelError, _today
from .decisions import _notify_decision, _take, _validate_outcome

CHAIRS_ACTION_OUTCOMES = (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED, Outcome.DECLINED)


def _name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def _check_request(funding_request: FundingRequest) -> None:
    if funding_request.request_type != RequestType.URGENT:
        raise PanelError("Only urgent requests can be decided by chair's action.")
    if funding_request.state not in AWAITING_PANEL:
        raise PanelError(
            "The request is no longer waiting for a panel (it is "
            f"{funding_request.get_state_display().lower()}), so it cannot be decided by "
            "chair's action."
        )


def _ratify_at(funding_request: FundingRequest, today: date):
    panel = panel_for_request(funding_request)
    meeting = (
        panel.meetings.filter(status=MeetingStatus.SCHEDULED, date__gte=today)
        .order_by("date")
        .first()
        if panel
        else None
    )
    if meeting is None:
        raise PanelError("There is no future meeting to ratify the decision at.")
    return meeting


def _summary(outcome: str, amount: Decimal | None) -> str:
    label = Outcome(outcome).label
    return f"{label}, {format_gbp(amount)}" if amount is not None else label


@transaction.atomic
def propose_chairs_action(
    funding_request: FundingRequest,
    *,
    by: AbstractBaseUser,
    officer: AbstractBaseUser,
    outcome: str,
    rationale: str,
    conditions: str = "",
    review_date: date | None = None,
    amount: Decimal | None = None,
    today: date | None = None,
    at: datetime | None = None,
) -> ChairsActionProposal:
    """The rota's chair proposes the decision on an urgent request, naming the LA SEND
    officer who must confirm it. Nothing is committed: the officer is told and answers."""
    today = _today(today)
    _check_request(funding_request)
    if outcome not in CHAIRS_ACTION_OUTCOMES:
        raise PanelError("Chair's action approves, approves in part or declines.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise PanelError("Give the rationale: the school is told it with the decision.")
    panel = panel_for_request(funding_request)
    chair = current_chair(panel, today=today) if panel else None
    if chair is None or chair.user_id != by.pk:
        raise PanelError("Only the rota's current chair can take chair's action.")
    if funding_request.school_id in scope_for(by).school_ids:
        raise PanelError("The request is from your school: you are recused from deciding it.")
    if officer is None or not policy.can_manage_panels(officer):
        raise PanelError("Name the LA SEND officer who is to confirm the chair's action.")
    if officer.pk == by.pk:
        raise PanelError("Chair's action takes two people: name another LA SEND officer.")
    _ratify_at(funding_request, today)
    amount = _validate_outcome(funding_request, outcome, amount, review_date, today)
    waiting = ChairsActionProposal.objects.filter(
        request=funding_request, status=ProposalStatus.AWAITING
    ).first()
    if waiting is not None:
        raise PanelError(
            f"A chair's action on {funding_request.reference} is already waiting for "
            f"{_name(waiting.officer)} to confirm it."
        )
    try:
        # A savepoint: two proposals racing meet the one-open-proposal constraint.
        with transaction.atomic():
            proposal = ChairsActionProposal.objects.create(
                request=funding_request,
                proposed_by=by,
                officer=officer,
                outcome=outcome,
                amount=amount,
                rationale=rationale,
                conditions=(conditions or "").strip(),
                review_date=review_date if amount is not None else None,
                proposed_at=at or timezone.now(),
            )
    except IntegrityError:
        raise PanelError(
            f"A chair's action on {funding_request.reference} is already waiting to be confirmed."
        ) from None
    announce("chairs_action_proposed", proposal=proposal)
    return proposal


def _locked(proposal: ChairsActionProposal) -> ChairsActionProposal:
    return (
        ChairsActionProposal.objects.select_for_update(of=("self",))
        .select_related("request", "request__school", "proposed_by", "officer")
        .get(pk=proposal.pk)
    )


@transaction.atomic
def confirm_chairs_action(
    proposal: ChairsActionProposal,
    *,
    by: AbstractBaseUser,
    today: date | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """The named LA SEND officer confirms the chair's proposal: the decision is taken now,
    as the officer, through the lifecycle (its guards, the budget's under row lock), and
    the request goes on the next meeting's agenda for ratification. Anyone else is refused
    (403), and a refusal of any kind changes nothing."""
    today = _today(today)
    proposal = _locked(proposal)
    policy.require_answer_chairs_action(by, proposal)
    fr = FundingRequest.objects.select_related("school").get(pk=proposal.request_id)
    _check_request(fr)
    chair = proposal.proposed_by
    amount = _validate_outcome(fr, proposal.outcome, proposal.amount, proposal.review_date, today)
    ratify_at = _ratify_at(fr, today)
    order = (ratify_at.items.aggregate(m=Max("order"))["m"] or 0) + 1
    AgendaItem.objects.create(
        meeting=ratify_at, request=fr, order=order, kind=ItemKind.RATIFICATION
    )
    decision = Decision.objects.create(
        request=fr,
        outcome=proposal.outcome,
        amount=amount,
        rationale=proposal.rationale,
        conditions=proposal.conditions,
        review_date=proposal.review_date if amount is not None else None,
        chair=chair,
        by_chairs_action=True,
        la_officer=by,
    )
    try:
        apply_transition(
            fr,
            "schedule",
            user=by,
            message=f"Chair's action; for ratification at {ratify_at}",
            command=Schedule(meeting=ratify_at),
        )
        # The chair's part, in the chair's name, before the officer's decision.
        record_note(
            fr,
            user=chair,
            kind="chairs_action_proposed",
            message=f"{_name(chair)}, chair, proposed by chair's action on "
            f"{timezone.localtime(proposal.proposed_at):%-d %B %Y at %H:%M}: "
            f"{_summary(proposal.outcome, amount)}. Confirmed by {_name(by)}, LA SEND officer.",
        )
        _take(decision, None, by, la_officer=by, decided_at=decided_at)
    except TransitionError as exc:
        raise PanelError(exc.message, status=exc.status) from exc
    proposal.status = ProposalStatus.CONFIRMED
    proposal.answered_at = decided_at or timezone.now()
    proposal.decision = decision
    proposal.save(update_fields=["status", "answered_at", "decision"])
    _notify_decision(decision)
    announce("chairs_action_answered", proposal=proposal)
    return decision


@transaction.atomic
def withdraw_chairs_action(
    proposal: ChairsActionProposal,
    *,
    by: AbstractBaseUser,
    reason: str,
    at: datetime | None = None,
) -> ChairsActionProposal:
    """The chair who proposed takes the proposal back before the officer answers (a
    mistake, or new information), saying why: nothing is decided, the officer is told,
    and the chair may propose again or leave it for the panel."""
    proposal = _locked(proposal)
    problem = policy.withdrawal_refusal(by, proposal)
    if problem:
        raise PanelError(problem, status=409 if proposal.proposed_by_id == by.pk else 403)
    reason = (reason or "").strip()
    if not reason:
        raise PanelError("Say why you withdraw the chair's action: the officer is told.")
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.refusal_reason = reason
    proposal.answered_at = at or timezone.now()
    proposal.save(update_fields=["status", "refusal_reason", "answered_at"])
    announce("chairs_action_withdrawn", proposal=proposal)
    return proposal


@transaction.atomic
def refuse_chairs_action(
    proposal: ChairsActionProposal,
    *,
    by: AbstractBaseUser,
    reason: str,
    at: datetime | None = None,
) -> ChairsActionProposal:
    """The named LA SEND officer refuses the chair's proposal, saying why: nothing is
    decided, the chair is told the reason and may propose again."""
    proposal = _locked(proposal)
    policy.require_answer_chairs_action(by, proposal)
    reason = (reason or "").strip()
    if not reason:
        raise PanelError("Say why you refuse the chair's action: the chair is told.")
    proposal.status = ProposalStatus.REFUSED
    proposal.refusal_reason = reason
    proposal.answered_at = at or timezone.now()
    proposal.save(update_fields=["status", "refusal_reason", "answered_at"])
    announce("chairs_action_answered", proposal=proposal)
    return proposal
