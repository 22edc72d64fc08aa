"""How budgets plug into the request lifecycle (registered in ``BudgetsConfig.ready``).

* guard ``budget_available``: an approval may not take the cluster budget below
  zero unless a finance officer has recorded an override (beforehand, with
  :func:`budgets.services.record_override`, or now: ``override_by`` a finance
  officer and ``override_reason``);
* approve / partially approve: commit the amount awarded (``amount``);
* withdraw and close: release whatever is committed and unspent.

Guards and effects run inside ``apply_transition``'s transaction, and the guard
locks the budget row, so the check and the commitment cannot be split by a
concurrent approval.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from funding.services import TransitionContext, register_effect, register_guard

from . import services

_DECISION = "_budgets_amount"


def _amount(funding_request, context: TransitionContext) -> Decimal | None:
    raw = context.data.get("amount")
    if raw is None:
        raw = funding_request.amount_awarded
    if raw is None:
        raw = funding_request.amount_requested
    try:
        return Decimal(str(raw))
    except (InvalidOperation, TypeError):
        return None


def budget_available(funding_request, context: TransitionContext) -> str | None:
    amount = _amount(funding_request, context)
    if amount is None or amount <= 0:
        return "Enter the amount awarded, more than £0."
    problem, _ = services.check_commitment(
        funding_request,
        amount,
        override_by=context.data.get("override_by") or context.user,
        override_reason=context.data.get("override_reason", ""),
    )
    return problem


def commit_award(funding_request, transition, context: TransitionContext) -> None:
    clock = services.decision_clock.get()  # set only by the demo, which replays a past year
    with services.entries_dated(clock(funding_request, context.data) if clock else None):
        services.commit_for_request(
            funding_request,
            _amount(funding_request, context),
            user=context.user,
            reason=context.message or f"{transition.label} by the panel",
            override_by=context.data.get("override_by") or context.user,
            override_reason=context.data.get("override_reason", ""),
        )


def release_unspent(funding_request, transition, context: TransitionContext) -> None:
    services.release_for_request(
        funding_request,
        user=context.user,
        reason=context.message or transition.label,
    )


def register() -> None:
    register_guard("budget_available")(budget_available)
    register_effect("approve")(commit_award)
    register_effect("partially_approve")(commit_award)
    register_effect("withdraw")(release_unspent)
    register_effect("close")(release_unspent)
