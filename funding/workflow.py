"""The request lifecycle, declared once as data (docs/architecture.md §3).

Services apply it (``funding.services.transition`` and the panel services);
pages and the API read it to offer only the actions a user may take. A
transition names the states it leaves, the state it enters, who may take it
and the guards that must hold. Guards are names resolved in services so the
table stays plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:  # types only: the table stays plain data and funding imports no panels
    from django.contrib.auth.models import AbstractBaseUser

    from panels.models import AgendaItem, Decision, Meeting, OutcomeReview


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    RETURNED = "returned", "Returned for more information"
    READY = "ready", "Ready for panel"
    ON_AGENDA = "on_agenda", "On a panel agenda"
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DECLINED = "declined", "Declined"
    DEFERRED = "deferred", "Deferred"
    ACTIVE = "active", "Funding active"
    REVIEW_DUE = "review_due", "Review due"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"
    # A draft its school deleted: kept for the audit, gone from every list and page.
    DELETED = "deleted", "Deleted draft"


# States before a decision: a request may still be withdrawn from any of them.
UNDECIDED = frozenset(
    {State.DRAFT, State.SUBMITTED, State.RETURNED, State.READY, State.ON_AGENDA, State.DEFERRED}
)
# States that hold money committed on the cluster budget.
FUNDED = frozenset({State.APPROVED, State.PARTIALLY_APPROVED, State.ACTIVE, State.REVIEW_DUE})
TERMINAL = frozenset({State.CLOSED, State.WITHDRAWN, State.DELETED})
# The states a list can be filtered by: a deleted draft is in no list.
LISTED_STATES = [(value, label) for value, label in State.choices if value != State.DELETED]
# Waiting to be put on a panel's agenda: marked ready, or deferred by a panel.
AWAITING_PANEL = frozenset({State.READY, State.DEFERRED})
# States in which the school may still change its request.
EDITABLE = frozenset({State.DRAFT, State.RETURNED})
# Approved, not yet started: funding becomes active on its start date.
APPROVED = frozenset({State.APPROVED, State.PARTIALLY_APPROVED})
# Funding running: the school reports the outcomes and closes the request.
RUNNING = frozenset({State.ACTIVE, State.REVIEW_DUE})
# Everything a panel awarded money to, to the end of its life.
AWARDED = FUNDED | {State.CLOSED}
# Everything a panel has decided on.
DECIDED = AWARDED | {State.DECLINED}
# Funded and running, or closed: the school may start a continuation (a renewal) from it.
CONTINUABLE = RUNNING | {State.CLOSED}
# A request's life is over: closed, withdrawn, a deleted draft, or declined (a
# reconsideration or an appeal comes within weeks; the retention schedule counts years).
# The retention schedule (funding/retention.py) counts from when it got here.
ENDED = TERMINAL | {State.DECLINED}


class Actor(models.TextChoices):
    """Who may take a transition, relative to the request."""

    SCHOOL = "school", "SENCO or headteacher of the requesting school"
    SEND_OFFICER = "send_officer", "LA SEND officer"
    CHAIR = "chair", "Chair of the meeting"
    SYSTEM = "system", "The portal (scheduled)"


# --- The details a transition takes ---------------------------------------------------
# One small command per transition that needs more than its message; ``apply_transition``
# refuses a command of the wrong type, and a misspelt field is a TypeError, never a
# silent default.


@dataclass(frozen=True, kw_only=True)
class Submit:
    # Lets the demo and imports of past requests number them by the year they were made.
    submitted_on: date | None = None


@dataclass(frozen=True, kw_only=True)
class Schedule:
    meeting: Meeting


@dataclass(frozen=True, kw_only=True)
class Decide:
    """A decision at a meeting (its agenda item) or by chair's action with an LA officer;
    a deferral by the portal names only the item."""

    decision: Decision | None = None
    item: AgendaItem | None = None
    meeting: Meeting | None = None
    chairs_action: bool = False
    la_officer: AbstractBaseUser | None = None
    # When the decision was taken, if it is recorded afterwards (None: now). Only a replay
    # of past meetings (the demo) passes it; an award's commitment is dated then.
    decided_at: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Award(Decide):
    """An approval, in full or in part: the amount awarded is committed on the budget."""

    amount: Decimal
    # A finance officer allowing this award over budget now (see budgets.hooks).
    override_by: AbstractBaseUser | None = None
    override_reason: str = ""


@dataclass(frozen=True, kw_only=True)
class Close:
    """The school's review: what was spent settles the award's money."""

    amount_spent: Decimal
    review: OutcomeReview | None = None


Command = Submit | Schedule | Decide | Award | Close


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset[str]
    target: str
    actors: frozenset[str]
    guards: tuple[str, ...] = ()
    # A message to the SENCO (return) or a reason is required.
    needs_message: bool = False
    # The details it takes (a command class above), or None for none.
    command: type | None = None


def _t(
    name, label, sources, target, actors, guards=(), needs_message=False, command=None
) -> Transition:
    return Transition(
        name,
        label,
        frozenset(sources),
        target,
        frozenset(actors),
        tuple(guards),
        needs_message,
        command,
    )


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t(
            "submit",
            "Submit to the LA",
            {State.DRAFT},
            State.SUBMITTED,
            {Actor.SCHOOL},
            guards=("complete", "consent_recorded", "stream_open", "stream_rules"),
            command=Submit,
        ),
        _t(
            "return",
            "Return for more information",
            {State.SUBMITTED, State.READY},
            State.RETURNED,
            {Actor.SEND_OFFICER},
            needs_message=True,
        ),
        _t(
            "resubmit",
            "Resubmit with the information asked for",
            {State.RETURNED},
            State.SUBMITTED,
            {Actor.SCHOOL},
            guards=("complete", "consent_recorded", "stream_rules"),
            needs_message=True,
        ),
        _t(
            "triage",
            "Mark ready for panel",
            {State.SUBMITTED},
            State.READY,
            {Actor.SEND_OFFICER},
            guards=("complete", "consent_recorded"),
        ),
        # A draft the school no longer wants: soft deleted (who and when are kept on the
        # request and its timeline), after which no page, list or API answer shows it.
        _t(
            "delete",
            "Delete the draft",
            {State.DRAFT},
            State.DELETED,
            {Actor.SCHOOL},
        ),
        _t(
            "withdraw",
            "Withdraw the request",
            UNDECIDED,
            State.WITHDRAWN,
            {Actor.SCHOOL, Actor.SEND_OFFICER},
            needs_message=True,
        ),
        # Panel states (panels app applies these through its services).
        _t(
            "schedule",
            "Put on a meeting's agenda",
            {State.READY, State.DEFERRED},
            State.ON_AGENDA,
            # The portal: an item the panel deferred to a named meeting, or carried forward.
            {Actor.SEND_OFFICER, Actor.SYSTEM},
            command=Schedule,
        ),
        _t(
            "unschedule",
            "Take off the agenda",
            {State.ON_AGENDA},
            State.READY,
            {Actor.SEND_OFFICER},
        ),
        _t(
            "approve",
            "Approve",
            {State.ON_AGENDA},
            State.APPROVED,
            {Actor.CHAIR},
            guards=("quorate", "not_recused", "budget_available"),
            command=Award,
        ),
        _t(
            "partially_approve",
            "Approve in part",
            {State.ON_AGENDA},
            State.PARTIALLY_APPROVED,
            {Actor.CHAIR},
            guards=("quorate", "not_recused", "budget_available"),
            command=Award,
        ),
        # A decision without money that offers advice or a referral instead is a decline
        # too (the panels app records the support): the school keeps its reconsideration.
        _t(
            "decline",
            "Decline",
            {State.ON_AGENDA},
            State.DECLINED,
            {Actor.CHAIR},
            guards=("quorate", "not_recused"),
            command=Decide,
        ),
        _t(
            "defer",
            "Defer to a later meeting",
            {State.ON_AGENDA},
            State.DEFERRED,
            {Actor.CHAIR, Actor.SYSTEM},
            command=Decide,
        ),
        _t(
            "request_information",
            "Ask the school for more information",
            {State.ON_AGENDA},
            State.RETURNED,
            {Actor.CHAIR},
            guards=("quorate", "not_recused"),
            needs_message=True,
            command=Decide,
        ),
        _t(
            "ready_again",
            "Back to ready for the next meeting",
            {State.DEFERRED},
            State.READY,
            {Actor.SEND_OFFICER, Actor.SYSTEM},
        ),
        _t(
            "reconsider",
            "Ask for reconsideration with new evidence",
            {State.DECLINED},
            State.SUBMITTED,
            {Actor.SCHOOL},
            guards=("reconsideration_unused",),
            needs_message=True,
        ),
        # The LA's appeal route, once the reconsideration is used: an upheld appeal sends
        # the request back to its cluster's panel (the panels app schedules it); a dismissed
        # one changes no state. "appeal_open" (panels) allows one appeal per request.
        _t(
            "appeal_upheld",
            "Appeal upheld: back to the panel",
            {State.DECLINED},
            State.READY,
            {Actor.SEND_OFFICER},
            guards=("appeal_open",),
            needs_message=True,
        ),
        _t(
            "activate",
            "Funding starts",
            {State.APPROVED, State.PARTIALLY_APPROVED},
            State.ACTIVE,
            {Actor.SEND_OFFICER, Actor.SYSTEM},
        ),
        _t(
            "review_due",
            "Review due",
            {State.ACTIVE},
            State.REVIEW_DUE,
            {Actor.SEND_OFFICER, Actor.SYSTEM},
        ),
        _t(
            "close",
            "Report outcomes and close",
            {State.REVIEW_DUE, State.ACTIVE},
            State.CLOSED,
            {Actor.SCHOOL},
            needs_message=True,
            command=Close,
        ),
    ]
}


def transitions_from(state: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if state in t.sources]
