"""How budgets plug into the request lifecycle (registered in ``BudgetsConfig.ready``).

* guard ``budget_available``: an approval may not take the cluster budget below
  zero unless a finance officer has recorded an override (beforehand, with
  :func:`budgets.services.record_override`, or now: ``override_by`` a finance
  officer and ``override_reason``);
* approve / partially approve: commit the amount awarded (``amount``);
* withdraw: release whatever is committed and not yet paid;
* close at review (``amount_spent`` reported): settle the award from what was
  spent (:func:`budgets.services.settle_at_review`): a final payment of anything
  spent but unpaid, the rest released, an overpayment recorded for recovery.
  A close with no amount spent releases whatever is unpaid, as a withdrawal does.

Guards and effects run inside ``apply_transition``'s transaction, and the guard
locks the budget row, so the check and the commitment cannot be split by a
concurrent approval.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from funding.services import (
    TransitionContext,
    TransitionError,
    register_effect,
    register_guard,
)

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


def settle_at_review(funding_request, transition, context: TransitionContext) -> None:
    raw = context.data.get("amount_spent")
    if raw is None:
        release_unspent(funding_request, transition, context)
        return
    try:
        settlement = services.settle_at_review(
            funding_request,
            Decimal(str(raw)),
            user=context.user,
            reason=context.message or transition.label,
        )
    except (services.BudgetError, InvalidOperation) as exc:
        raise TransitionError(getattr(exc, "message", "Enter the amount spent in pounds.")) from exc
    # The caller's review (panels) carries what happened back to the page that reported it.
    review = context.data.get("review")
    if review is not None:
        review.settlement = settlement


def register() -> None:
    register_guard("budget_available")(budget_available)
    register_effect("approve")(commit_award)
    register_effect("partially_approve")(commit_award)
    register_effect("withdraw")(release_unspent)
    register_effect("close")(settle_at_review)
