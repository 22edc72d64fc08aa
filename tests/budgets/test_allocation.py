"""A finance officer shares the county pot between clusters by formula, workings shown."""

from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from budgets import selectors, services
from budgets.allocation import (
    AllocationInputError,
    ClusterShare,
    Weights,
    largest_remainder,
    plan_allocation,
)
from budgets.models import AllocationRun, EntryKind, LedgerEntry
from tests.factories import (
    ClusterFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
)

STANDARD = Weights(Decimal("0.4"), Decimal("0.3"), Decimal("0.3"))


def test_three_equal_clusters_share_a_pot_that_does_not_divide_without_losing_a_penny():
    shares = [ClusterShare(i, f"C{i}", f"Cluster {i}", 100, 10, 10) for i in range(3)]

    plan = plan_allocation(Decimal("100.00"), STANDARD, stats_year=2025, shares=shares)

    assert [s.amount for s in plan.shares] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert plan.total_allocated == Decimal("100.00")


def test_the_workings_show_each_factor_and_the_lump_sum():
    shares = [
        ClusterShare(1, "A", "Abingdon", roll=3000, fsm=300, sen_support=400),
        ClusterShare(2, "B", "Banbury", roll=1000, fsm=300, sen_support=100),
    ]
    weights = Weights(Decimal("0.5"), Decimal("0.25"), Decimal("0.25"))

    plan = plan_allocation(
        Decimal("110000.00"), weights, lump_sum=Decimal("5000.00"), stats_year=2025, shares=shares
    )

    a, b = plan.shares
    assert plan.formula_pot == Decimal("100000.00")
    assert (a.roll_share, a.fsm_share, a.sen_share) == (
        Decimal("0.75"),
        Decimal("0.5"),
        Decimal("0.8"),
    )
    # 0.5 × 0.75 + 0.25 × 0.5 + 0.25 × 0.8 = 0.7
    assert a.weighted_share == Decimal("0.7")
    assert (a.amount, b.amount) == (Decimal("75000.00"), Decimal("35000.00"))


@given(
    pot=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2),
    sizes=st.lists(
        st.tuples(st.integers(0, 5000), st.integers(0, 900), st.integers(0, 900)),
        min_size=1,
        max_size=40,
    ),
    split=st.tuples(st.integers(0, 10000), st.integers(0, 10000)),
)
def test_rounding_never_creates_or_loses_a_penny(pot, sizes, split):
    shares = [ClusterShare(i, f"C{i}", "", *s) for i, s in enumerate(sizes)]
    low, high = sorted(split)  # three weights in basis points, adding up to 100%
    weights = Weights(*(Decimal(n) / 10000 for n in (low, high - low, 10000 - high)))

    plan = plan_allocation(pot, weights, stats_year=2025, shares=shares)

    assert plan.total_allocated == pot
    assert all(s.amount >= 0 and abs(s.amount - s.exact) < Decimal("0.01") for s in plan.shares)


def test_largest_remainder_gives_spare_pennies_to_the_biggest_fractions():
    result = largest_remainder(
        [Decimal("1.004"), Decimal("1.009"), Decimal("0.987")], Decimal("3.00")
    )
    assert [a for a, _ in result] == [Decimal("1.00"), Decimal("1.01"), Decimal("0.99")]


@pytest.mark.django_db
def test_allocating_writes_one_allocation_per_cluster_in_one_go(finance_officer, this_year):
    stream = FundingStreamFactory()
    big, small = ClusterFactory(), ClusterFactory()
    SchoolYearStatsFactory(
        school=SchoolFactory(cluster=big),
        academic_year=2026,
        number_on_roll=900,
        fsm_pupils=90,
        sen_support_pupils=120,
    )
    SchoolYearStatsFactory(
        school=SchoolFactory(cluster=small),
        academic_year=2026,
        number_on_roll=300,
        fsm_pupils=30,
        sen_support_pupils=40,
    )

    run, plan = services.allocate_by_formula(
        stream=stream,
        year=this_year,
        pot=Decimal("400000.00"),
        weights=STANDARD,
        user=finance_officer,
    )

    assert run.stats_year == 2026
    entries = LedgerEntry.objects.filter(allocation_run=run, kind=EntryKind.ALLOCATION)
    assert sum(e.amount for e in entries) == Decimal("400000.00")
    by_cluster = {e.budget.cluster: e.amount for e in entries}
    assert by_cluster == {big: Decimal("300000.00"), small: Decimal("100000.00")}
    assert selectors.cluster_available(big, stream) == Decimal("300000.00")
    assert all(e.created_by == finance_officer and e.reason for e in entries)


@pytest.mark.django_db
def test_a_stream_year_is_allocated_once_then_adjusted(finance_officer, this_year):
    stream = FundingStreamFactory()
    ClusterFactory()
    services.allocate_by_formula(
        stream=stream,
        year=this_year,
        pot=Decimal("1000.00"),
        weights=STANDARD,
        user=finance_officer,
    )
    with pytest.raises(services.BudgetError, match="already been allocated"):
        services.allocate_by_formula(
            stream=stream,
            year=this_year,
            pot=Decimal("1000.00"),
            weights=STANDARD,
            user=finance_officer,
        )
    assert AllocationRun.objects.count() == 1


@pytest.mark.django_db
def test_only_a_finance_officer_allocates(send_officer, this_year):
    with pytest.raises(services.BudgetError, match="finance officer"):
        services.allocate_by_formula(
            stream=FundingStreamFactory(),
            year=this_year,
            pot=Decimal("1.00"),
            weights=STANDARD,
            user=send_officer,
        )


def test_lump_sums_bigger_than_the_pot_are_refused():
    from budgets.allocation import AllocationInputError

    shares = [ClusterShare(i, f"C{i}", "", 1, 1, 1) for i in range(3)]
    with pytest.raises(AllocationInputError, match="more than the pot"):
        plan_allocation(
            Decimal("100"), STANDARD, lump_sum=Decimal("40"), stats_year=None, shares=shares
        )


@pytest.mark.parametrize(
    "weights, total",
    [(("1", "1", "1"), "3"), (("0.4", "0.3", "0.4"), "1.1"), (("0", "0", "0"), "0")],
)
def test_weights_that_do_not_add_up_to_100_percent_are_refused_not_rescaled(weights, total):
    shares = [ClusterShare(i, f"C{i}", "", 100, 10, 10) for i in range(2)]

    with pytest.raises(AllocationInputError) as refused:
        plan_allocation(
            Decimal("1000.00"), Weights(*map(Decimal, weights)), stats_year=2025, shares=shares
        )

    assert str(refused.value) == (
        f"The weights must add up to 1 (100%): these add up to {total}. "
        "For example, enter 0.4, 0.3 and 0.3."
    )


def test_a_weight_for_figures_nobody_has_is_dropped_and_shown_dropped():
    shares = [ClusterShare(1, "A", "A", 300, 0, 30), ClusterShare(2, "B", "B", 100, 0, 10)]

    plan = plan_allocation(Decimal("1000.00"), STANDARD, stats_year=2025, shares=shares)

    assert plan.dropped == ["fsm"]
    used = {k: w.quantize(Decimal("0.0001")) for k, w in plan.weights_used.items()}
    assert used == {"roll": Decimal("0.5714"), "sen_support": Decimal("0.4286")}
    assert plan.total_allocated == Decimal("1000.00")


@pytest.mark.django_db
def test_the_page_refuses_weights_that_do_not_add_up_before_any_money_moves(
    client, finance_officer, this_year
):
    stream = FundingStreamFactory()
    SchoolYearStatsFactory(school=SchoolFactory(cluster=ClusterFactory()), academic_year=2026)
    client.force_login(finance_officer)
    form = {
        "stream": stream.pk,
        "year": this_year.pk,
        "pot": "1000.00",
        "weight_roll": "0.4",
        "weight_fsm": "0.3",
        "weight_sen_support": "0.4",
    }

    for action in ("preview", "allocate"):
        page = client.post(reverse("budgets:allocate"), {**form, "action": action})

        assert page.status_code == 200
        body = page.content.decode()
        assert "govuk-error-summary" in body
        assert "The weights must add up to 1 (100%): these add up to 1.1." in body
        assert 'data-testid="allocation-preview"' not in body
    assert not AllocationRun.objects.exists()


@pytest.mark.django_db
def test_the_preview_shows_the_weights_as_used(client, finance_officer, this_year):
    stream = FundingStreamFactory()
    for cluster in (ClusterFactory(), ClusterFactory()):
        SchoolYearStatsFactory(
            school=SchoolFactory(cluster=cluster), academic_year=2026, fsm_pupils=0
        )
    client.force_login(finance_officer)

    page = client.post(
        reverse("budgets:allocate"),
        {
            "stream": stream.pk,
            "year": this_year.pk,
            "pot": "1000.00",
            "weight_roll": "0.4",
            "weight_fsm": "0.3",
            "weight_sen_support": "0.3",
            "action": "preview",
        },
    ).content.decode()

    assert "Weights used: pupils on roll 57.1%, SEN-support pupils 42.9%." in page
    assert "have no FSM pupils, so that weight is not used" in page


@pytest.mark.django_db
def test_the_api_refuses_weights_that_do_not_add_up(finance_officer, this_year):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(finance_officer)
    stream = FundingStreamFactory()
    SchoolYearStatsFactory(school=SchoolFactory(cluster=ClusterFactory()), academic_year=2026)
    payload = {
        "stream": stream.pk,
        "year": this_year.start_year,
        "pot": "1000.00",
        "weight_roll": "1",
        "weight_fsm": "1",
        "weight_sen_support": "1",
    }

    for url in ("/api/v1/allocations/preview/", "/api/v1/allocations/"):
        answer = api.post(url, payload, format="json")

        assert answer.status_code == 400
        assert "must add up to 1 (100%): these add up to 3" in str(answer.json())
    assert not AllocationRun.objects.exists()
