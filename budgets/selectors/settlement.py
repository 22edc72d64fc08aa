"""Settling an award at review: what the school's reported spend does with the money."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from funding.models import FundingRequest
from portal.money import format_gbp as gbp

from ..models import (
    PENNY,
    ZERO,
)
from .totals import request_totals


@dataclass(frozen=True)
class Settlement:
    """What closing an award at review does with its money, given what the school spent.

    * spent above paid: the difference is a final payment due now, and the rest of
      the award (committed − spent) returns to the cluster budget;
    * spent at or below paid: everything not yet paid (committed − paid) returns, and
      anything paid beyond what was spent (paid − spent) is owed back by the school.

    Afterwards the request's commitment is what it was paid plus the final payment.
    """

    committed: Decimal
    paid: Decimal
    spent: Decimal

    @property
    def final_payment(self) -> Decimal:
        return max(self.spent - self.paid, ZERO)

    @property
    def overpaid(self) -> Decimal:
        return max(self.paid - self.spent, ZERO)

    @property
    def released(self) -> Decimal:
        return self.committed - max(self.spent, self.paid)

    @property
    def committed_after(self) -> Decimal:
        return self.paid + self.final_payment

    @property
    def sentence(self) -> str:
        """What will happen (or happened), in the words on the review page."""
        back = (
            f"return {gbp(self.released)} to the cluster budget"
            if self.released > 0
            else "return nothing to the cluster budget (all of the award is accounted for)"
        )
        if self.final_payment > 0:
            return (
                f"We will pay the school the {gbp(self.final_payment)} it has spent but not yet "
                f"been paid, and {back}."
            )
        if self.overpaid > 0:
            return (
                f"The school has been paid {gbp(self.paid)}, {gbp(self.overpaid)} more than the "
                f"{gbp(self.spent)} it spent: the LA finance team will ask for the "
                f"{gbp(self.overpaid)} back. Nothing more will be paid, and we will {back}."
            )
        return f"The school has already been paid the {gbp(self.spent)} it spent. We will {back}."


def spent_too_much(awarded: Decimal, spent: Decimal) -> str | None:
    """The review's one rule on the amount spent: up to the award, never more."""
    if spent > awarded:
        return (
            f"You can report up to {gbp(awarded)}, the amount awarded. If the provision cost "
            "more, the school met the difference."
        )
    return None


def settlement_preview(funding_request: FundingRequest, spent: Decimal) -> Settlement:
    """The settlement if the school reported ``spent`` now (the service re-reads under lock)."""
    totals = request_totals(funding_request)
    return Settlement(totals.committed, totals.paid, Decimal(spent).quantize(PENNY))
