"""A panel's decision commits money on the cluster budget, or is refused when there is none."""

from decimal import Decimal

import pytest

from budgets import selectors, services
from budgets.models import EntryKind, InstalmentStatus, LedgerEntry, PaymentInstalment
from clusters.models import Role
from funding.services import TransitionError, apply_transition
from funding.workflow import Award, Close, Decide
from tests.factories import SchoolFactory, make_user

from .factories import ClusterBudgetFactory, allocate, request_on_agenda

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("panel_rules")]


def test_an_approval_commits_the_award_on_the_cluster_budget(budget, chair):
    fr = request_on_agenda(budget)

    apply_transition(
        fr,
        "approve",
        user=chair,
        message="Meets the criteria",
        command=Award(amount=Decimal("7500.00")),
    )

    entry = LedgerEntry.objects.get(request=fr)
    assert (entry.kind, entry.amount, entry.created_by, entry.reason) == (
        EntryKind.COMMITMENT,
        Decimal("7500.00"),
        chair,
        "Meets the criteria",
    )
    totals = selectors.budget_totals(budget)
    assert (totals.allocated, totals.committed, totals.available) == (
        Decimal("20000.00"),
        Decimal("7500.00"),
        Decimal("12500.00"),
    )
    assert selectors.cluster_available(budget.cluster, budget.stream) == Decimal("12500.00")
    # Termly instalments add up to the award, to the penny.
    instalments = PaymentInstalment.objects.filter(request=fr)
    assert instalments.count() >= 1
    assert sum(i.amount for i in instalments) == Decimal("7500.00")


def test_a_partial_approval_commits_only_the_amount_awarded(budget, chair):
    fr = request_on_agenda(budget, amount_requested=Decimal("9000.00"))

    apply_transition(
        fr,
        "partially_approve",
        user=chair,
        message="Half",
        command=Award(amount=Decimal("4500.00")),
    )

    assert selectors.budget_totals(budget).committed == Decimal("4500.00")


def test_an_approval_beyond_the_budget_is_refused_and_changes_nothing(budget, chair):
    fr = request_on_agenda(budget)

    with pytest.raises(TransitionError, match="Not enough budget") as refused:
        apply_transition(
            fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("20000.01"))
        )

    assert refused.value.status == 409  # a conflict with the ledger: the API says 409

    fr.refresh_from_db()
    assert fr.state == "on_agenda"
    assert not LedgerEntry.objects.filter(request=fr).exists()
    assert selectors.budget_totals(budget).available == Decimal("20000.00")


def test_a_cluster_without_a_budget_cannot_approve(this_year, chair):
    fr = request_on_agenda(ClusterBudgetFactory(year=this_year))

    with pytest.raises(TransitionError, match="£0.00 available"):
        apply_transition(
            fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("10.00"))
        )


def test_a_chair_giving_a_reason_cannot_override_on_their_own(budget, chair):
    fr = request_on_agenda(budget)

    with pytest.raises(TransitionError, match="Only a finance officer"):
        apply_transition(
            fr,
            "approve",
            user=chair,
            message="Yes",
            command=Award(amount=Decimal("25000.00"), override_reason="Exceptional"),
        )


def test_a_finance_officer_override_lets_an_approval_go_over_and_is_flagged(
    budget, chair, finance_officer
):
    fr = request_on_agenda(budget)
    services.record_override(fr, user=finance_officer, reason="Safeguarding risk; agreed by AD")

    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("25000.00"))
    )

    totals = selectors.budget_totals(budget)
    assert totals.available == Decimal("-5000.00")
    board = selectors.budget_board(finance_officer)
    (row,) = board.rows
    assert row.overrides == 1
    assert row.totals.alert == "over"
    assert LedgerEntry.objects.get(request=fr).override.reason.startswith("Safeguarding")


def test_an_override_can_be_given_at_the_decision_by_a_finance_officer(
    budget, chair, finance_officer
):
    fr = request_on_agenda(budget)

    apply_transition(
        fr,
        "approve",
        user=chair,
        message="Yes",
        command=Award(
            amount=Decimal("21000.00"),
            override_by=finance_officer,
            override_reason="Agreed with the finance officer at the meeting",
        ),
    )

    assert LedgerEntry.objects.get(request=fr).override.created_by == finance_officer


def test_only_finance_officers_record_overrides(budget, send_officer):
    fr = request_on_agenda(budget)
    with pytest.raises(services.BudgetError):
        services.record_override(fr, user=send_officer, reason="Please")


def test_closing_at_review_releases_the_underspend(budget, chair, finance_officer, senco_a):
    fr = request_on_agenda(budget, school=senco_a.memberships.get().school)
    fr.school.cluster = budget.cluster
    fr.school.save()
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("6000.00"))
    )
    first = PaymentInstalment.objects.filter(request=fr).order_by("due_date").first()
    services.pay_instalment(first, user=finance_officer)
    fr.refresh_from_db()
    fr.state = "active"
    fr.save(update_fields=["state"])

    # Spent what was paid: the rest goes back to the budget.
    apply_transition(
        fr,
        "close",
        user=senco_a,
        message="Outcomes met early",
        command=Close(amount_spent=first.amount),
    )

    totals = selectors.request_totals(fr)
    assert totals.paid == first.amount
    assert totals.committed == first.amount  # the unspent rest went back
    assert selectors.budget_totals(budget).available == Decimal("20000.00") - first.amount
    assert not PaymentInstalment.objects.filter(
        request=fr, status=InstalmentStatus.SCHEDULED
    ).exists()


def test_a_reduced_award_releases_the_difference(budget, chair, finance_officer):
    fr = request_on_agenda(budget)
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("8000.00"))
    )

    services.reduce_award(fr, Decimal("5000.00"), user=finance_officer, reason="Fewer hours needed")

    assert selectors.request_totals(fr).committed == Decimal("5000.00")
    scheduled = PaymentInstalment.objects.filter(request=fr, status=InstalmentStatus.SCHEDULED)
    assert sum(i.amount for i in scheduled) == Decimal("5000.00")


def test_funding_follows_a_pupil_who_moves_to_another_cluster(
    budget, chair, finance_officer, send_officer, this_year
):
    fr = request_on_agenda(budget)
    old_school = fr.school
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("9000.00"))
    )
    first = PaymentInstalment.objects.filter(request=fr).order_by("due_date").first()
    services.pay_instalment(first, user=finance_officer)
    other = ClusterBudgetFactory(stream=budget.stream, year=this_year)
    allocate(other, "10000.00")
    new_school = SchoolFactory(cluster=other.cluster)

    services.move_pupil(fr, new_school, user=send_officer, reason="Family moved to Banbury")

    fr.refresh_from_db()
    assert (fr.school, fr.cluster) == (new_school, other.cluster)
    remaining = Decimal("9000.00") - first.amount
    assert selectors.budget_totals(budget).committed == first.amount
    assert selectors.budget_totals(other).committed == remaining
    # History kept: the old school's commitment, payment and release all remain.
    kinds = list(LedgerEntry.objects.filter(request=fr).values_list("kind", "school_id"))
    assert (EntryKind.COMMITMENT, old_school.pk) in kinds
    assert (EntryKind.RELEASE, old_school.pk) in kinds
    assert (EntryKind.COMMITMENT, new_school.pk) in kinds
    scheduled = PaymentInstalment.objects.filter(request=fr, status=InstalmentStatus.SCHEDULED)
    assert {i.school_id for i in scheduled} == {new_school.pk}
    assert sum(i.amount for i in scheduled) == remaining
    assert fr.events.filter(kind="pupil_moved").exists()


def test_a_school_cannot_move_funding(budget, chair, senco_a):
    fr = request_on_agenda(budget)
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("100.00"))
    )
    with pytest.raises(services.BudgetError):
        services.move_pupil(fr, SchoolFactory(), user=senco_a, reason="x")


def test_the_payment_run_pays_what_is_due(budget, chair, today):
    fr = request_on_agenda(budget)
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("3000.00"))
    )
    last_due = PaymentInstalment.objects.filter(request=fr).order_by("due_date").last().due_date

    paid = services.pay_due_instalments(on_date=last_due)

    assert paid == PaymentInstalment.objects.filter(request=fr).count()
    totals = selectors.request_totals(fr)
    assert totals.paid == totals.committed == Decimal("3000.00")


def test_adjustments_need_a_reason_and_a_finance_officer(budget, finance_officer, send_officer):
    with pytest.raises(services.BudgetError, match="reason"):
        services.adjust(budget, Decimal("100.00"), user=finance_officer, reason=" ")
    with pytest.raises(services.BudgetError, match="finance officer"):
        services.adjust(budget, Decimal("100.00"), user=send_officer, reason="More")

    services.adjust(budget, Decimal("-500.00"), user=finance_officer, reason="Clawback")

    assert selectors.budget_totals(budget).allocated == Decimal("19500.00")


def test_moving_money_between_clusters_keeps_the_county_total(budget, finance_officer, this_year):
    other = ClusterBudgetFactory(stream=budget.stream, year=this_year)

    services.transfer(budget, other, Decimal("2500.00"), user=finance_officer, reason="Rebalance")

    assert selectors.budget_totals(budget).allocated == Decimal("17500.00")
    assert selectors.budget_totals(other).allocated == Decimal("2500.00")
    with pytest.raises(services.BudgetError, match="only"):
        services.transfer(budget, other, Decimal("17500.01"), user=finance_officer, reason="More")


def test_a_reduction_cannot_take_away_committed_money(budget, chair, finance_officer):
    fr = request_on_agenda(budget)
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("15000.00"))
    )
    with pytest.raises(services.BudgetError, match="already committed"):
        services.adjust(budget, Decimal("-5000.01"), user=finance_officer, reason="Cut")


def test_a_senco_cannot_adjust(budget, school_a):
    senco = make_user(Role.SENCO, school=school_a)
    with pytest.raises(services.BudgetError):
        services.adjust(budget, Decimal("1.00"), user=senco, reason="Please")


def test_an_approval_takes_its_details_typed_and_never_falls_back_to_the_amount_asked(
    budget, chair
):
    fr = request_on_agenda(budget, amount_requested=Decimal("7500.00"))
    # A misspelt field is an error, not an award of the amount requested.
    with pytest.raises(TypeError):
        Award(amout=Decimal("100.00"))
    with pytest.raises(TransitionError, match="needs its details"):
        apply_transition(fr, "approve", user=chair, message="Yes")
    with pytest.raises(TransitionError, match="takes Award, not Decide"):
        apply_transition(fr, "approve", user=chair, message="Yes", command=Decide())
    with pytest.raises(TransitionError, match="takes no details"):
        apply_transition(fr, "withdraw", user=chair, message="x", command=Decide())
    fr.refresh_from_db()
    assert fr.state == "on_agenda" and fr.amount_awarded is None
    assert not LedgerEntry.objects.filter(request=fr).exists()

    result = apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("100.00"))
    )

    # The award is saved with the state; the commitment is the effect's result.
    assert (result.request.state, result.request.amount_awarded) == ("approved", Decimal("100.00"))
    assert result.effects["commitment"] == LedgerEntry.objects.get(request=fr)
