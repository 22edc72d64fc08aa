"""Whatever happens to a budget, its totals are the sums of its ledger, to the penny."""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from budgets import selectors, services
from budgets.models import (
    BudgetBalance,
    EntryKind,
    InstalmentStatus,
    LedgerEntry,
    PaymentInstalment,
)

from .factories import ClusterBudgetFactory, request_on_agenda

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000.00"), places=2)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("allocate"), money),
        st.tuples(st.just("reduce"), money),
        st.tuples(st.just("approve"), money),
        st.tuples(st.just("approve_with_override"), money),
        st.tuples(st.just("release"), st.integers(0, 20)),
        st.tuples(st.just("pay"), st.integers(0, 20)),
        st.tuples(st.just("close"), st.integers(0, 20)),
    ),
    min_size=1,
    max_size=25,
)


def ledger_sums(budget) -> dict[str, Decimal]:
    sums = dict.fromkeys(EntryKind.values, Decimal("0"))
    for kind, amount in LedgerEntry.objects.filter(budget=budget).values_list("kind", "amount"):
        sums[kind] += amount
    return sums


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_totals_always_equal_the_ledger_and_never_go_negative_without_override(
    steps, this_year, finance_officer
):
    budget = ClusterBudgetFactory(year=this_year)
    awarded = []
    overridden = False
    for action, value in steps:
        try:
            if action == "allocate":
                services.adjust(budget, value, user=finance_officer, reason="More money")
            elif action == "reduce":
                services.adjust(budget, -value, user=finance_officer, reason="Clawback")
            elif action in ("approve", "approve_with_override"):
                fr = request_on_agenda(budget)
                if action == "approve_with_override":
                    services.record_override(fr, user=finance_officer, reason="Urgent need")
                services.commit_for_request(fr, value, user=finance_officer, reason="Approved")
                awarded.append(fr)
                overridden |= action == "approve_with_override"
            elif action == "release" and awarded:
                fr = awarded[value % len(awarded)]
                unspent = selectors.request_totals(fr).unpaid_commitment
                if unspent > 0:
                    half = (unspent / 2).quantize(Decimal("0.01")) or unspent
                    services.release_for_request(fr, half, user=finance_officer, reason="Reduced")
            elif action == "pay" and awarded:
                fr = awarded[value % len(awarded)]
                due = PaymentInstalment.objects.filter(
                    request=fr, status=InstalmentStatus.SCHEDULED
                ).first()
                if due:
                    services.pay_instalment(due, user=finance_officer)
            elif action == "close" and awarded:
                services.release_for_request(
                    awarded[value % len(awarded)], user=finance_officer, reason="Closed at review"
                )
        except services.BudgetError:
            pass  # a refused write must change nothing: the checks below still hold

        totals = selectors.budget_totals(budget)
        sums = ledger_sums(budget)
        assert totals.allocated == sums["allocation"] + sums["adjustment"]
        assert totals.committed == sums["commitment"] - sums["release"]
        assert totals.paid == sums["payment"]
        assert totals.available == totals.allocated - totals.committed
        assert totals.paid <= totals.committed
        if not overridden:
            assert totals.available >= 0
        # The balance kept as the ledger moves is its sums, kind by kind.
        balance = BudgetBalance.objects.filter(budget=budget).first()
        for kind in EntryKind.values:
            assert (getattr(balance, kind) if balance else 0) == sums[kind], kind
        # The dashboard's one-query sums agree with the ledger too.
        (row,) = [
            r for r in selectors.budget_board(finance_officer).rows if r.budget_id == budget.pk
        ]
        assert row.totals == totals
        # Every award's scheduled payments add up to what it has left unpaid.
        for fr in awarded:
            left = selectors.request_totals(fr).unpaid_commitment
            scheduled = PaymentInstalment.objects.filter(
                request=fr, status=InstalmentStatus.SCHEDULED
            ).values_list("amount", flat=True)
            assert sum(scheduled, Decimal("0")) == left
