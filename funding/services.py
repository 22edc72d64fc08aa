"""Every write to a funding request. One function per use case, each in one transaction.

The lifecycle itself is data (``funding.workflow``); :func:`apply_transition`
applies it: it locks the request row, checks the source state, who is acting,
the message if one is needed and each guard, then moves the state, records a
timeline event and runs the side effects registered for that transition, all
in one transaction. Other apps plug in without this module knowing them:

* ``register_guard(name)`` for a guard named in the workflow (panels: quorate,
  not_recused; budgets: budget_available);
* ``register_actor_resolver(fn)`` for relative roles (panels: the chair);
* ``register_effect(transition_name)`` for side effects (budgets: commit and
  release money; notifications).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from portal.roles import scope_for

from .models import FundingRequest, RequestEvent
from .workflow import TRANSITIONS, Actor, Transition


class TransitionError(Exception):
    """A transition that may not happen; the message is for the person who tried."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class TransitionContext:
    user: AbstractBaseUser | None
    message: str = ""
    actors: frozenset[str] = frozenset()
    # Anything a guard or effect needs: the meeting, the amount awarded, an override reason...
    data: dict[str, Any] = field(default_factory=dict)


Guard = Callable[[FundingRequest, TransitionContext], str | None]
Effect = Callable[[FundingRequest, Transition, TransitionContext], None]
ActorResolver = Callable[[AbstractBaseUser, FundingRequest], set[str]]

_GUARDS: dict[str, Guard] = {}
_EFFECTS: dict[str, list[Effect]] = defaultdict(list)
_ACTOR_RESOLVERS: list[ActorResolver] = []


def register_guard(name: str) -> Callable[[Guard], Guard]:
    """Register the function that checks guard ``name``; it returns a problem or None."""

    def decorator(fn: Guard) -> Guard:
        _GUARDS[name] = fn
        return fn

    return decorator


def register_effect(transition_name: str) -> Callable[[Effect], Effect]:
    """Run ``fn`` inside the transaction after ``transition_name`` ("*" for every one)."""

    def decorator(fn: Effect) -> Effect:
        if fn not in _EFFECTS[transition_name]:
            _EFFECTS[transition_name].append(fn)
        return fn

    return decorator


def register_actor_resolver(fn: ActorResolver) -> ActorResolver:
    if fn not in _ACTOR_RESOLVERS:
        _ACTOR_RESOLVERS.append(fn)
    return fn


def actors_for(user: AbstractBaseUser | None, funding_request: FundingRequest) -> frozenset[str]:
    """What ``user`` is in relation to this request."""
    if user is None:
        return frozenset({Actor.SYSTEM})
    scope = scope_for(user)
    actors: set[str] = set()
    if funding_request.school_id in scope.school_ids:
        actors.add(Actor.SCHOOL)
    if scope.is_send_officer:
        actors.add(Actor.SEND_OFFICER)
    for resolver in _ACTOR_RESOLVERS:
        actors |= resolver(user, funding_request)
    return frozenset(actors)


def available_transitions(
    user: AbstractBaseUser, funding_request: FundingRequest
) -> list[Transition]:
    """The actions to offer this user on this request (guards are checked when taken)."""
    actors = actors_for(user, funding_request)
    return [
        t for t in TRANSITIONS.values() if funding_request.state in t.sources and t.actors & actors
    ]


def apply_transition(
    funding_request: FundingRequest,
    name: str,
    *,
    user: AbstractBaseUser | None,
    message: str = "",
    **data: Any,
) -> FundingRequest:
    """Move the request along transition ``name``, or refuse and change nothing.

    ``user=None`` means the portal itself (a scheduled job). Returns the fresh,
    updated request.
    """
    try:
        transition_def = TRANSITIONS[name]
    except KeyError:
        raise TransitionError(f"There is no action called “{name}”.") from None

    with transaction.atomic():
        locked = FundingRequest.objects.select_for_update().get(pk=funding_request.pk)
        if locked.state not in transition_def.sources:
            raise TransitionError(
                f"This request is {locked.get_state_display().lower()}, so you cannot "
                f"“{transition_def.label.lower()}” now."
            )
        actors = actors_for(user, locked)
        if not transition_def.actors & actors:
            raise TransitionError(f"You cannot “{transition_def.label.lower()}” on this request.")
        message = (message or "").strip()
        if transition_def.needs_message and not message:
            raise TransitionError("Enter a message or reason: it goes on the request's timeline.")
        context = TransitionContext(user=user, message=message, actors=actors, data=data)
        for guard_name in transition_def.guards:
            guard = _GUARDS.get(guard_name)
            if guard is None:
                raise TransitionError(
                    f"“{transition_def.label}” is not available yet: its check "
                    f"“{guard_name}” is not installed."
                )
            problem = guard(locked, context)
            if problem:
                raise TransitionError(problem)

        from_state = locked.state
        now = timezone.now()
        locked.state = transition_def.target
        locked.state_changed_at = now
        locked.save(update_fields=["state", "state_changed_at", "updated_at"])
        RequestEvent.objects.create(
            request=locked,
            actor=user,
            kind=transition_def.name,
            from_state=from_state,
            to_state=locked.state,
            message=message,
        )
        for effect in [*_EFFECTS[transition_def.name], *_EFFECTS["*"]]:
            effect(locked, transition_def, context)
    return locked
