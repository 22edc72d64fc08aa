"""Outcomes beyond money: advice given and referrals, with or without an award.

A follow-up is recorded with the decision it belongs to, by whoever records that
decision, in the same transaction. Support alone (no money) is a decline that records
the support offered instead: the request was for money, and the school keeps its
reconsideration and appeal (docs/architecture.md §3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from funding.services import record_note

from ..models import AgendaItem, Decision, DecisionAction, FollowUpKind, Outcome
from ._common import PanelError, _today
from .decisions import record_decision


@dataclass(frozen=True, kw_only=True)
class FollowUp:
    kind: str
    detail: str
    owner: str
    due_by: date | None


def follow_up_problems(follow_ups: list[FollowUp], *, today: date) -> list[str]:
    """Why these follow-ups cannot be recorded ([] when they can), in plain English."""
    problems = []
    seen: set[str] = set()
    for f in follow_ups:
        if f.kind not in FollowUpKind.values:
            problems.append("Choose what kind of support each follow-up is.")
            continue
        label = FollowUpKind(f.kind).label
        if f.kind in seen:
            problems.append(f"“{label}” is listed twice: record it once.")
        seen.add(f.kind)
        if not (f.detail or "").strip():
            problems.append(f"{label}: say what the advice is, or what the referral is for.")
        if not (f.owner or "").strip():
            problems.append(f"{label}: say who will follow it up.")
        if f.due_by is None:
            problems.append(f"{label}: enter the date it will be followed up by.")
        elif f.due_by <= today:
            problems.append(f"{label}: the follow-up date must be in the future.")
    return problems


def _record(decision: Decision, follow_ups: list[FollowUp], by: AbstractBaseUser) -> None:
    actions = DecisionAction.objects.bulk_create(
        [
            DecisionAction(
                decision=decision,
                kind=f.kind,
                detail=f.detail.strip(),
                owner=f.owner.strip(),
                due_by=f.due_by,
                created_by=by,
            )
            for f in follow_ups
        ]
    )
    record_note(
        decision.request,
        user=by,
        kind="support_offered",
        message="\n".join(
            f"{a.get_kind_display()}: {a.detail} Followed up by {a.owner} by {a.due_by:%-d %B %Y}."
            for a in actions
        ),
    )


@transaction.atomic
def decide_with_follow_ups(
    item: AgendaItem,
    *,
    by: AbstractBaseUser,
    follow_ups: list[FollowUp],
    today: date | None = None,
    **decision: object,
) -> Decision:
    """The chair's decision on an item with the support offered beyond money, in one
    transaction. If recusals leave the item inquorate it is deferred by the portal
    (``record_decision``) and no follow-up is recorded: nobody decided anything."""
    today = _today(today)
    problems = follow_up_problems(follow_ups, today=today)
    if problems:
        raise PanelError(" ".join(problems))
    result = record_decision(item, by=by, today=today, **decision)
    if follow_ups and not (
        result.outcome == Outcome.DEFERRED and decision.get("outcome") != Outcome.DEFERRED
    ):
        _record(result, follow_ups, by)
    return result


@transaction.atomic
def add_follow_up(
    decision: Decision, *, by: AbstractBaseUser, follow_up: FollowUp, today: date | None = None
) -> DecisionAction:
    """Support agreed after the decision was recorded (e.g. on a chair's action), by its
    chair or an LA SEND officer, until the decision letter has gone."""
    from .. import policy

    decision = Decision.objects.select_for_update(of=("self",)).get(pk=decision.pk)
    if not policy.can_add_follow_up(by, decision):
        raise PanelError("Only the chair who recorded the decision or an LA SEND officer can.")
    if hasattr(decision, "letter"):
        raise PanelError(
            "The decision letter has been sent: tell the school of further support directly."
        )
    problems = follow_up_problems([follow_up], today=_today(today))
    if not problems and decision.actions.filter(kind=follow_up.kind).exists():
        problems = [f"“{FollowUpKind(follow_up.kind).label}” is already recorded on this decision."]
    if problems:
        raise PanelError(" ".join(problems))
    _record(decision, [follow_up], by)
    return decision.actions.get(kind=follow_up.kind)
