"""The school's outcome review, which closes the request and settles its money."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from funding.models import FundingRequest
from funding.rules import outcomes_of
from funding.services import TransitionError, apply_transition
from funding.workflow import RUNNING, Close
from portal.money import format_gbp

from ..models import OutcomeResult, OutcomeReview, ReviewResult

if TYPE_CHECKING:
    from budgets.selectors import Settlement

from ._common import PENNY, PanelError


def spent_problem(awarded: Decimal, spent: Decimal) -> str | None:
    """The review's rule on the amount spent, for the form and the service alike."""
    if spent > awarded:
        return (
            f"You can report up to {format_gbp(awarded)}, the amount awarded. If the provision cost "
            "more, the school met the difference."
        )
    return None


@dataclass(frozen=True)
class ReportedOutcomes:
    """The review recorded and how the award's money was settled (None without a budget)."""

    review: OutcomeReview
    settlement: Settlement | None


def outcome_results_problem(
    sought: list[str], outcomes: list[dict] | None
) -> tuple[int | None, str] | None:
    """Why the per-outcome answers cannot be taken (the outcome's index, or None for all
    of them, and the message), or None. One answer per outcome sought, in order, each
    with a result and its evidence."""
    if outcomes is None:
        return None
    if len(outcomes) != len(sought):
        return None, (
            f"Answer each of the {len(sought)} outcome{'s' if len(sought) != 1 else ''} "
            f"the request sought, in order (you gave {len(outcomes)})."
        )
    for i, answer in enumerate(outcomes):
        if answer.get("result") not in ReviewResult.values:
            return i, f"Say whether outcome {i + 1} was met, partly met or not met."
        if not (answer.get("evidence") or "").strip():
            return i, f"Give the evidence for outcome {i + 1}."
    return None


@transaction.atomic
def report_outcomes(
    funding_request: FundingRequest,
    *,
    by: AbstractBaseUser,
    result: str,
    evidence: str,
    amount_spent: Decimal,
    outcomes: list[dict] | None = None,
) -> ReportedOutcomes:
    """The SENCO's review: it closes the request and the budgets app settles its money
    from what was spent (a final payment of anything spent but unpaid, the rest back to
    the cluster budget, an overpayment flagged for recovery).

    ``outcomes`` answers each outcome the request sought (``funding.rules.outcomes_of``),
    in order: ``{"result": …, "evidence": …}``, so a continuation's panel compares like
    for like."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise PanelError("Give the evidence of the outcomes.")
    # Under the row lock, so a form sent twice (two tabs, a double click) is refused
    # cleanly rather than tripping the one-review-per-request constraint.
    funding_request = FundingRequest.objects.select_for_update(no_key=True).get(
        pk=funding_request.pk
    )
    sought = outcomes_of(funding_request.outcomes_sought)
    problem = outcome_results_problem(sought, outcomes)
    if problem:
        raise PanelError(problem[1])
    if funding_request.state not in RUNNING:
        raise PanelError(
            f"{funding_request.reference} is {funding_request.get_state_display().lower()}: "
            "there are no outcomes to report now."
        )
    awarded = funding_request.amount_awarded or Decimal("0")
    amount_spent = Decimal(amount_spent).quantize(PENNY)
    if amount_spent < 0:
        raise PanelError("The amount spent cannot be less than £0.")
    problem = spent_problem(awarded, amount_spent)
    if problem:
        raise PanelError(problem)
    review = OutcomeReview.objects.create(
        request=funding_request,
        result=result,
        evidence=evidence,
        amount_spent=amount_spent,
        reported_by=by,
    )
    if outcomes is None and len(sought) == 1:
        # One outcome sought: the review's own answer is that outcome's.
        outcomes = [{"result": result, "evidence": evidence}]
    OutcomeResult.objects.bulk_create(
        [
            OutcomeResult(
                review=review,
                order=i,
                outcome=outcome,
                result=answer["result"],
                evidence=answer["evidence"].strip(),
            )
            for i, (outcome, answer) in enumerate(zip(sought, outcomes or [], strict=False), 1)
        ]
    )
    try:
        result = apply_transition(
            funding_request,
            "close",
            user=by,
            message=f"{review.get_result_display()}. {evidence}",
            command=Close(amount_spent=amount_spent, review=review),
        )
    except TransitionError as exc:
        raise PanelError(exc.message, status=exc.status) from exc
    # The budgets app's close effect returns what it settled.
    return ReportedOutcomes(review=review, settlement=result.effects.get("settlement"))
