"""The lifecycle's panel guards and the chair as an actor (registered in apps.py)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from funding.models import FundingRequest, RequestType
from funding.services import TransitionContext, register_actor_resolver, register_guard
from funding.workflow import Actor, Decide, State
from portal.roles import scope_for

from .. import policy
from ..models import AgendaItem, ChairsActionProposal, ItemKind, MeetingStatus, ProposalStatus
from ..selectors import current_chair, panel_for_request
from .appeals import guard_appeal_open
from .meetings import is_recused, item_quorum


def _decide(ctx: TransitionContext) -> Decide:
    # The workflow declares Decide (or Award, a Decide) for every transition these guard.
    assert isinstance(ctx.command, Decide)
    return ctx.command


def _item_for(fr: FundingRequest, ctx: TransitionContext) -> AgendaItem | None:
    item = _decide(ctx).item
    if item is not None:
        return item
    return (
        AgendaItem.objects.filter(request=fr, kind=ItemKind.DECISION, decision__isnull=True)
        .exclude(meeting__status__in=[MeetingStatus.CLOSED, MeetingStatus.CANCELLED])
        .select_related("meeting", "meeting__panel", "request", "request__school")
        .order_by("-meeting__date")
        .first()
    )


def _chairs_action_ok(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    """A chair's action is taken by the LA SEND officer the chair named, confirming the
    chair's proposal in their own session: nobody records another person's agreement."""
    command = _decide(ctx)
    officer = command.la_officer
    if officer is None or not policy.can_manage_panels(officer):
        return "Chair's action needs the agreement of an LA SEND officer."
    if ctx.user is None or ctx.user.pk != officer.pk:
        return "Only the LA SEND officer the chair named can confirm the chair's action."
    if fr.request_type != RequestType.URGENT:
        return "Only urgent requests can be decided by chair's action."
    decision = command.decision
    if decision is None or not ChairsActionProposal.objects.filter(
        request=fr, officer=officer, proposed_by_id=decision.chair_id,
        status=ProposalStatus.AWAITING,
    ).exists():  # fmt: skip
        return "There is no chair's proposal awaiting this officer's confirmation."
    return None


def guard_quorate(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    if _decide(ctx).chairs_action:
        return _chairs_action_ok(fr, ctx)
    item = _item_for(fr, ctx)
    if item is None:
        return "This request is not on the agenda of a meeting in progress."
    if item.meeting.status != MeetingStatus.OPEN:
        return "Decisions are recorded at the meeting: the chair must open it first."
    q = item_quorum(item)
    if not q.quorate:
        return "The panel is not quorate for this item. " + " ".join(q.problems)
    return None


def guard_not_recused(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    user = ctx.user
    if user is None:
        return None
    if fr.school_id in scope_for(user).school_ids:
        return "You are recused: the request is from your school."
    command = _decide(ctx)
    if command.chairs_action:
        # The chair proposed it: they must not be from the requesting school either.
        chair = command.decision.chair if command.decision else None
        if chair is not None and fr.school_id in scope_for(chair).school_ids:
            return "The chair is recused: the request is from their school."
        return None
    item = _item_for(fr, ctx)
    if item is not None and is_recused(item, user):
        return "You are recused from this item, so you cannot decide it."
    return None


def _confirming(user: AbstractBaseUser, fr: FundingRequest) -> bool:
    """The officer the chair named is confirming the chair's action: the request is on
    the agenda for ratification (``confirm_chairs_action`` has just scheduled it) and
    the proposal still awaits them. Only inside that transaction are both true."""
    return (
        fr.state == State.ON_AGENDA
        and ChairsActionProposal.objects.filter(
            request=fr, officer=user, status=ProposalStatus.AWAITING
        ).exists()
        and AgendaItem.objects.filter(
            request=fr, kind=ItemKind.RATIFICATION, ratified_at__isnull=True
        ).exists()
    )


def chair_actor(user: AbstractBaseUser, fr: FundingRequest) -> set[str]:
    """CHAIR for whoever chairs the request's item on a meeting's agenda — its acting
    chair if the meeting's chair is recused from it, else the meeting's chair — and for
    an urgent request, the rota's current chair (chair's action) and, while confirming
    the chair's proposal, the LA SEND officer the chair named."""
    if AgendaItem.objects.filter(
        Q(acting_chair__user=user) | Q(acting_chair__isnull=True, meeting__chair__user=user),
        request=fr,
        kind=ItemKind.DECISION,
        meeting__status__in=[MeetingStatus.SCHEDULED, MeetingStatus.OPEN],
    ).exists():
        return {Actor.CHAIR}
    if fr.request_type == RequestType.URGENT and _confirming(user, fr):
        return {Actor.CHAIR}
    if fr.request_type == RequestType.URGENT:
        panel = panel_for_request(fr)
        chair = current_chair(panel) if panel else None
        if chair is not None and chair.user_id == user.pk:
            return {Actor.CHAIR}
    return set()


def register() -> None:
    register_guard("quorate")(guard_quorate)
    register_guard("not_recused")(guard_not_recused)
    register_guard("appeal_open")(guard_appeal_open)
    register_actor_resolver(chair_actor)
