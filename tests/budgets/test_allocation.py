"""A finance officer shares the county pot between clusters by formula, workings shown."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from budgets import selectors, services
from budgets.allocation import ClusterShare, Weights, largest_remainder, plan_allocation
from budgets.models import AllocationRun, EntryKind, LedgerEntry
from tests.factories import (
    ClusterFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
)

EVEN = Weights(Decimal("1"), Decimal("1"), Decimal("1"))


def test_three_equal_clusters_share_a_pot_that_does_not_divide_without_losing_a_penny():
    shares = [ClusterShare(i, f"C{i}", f"Cluster {i}", 100, 10, 10) for i in range(3)]

    plan = plan_allocation(Decimal("100.00"), EVEN, stats_year=2025, shares=shares)

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
    weights=st.tuples(*[st.decimals(min_value=0, max_value=10, places=2)] * 3),
)
def test_rounding_never_creates_or_loses_a_penny(pot, sizes, weights):
    shares = [ClusterShare(i, f"C{i}", "", *s) for i, s in enumerate(sizes)]

    plan = plan_allocation(pot, Weights(*weights), stats_year=2025, shares=shares)

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
        stream=stream, year=this_year, pot=Decimal("400000.00"), weights=EVEN, user=finance_officer
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
        stream=stream, year=this_year, pot=Decimal("1000.00"), weights=EVEN, user=finance_officer
    )
    with pytest.raises(services.BudgetError, match="already been allocated"):
        services.allocate_by_formula(
            stream=stream,
            year=this_year,
            pot=Decimal("1000.00"),
            weights=EVEN,
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
            weights=EVEN,
            user=send_officer,
        )


def test_lump_sums_bigger_than_the_pot_are_refused():
    from budgets.allocation import AllocationInputError

    shares = [ClusterShare(i, f"C{i}", "", 1, 1, 1) for i in range(3)]
    with pytest.raises(AllocationInputError, match="more than the pot"):
        plan_allocation(
            Decimal("100"), EVEN, lump_sum=Decimal("40"), stats_year=None, shares=shares
        )
