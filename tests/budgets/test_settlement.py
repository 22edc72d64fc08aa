"""At review the SENCO reports what the provision cost, and the award's money is settled.

What a finance officer expects: a school that spent more than it has been paid so far
gets the difference as a final payment due now; a school paid more than it spent is
flagged for recovery (never a negative payment); whatever of the award is neither
spent nor paid goes back to the cluster budget. Nothing is lost or created: the
ledger's sums still explain every total.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from budgets import selectors, services
from budgets.models import (
    EntryKind,
    InstalmentStatus,
    LedgerEntry,
    Overpayment,
    PaymentInstalment,
)
from clusters.models import Role
from funding.services import TransitionError, apply_transition
from funding.workflow import Award, Close
from portal.models import Notification
from tests.factories import SchoolFactory, make_user

from .factories import ClusterBudgetFactory, allocate, request_on_agenda

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("panel_rules")]

ALLOCATED = Decimal("20000.00")
_users = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def three_terms(settings):
    """The LA's term dates: this term started today, two more follow (whatever today is)."""
    today = timezone.localdate()
    settings.LA_TERM_STARTS = [(today + timedelta(days=d)).isoformat() for d in (0, 60, 120)]


def funded(budget, chair, awarded: Decimal, *, pay: int = 0):
    """An active award on ``budget`` with its first ``pay`` instalments paid, and its SENCO."""
    school = SchoolFactory(cluster=budget.cluster)
    senco = make_user(Role.SENCO, school=school, username=f"senco{next(_users)}")
    today = timezone.localdate()
    fr = request_on_agenda(
        budget,
        school=school,
        amount_requested=awarded,
        start_date=today,
        end_date=today + timedelta(days=150),  # three terms: three instalments
    )
    apply_transition(fr, "approve", user=chair, message="Yes", command=Award(amount=awarded))
    fr.refresh_from_db()
    # As the panel's decision records it (panels.services.record_decision).
    fr.state, fr.amount_awarded = "review_due", awarded
    fr.save(update_fields=["state", "amount_awarded"])
    for inst in PaymentInstalment.objects.filter(request=fr).order_by("due_date", "pk")[:pay]:
        services.pay_instalment(inst, user=None)
    return fr, senco


def ledger_sums(budget) -> dict[str, Decimal]:
    sums = dict.fromkeys(EntryKind.values, Decimal("0"))
    for kind, amount in LedgerEntry.objects.filter(budget=budget).values_list("kind", "amount"):
        sums[kind] += amount
    return sums


def scheduled(fr) -> list[PaymentInstalment]:
    return list(PaymentInstalment.objects.filter(request=fr, status=InstalmentStatus.SCHEDULED))


def assert_settled(budget, fr, *, awarded, paid, spent, available_before):
    """The finance officer's checks after a close, for any (awarded, paid, spent)."""
    today = timezone.localdate()
    totals = selectors.request_totals(fr)
    final = scheduled(fr)
    final_due = sum((i.amount for i in final), Decimal("0"))
    # Paid money stays paid; what is owed now is exactly what was spent but not paid.
    assert totals.paid == paid
    assert final_due == max(spent - paid, Decimal("0"))
    assert all(i.due_date == today for i in final)
    # The commitment left is what was paid plus the final payment: nothing else is held.
    assert totals.committed == totals.paid + final_due
    # The budget got back exactly what was released, to the penny.
    released = sum(
        LedgerEntry.objects.filter(request=fr, kind=EntryKind.RELEASE).values_list(
            "amount", flat=True
        ),
        Decimal("0"),
    )
    assert released == awarded - max(spent, paid)
    budget_totals = selectors.budget_totals(budget)
    assert budget_totals.available == available_before + released
    # The ledger identity (docs/architecture.md §5) holds, and no payment is ever negative.
    sums = ledger_sums(budget)
    assert budget_totals.allocated == sums["allocation"] + sums["adjustment"]
    assert budget_totals.committed == sums["commitment"] - sums["release"]
    assert budget_totals.paid == sums["payment"]
    assert not LedgerEntry.objects.filter(amount__lte=0).exclude(kind="adjustment").exists()
    # An overpayment is recorded for recovery exactly when the school was paid too much.
    owed = Overpayment.objects.filter(request=fr).first()
    if paid > spent:
        assert (owed.paid, owed.spent, owed.amount) == (paid, spent, paid - spent)
    else:
        assert owed is None
    # The payment run then pays the final instalment, and the award is fully settled.
    services.pay_due_instalments(on_date=today)
    after = selectors.request_totals(fr)
    assert after.paid == after.committed == max(spent, paid)
    assert selectors.budget_totals(budget).available == available_before + released


# --- The SENCO's review, through the pages ------------------------------------------


def test_a_school_that_spent_more_than_it_was_paid_is_paid_the_difference_now(
    client, budget, chair, finance_officer
):
    fr, senco = funded(budget, chair, Decimal("6000.00"), pay=1)
    paid = selectors.request_totals(fr).paid
    assert paid == Decimal("2000.00")
    client.force_login(senco)

    form = client.get(reverse("panels:review", args=[fr.pk])).content.decode()
    assert "£6,000.00 was awarded and £2,000.00 has been paid to the school so far" in form
    assert "If it cost more than £2,000.00, we will pay the school the difference" in form

    done = client.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "met", "evidence": "Speaks in class.", "amount_spent": "5000.00"},
        follow=True,
    ).content.decode()

    assert (
        "We will pay the school the £3,000.00 it has spent but not yet been paid, "
        "and return £1,000.00 to the cluster budget." in done
    )
    fr.refresh_from_db()
    assert fr.state == "closed"
    (final,) = scheduled(fr)
    assert (final.amount, final.due_date, final.term) == (
        Decimal("3000.00"),
        timezone.localdate(),
        "Final payment at review",
    )
    # The finance officer sees it due today, and the payment run pays it.
    client.force_login(finance_officer)
    due = client.get(reverse("budgets:payments")).content.decode()
    assert "1 instalment due by today, £3,000.00 in all." in due
    assert fr.reference in due
    client.post(reverse("budgets:payments"))
    totals = selectors.request_totals(fr)
    assert totals.paid == totals.committed == Decimal("5000.00")
    assert selectors.budget_totals(budget).available == ALLOCATED - Decimal("5000.00")


def test_reporting_more_than_the_award_is_refused_on_the_form_and_changes_nothing(
    client, budget, chair
):
    fr, senco = funded(budget, chair, Decimal("6000.00"), pay=1)
    before = list(LedgerEntry.objects.filter(request=fr).values_list("pk", flat=True))
    client.force_login(senco)

    page = client.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "met", "evidence": "Speaks in class.", "amount_spent": "6500.00"},
    )

    assert page.status_code == 200
    text = page.content.decode()
    assert "There is a problem" in text
    assert (
        "You can report up to £6,000.00, the amount awarded. If the provision cost more, "
        "the school met the difference." in text
    )
    fr.refresh_from_db()
    assert fr.state == "review_due"
    assert list(LedgerEntry.objects.filter(request=fr).values_list("pk", flat=True)) == before
    assert len(scheduled(fr)) == 2


def test_the_budgets_app_refuses_more_than_the_award_even_without_the_form(budget, chair):
    fr, senco = funded(budget, chair, Decimal("6000.00"))
    with pytest.raises(TransitionError, match="You can report up to £6,000.00"):
        apply_transition(
            fr, "close", user=senco, message="Met", command=Close(amount_spent=Decimal("6000.01"))
        )
    fr.refresh_from_db()
    assert fr.state == "review_due"
    assert selectors.request_totals(fr).committed == Decimal("6000.00")


def test_a_school_paid_more_than_it_spent_is_flagged_for_the_finance_officer_to_recover(
    client, budget, chair, finance_officer
):
    fr, senco = funded(budget, chair, Decimal("6000.00"), pay=2)
    client.force_login(senco)

    done = client.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "partly", "evidence": "Some progress.", "amount_spent": "2500.00"},
        follow=True,
    ).content.decode()

    assert (
        "The school has been paid £4,000.00, £1,500.00 more than the £2,500.00 it spent: "
        "the LA finance team will ask for the £1,500.00 back. Nothing more will be paid, "
        "and we will return £2,000.00 to the cluster budget." in done
    )
    # Paid money is not un-paid: the unpaid £2,000 is released, the £1,500 is owed back.
    totals = selectors.request_totals(fr)
    assert totals.paid == totals.committed == Decimal("4000.00")
    assert scheduled(fr) == []
    assert not LedgerEntry.objects.filter(request=fr, kind=EntryKind.PAYMENT, amount__lte=0)
    owed = Overpayment.objects.get(request=fr)
    assert owed.amount == Decimal("1500.00") and owed.school == fr.school
    # The finance officers are told, with a link to the request's money.
    note = Notification.objects.get(user=finance_officer)
    assert note.subject == f"Overpayment to recover: £1,500.00 on {fr.reference}"
    assert note.url == reverse("budgets:request", args=[fr.pk])
    assert not Notification.objects.filter(user=senco, subject__startswith="Overpayment")

    client.force_login(finance_officer)
    money = client.get(reverse("budgets:request", args=[fr.pk])).content.decode()
    assert 'data-testid="request-overpayment"' in money
    assert f"Overpaid: recover £1,500.00 from {fr.school.name}." in money
    payments = client.get(reverse("budgets:payments")).content.decode()
    assert "1 school was paid more than it spent: £1,500.00 to recover." in payments
    assert reverse("budgets:request", args=[fr.pk]) in payments
    # School staff never see the finance pages.
    client.force_login(senco)
    assert client.get(reverse("budgets:request", args=[fr.pk])).status_code == 404


def test_a_school_that_spent_exactly_what_it_was_paid_keeps_it_and_the_rest_returns(
    client, budget, chair
):
    fr, senco = funded(budget, chair, Decimal("6000.00"), pay=1)
    client.force_login(senco)

    done = client.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "met", "evidence": "Met.", "amount_spent": "2000.00"},
        follow=True,
    ).content.decode()

    assert (
        "The school has already been paid the £2,000.00 it spent. "
        "We will return £4,000.00 to the cluster budget." in done
    )
    assert scheduled(fr) == [] and not Overpayment.objects.exists()
    assert selectors.budget_totals(budget).available == ALLOCATED - Decimal("2000.00")


# --- Every combination of awarded, paid and spent ------------------------------------


@pytest.mark.parametrize(
    ("pay", "spent"),
    [
        (0, "0.00"),  # nothing paid, nothing spent: all of it returns
        (0, "4500.00"),  # nothing paid yet: one final payment of all that was spent
        (0, "6000.00"),  # all spent, none paid: the whole award is paid now
        (1, "1999.99"),  # a penny overpaid
        (1, "2000.00"),  # spent what was paid
        (1, "2000.01"),  # a penny still to pay
        (2, "0.00"),  # paid two terms, spent nothing: all of the paid money is owed back
        (3, "6000.00"),  # fully paid and fully spent: nothing moves
        (3, "5999.99"),  # fully paid, a penny overpaid
    ],
)
def test_settling_at_review_loses_and_creates_nothing(budget, chair, pay, spent):
    awarded, spent = Decimal("6000.00"), Decimal(spent)
    fr, senco = funded(budget, chair, awarded, pay=pay)
    paid = selectors.request_totals(fr).paid
    available_before = selectors.budget_totals(budget).available

    apply_transition(fr, "close", user=senco, message="Reviewed", command=Close(amount_spent=spent))

    assert_settled(
        budget, fr, awarded=awarded, paid=paid, spent=spent, available_before=available_before
    )


def test_after_a_move_the_final_payment_comes_from_the_budget_now_paying(
    budget, chair, this_year, finance_officer, send_officer
):
    fr, senco = funded(budget, chair, Decimal("6000.00"), pay=1)
    other = ClusterBudgetFactory(year=this_year, stream=budget.stream)
    allocate(other, "10000.00")
    new_school = SchoolFactory(cluster=other.cluster)
    services.move_pupil(fr, new_school, user=send_officer, reason="Family moved")
    senco_there = make_user(Role.SENCO, school=new_school, username="senco_moved")

    apply_transition(
        fr, "close", user=senco_there, message="Met", command=Close(amount_spent=Decimal("5000"))
    )

    (final,) = scheduled(fr)
    assert (final.budget, final.amount, final.school) == (other, Decimal("3000.00"), new_school)
    # The old cluster keeps only what it paid; the new one holds the final payment.
    assert selectors.budget_totals(budget).committed == Decimal("2000.00")
    assert selectors.budget_totals(other).committed == Decimal("3000.00")
    services.pay_due_instalments()
    assert selectors.request_totals(fr).paid == Decimal("5000.00")


money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9000.00"), places=2)


@examples(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(awarded=money, pay=st.integers(0, 3), spent_share=st.fractions(0, 1))
def test_any_award_paid_and_spent_settles_to_the_penny(awarded, pay, spent_share, this_year, chair):
    budget = ClusterBudgetFactory(year=this_year)
    allocate(budget, ALLOCATED)
    fr, _ = funded(budget, chair, awarded, pay=pay)
    paid = selectors.request_totals(fr).paid
    spent = (awarded * Decimal(spent_share.numerator) / spent_share.denominator).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN"
    )
    available_before = selectors.budget_totals(budget).available

    settlement = services.settle_at_review(fr, spent, user=None, reason="Reviewed")

    assert settlement.released == awarded - max(spent, paid)
    assert settlement.final_payment - settlement.overpaid == spent - paid
    assert_settled(
        budget, fr, awarded=awarded, paid=paid, spent=spent, available_before=available_before
    )
