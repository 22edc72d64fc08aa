"""The year-end forecast and the termly payment plan."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.selectors import Totals, forecast
from budgets.terms import TermCalendar, instalment_plan, split_evenly
from portal.money import format_gbp as gbp

from .factories import ClusterBudgetFactory, allocate, request_on_agenda

USUAL = TermCalendar(entered={})  # no year entered by the LA: the usual English pattern


def test_the_forecast_projects_the_run_rate_with_best_and_worst_from_past_months():
    # £100k allocated; after 4 months £40k committed, months of 5k, 15k, 10k, 10k.
    totals = Totals(allocated=Decimal("100000.00"), committed=Decimal("40000.00"))
    months = [Decimal(m) for m in ("5000", "15000", "10000", "10000")]

    f = forecast(totals, months, months_elapsed=4, months_left=8)

    assert f.run_rate == Decimal("10000.00")
    assert f.expected_available == Decimal("-20000.00")  # 40k + 8 × 10k = 120k committed
    assert f.best_available == Decimal("20000.00")  # the quietest month: 8 × 5k
    assert f.worst_available == Decimal("-60000.00")  # the busiest month: 8 × 15k


def test_a_new_year_forecasts_its_allocation_untouched():
    f = forecast(Totals(allocated=Decimal("500.00")), [], months_elapsed=0, months_left=12)
    assert f.expected_available == f.best_available == f.worst_available == Decimal("500.00")


def test_terms_start_on_working_days_in_january_after_easter_and_in_september():
    starts = dict((name, day) for day, name in USUAL.term_starts(2027, 2027))
    assert starts["Spring 2027"] == date(2027, 1, 5)
    assert starts["Summer 2027"] == date(2027, 4, 5)  # Easter Monday 29 March + a week
    assert starts["Autumn 2027"] == date(2027, 9, 1)
    assert all(d.weekday() < 5 for d in starts.values())


def test_an_award_is_paid_once_a_term_and_the_pennies_add_up():
    plan = instalment_plan(Decimal("1000.00"), date(2026, 11, 25), date(2027, 7, 20), USUAL)

    assert [(due, term) for due, term, _ in plan] == [
        (date(2026, 11, 25), "Autumn 2026"),
        (date(2027, 1, 5), "Spring 2027"),
        (date(2027, 4, 5), "Summer 2027"),
    ]
    assert [a for _, _, a in plan] == [Decimal("333.34"), Decimal("333.33"), Decimal("333.33")]


def test_splitting_keeps_every_penny():
    assert sum(split_evenly(Decimal("0.05"), 3)) == Decimal("0.05")


@pytest.mark.django_db
def test_both_dashboards_show_the_forecast_from_past_months_with_its_assumptions(
    client, send_officer, senco_a, this_year
):
    """Hand-worked: £100,000 allocated; awards of £5k, £15k and £10k in the year's first
    three months, so a £10k mean, £5k quietest and £15k busiest month. Looking from 1 June
    (3 months gone, 9 left): expected 100k − (30k + 9 × 10k) = −£20,000; best
    100k − (30k + 9 × 5k) = £25,000; worst 100k − (30k + 9 × 15k) = −£65,000."""
    from budgets.models import LedgerEntry
    from budgets.selectors import budget_board

    budget = ClusterBudgetFactory(cluster=senco_a.memberships.get().school.cluster, year=this_year)
    allocate(budget, "100000.00")
    for month, amount in ((4, "5000.00"), (5, "15000.00"), (6, "10000.00")):
        when = timezone.make_aware(datetime(this_year.start_year, month, 10, 12))
        LedgerEntry.objects.create(
            budget=budget,
            kind="commitment",
            amount=Decimal(amount),
            reason="Award",
            request=request_on_agenda(budget),
            created_at=when,
        )

    f = budget_board(send_officer, year=this_year, today=date(this_year.start_year, 6, 1)).forecast
    assert (f.run_rate, f.best_rate, f.worst_rate) == (
        Decimal("10000.00"),
        Decimal("5000.00"),
        Decimal("15000.00"),
    )
    assert (f.expected_available, f.best_available, f.worst_available) == (
        Decimal("-20000.00"),
        Decimal("25000.00"),
        Decimal("-65000.00"),
    )

    # On the live dashboards (today, whatever month that is), the same rule and its wording.
    live = budget_board(send_officer, year=this_year).forecast
    for user, url in (
        (send_officer, reverse("budgets:county")),
        (senco_a, reverse("budgets:cluster", args=[budget.cluster_id])),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert 'data-testid="forecast-assumptions"' in page
        assert f"the average of the {live.months_elapsed} month" in page
        assert f"like the quietest month so far ({gbp(live.best_rate)})" in page
        assert f"like the busiest ({gbp(live.worst_rate)})" in page
        assert f"best {gbp(live.best_available)}, worst {gbp(live.worst_available)}" in page
