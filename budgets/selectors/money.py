"""One request's money (LA officers): its ledger lines, instalments and a pupil's move."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from funding.models import FundingRequest
from portal.roles import Scope

from ..models import (
    ZERO,
    ClusterBudget,
    EntryKind,
    LedgerEntry,
    Overpayment,
    PaymentInstalment,
)
from .scoped import _scope, visible_instalments, visible_ledger
from .totals import Totals, budget_totals, request_budget_balances


def get_request_for_money(user: AbstractBaseUser | Scope, pk: int) -> FundingRequest:
    """A request whose money an LA officer looks after; anyone else gets 404."""
    if not _scope(user).is_la:
        raise Http404("Not found")
    try:
        return FundingRequest.objects.select_related("school", "cluster", "stream").get(pk=pk)
    except FundingRequest.DoesNotExist:
        raise Http404("No such request") from None


@dataclass
class RequestMoney:
    """A request's budget history: every ledger line and instalment, and its totals."""

    request: FundingRequest
    totals: Totals
    entries: list[LedgerEntry]
    instalments: list[PaymentInstalment]
    overpayment: Overpayment | None = None

    @property
    def movable(self) -> bool:
        from funding.workflow import FUNDED

        return self.request.state in FUNDED and self.totals.unpaid_commitment > 0


def request_money(user: AbstractBaseUser | Scope, pk: int) -> RequestMoney:
    """Five queries, whatever the request's history."""
    funding_request = get_request_for_money(user, pk)
    entries = list(
        visible_ledger(user).filter(request=funding_request).order_by("created_at", "id")
    )
    totals = Totals()
    for e in entries:
        if e.kind in (EntryKind.COMMITMENT, EntryKind.RELEASE):
            sign = 1 if e.kind == EntryKind.COMMITMENT else -1
            totals.committed += sign * e.amount
        elif e.kind == EntryKind.PAYMENT:
            totals.paid += e.amount
    instalments = list(
        visible_instalments(user).filter(request=funding_request).order_by("due_date", "id")
    )
    overpayment = Overpayment.objects.filter(request=funding_request).first()
    return RequestMoney(funding_request, totals, entries, instalments, overpayment)


@dataclass
class MovePreview:
    """What a pupil's move would do, for the officer to confirm."""

    moving: Decimal
    target_label: str
    available_before: Decimal
    available_after: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(-self.available_after, ZERO)


def move_preview(funding_request: FundingRequest, new_school) -> MovePreview:
    """The unspent award and the receiving budget's room for it (the service re-checks under lock)."""
    balances = request_budget_balances(funding_request)
    moving = sum((t.unpaid_commitment for t in balances.values() if t.unpaid_commitment > 0), ZERO)
    if not balances:
        return MovePreview(ZERO, str(new_school.cluster), ZERO, ZERO)
    current = ClusterBudget.objects.select_related("stream", "year").get(pk=max(balances))
    target = ClusterBudget.objects.filter(
        cluster_id=new_school.cluster_id, stream_id=current.stream_id, year_id=current.year_id
    ).first()
    available = budget_totals(target).available if target else ZERO
    # Within one cluster the release frees the budget's own money first.
    freed = balances[target.pk].unpaid_commitment if target and target.pk in balances else ZERO
    label = f"{new_school.cluster} — {current.stream} — {current.year}"
    return MovePreview(moving, label, available, available + max(freed, ZERO) - moving)
