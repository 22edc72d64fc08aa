"""How budgets plug into the request lifecycle (registered in ``BudgetsConfig.ready``).

* guard ``budget_available``: an approval may not take the cluster budget below
  zero unless a finance officer has recorded an override (beforehand, with
  :func:`budgets.services.record_override`, or now: ``override_by`` a finance
  officer and ``override_reason`` on the ``Award``);
* approve / partially approve: commit the amount awarded (``Award.amount``), dated
  when it was decided (``Award.decided_at``, set only when a past meeting is replayed);
* withdraw: release whatever is committed and not yet paid;
* close at review (``Close.amount_spent``): settle the award from what was
  spent (:func:`budgets.services.settle_at_review`): a final payment of anything
  spent but unpaid, the rest released, an overpayment recorded for recovery. The
  settlement is the effect's result (``TransitionResult.effects["settlement"]``).

Guards and effects run inside ``apply_transition``'s transaction, and the guard
locks the budget row, so the check and the commitment cannot be split by a
concurrent approval.
"""

from __future__ import annotations

from funding.services import (
    TransitionContext,
    TransitionError,
    register_effect,
    register_guard,
)
from funding.workflow import Award, Close

from . import selectors, services


def _award(context: TransitionContext) -> Award:
    command = context.command
    # The workflow declares Award for the transitions this module's award hooks serve.
    assert isinstance(command, Award)
    return command


def budget_available(funding_request, context: TransitionContext) -> str | None:
    award = _award(context)
    if award.amount is None or award.amount <= 0:
        return "Enter the amount awarded, more than £0."
    problem, _ = services.check_commitment(
        funding_request,
        award.amount,
        override_by=award.override_by or context.user,
        override_reason=award.override_reason,
    )
    if problem:
        # Want of budget is a conflict with the ledger (409), not a mistake in the request.
        raise TransitionError(problem, status=409)
    return None


def commit_award(funding_request, transition, context: TransitionContext):
    award = _award(context)
    return services.commit_for_request(
        funding_request,
        award.amount,
        user=context.user,
        reason=context.message or f"{transition.label} by the panel",
        override_by=award.override_by or context.user,
        override_reason=award.override_reason,
        at=award.decided_at,
    )


def release_unspent(funding_request, transition, context: TransitionContext):
    return services.release_for_request(
        funding_request,
        user=context.user,
        reason=context.message or transition.label,
    )


def settle_at_review(
    funding_request, transition, context: TransitionContext
) -> selectors.Settlement:
    command = context.command
    assert isinstance(command, Close)
    try:
        return services.settle_at_review(
            funding_request,
            command.amount_spent,
            user=context.user,
            reason=context.message or transition.label,
        )
    except services.BudgetError as exc:
        raise TransitionError(exc.message) from exc


def register() -> None:
    register_guard("budget_available")(budget_available)
    register_effect("approve", result="commitment")(commit_award)
    register_effect("partially_approve", result="commitment")(commit_award)
    register_effect("withdraw", result="released")(release_unspent)
    # What the school's review settled (a final payment, a release, an overpayment).
    register_effect("close", result="settlement")(settle_at_review)
