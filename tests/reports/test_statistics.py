"""The report statistics, each checked against an example worked by hand."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from reports import statistics as st


def test_gini_is_zero_when_every_school_gets_the_same():
    assert st.gini([Decimal("500.00")] * 5) == pytest.approx(0.0)


def test_gini_when_one_school_of_four_takes_everything_is_three_quarters():
    # Σ|xi−xj| over ordered pairs = 6 × 10 = 60; 2 n² mean = 2 × 16 × 2.5 = 80 → 0.75.
    assert st.gini([0, 0, 0, 10]) == pytest.approx(0.75)


def test_gini_of_one_two_three_four_is_a_quarter():
    # Ordered pairs: 2 × (1+2+3+1+2+1) = 20; 2 × 16 × 2.5 = 80 → 0.25.
    assert st.gini([4, 1, 3, 2]) == pytest.approx(0.25)


def test_gini_is_undefined_when_nothing_was_awarded():
    assert st.gini([0, 0]) is None
    assert st.gini([]) is None


def test_top_decile_share_of_ten_schools_is_the_largest_award_over_the_total():
    assert st.top_share(range(1, 11)) == pytest.approx(10 / 55)


def test_top_decile_of_eleven_schools_is_the_top_two():
    # ceil(11 × 10%) = 2 schools: (11 + 10) / 66.
    assert st.top_share(range(1, 12)) == pytest.approx(21 / 66)


def test_top_decile_of_a_small_cluster_is_still_one_school():
    assert st.top_share([Decimal("300"), Decimal("100")]) == pytest.approx(0.75)


def test_zscores_against_the_textbook_example():
    # mean 5, population standard deviation 2.
    zs = st.zscores([2, 4, 4, 4, 5, 5, 7, 9])
    assert zs[0] == pytest.approx(-1.5)
    assert zs[-1] == pytest.approx(2.0)


def test_zscores_leave_missing_values_out_and_treat_no_spread_as_zero():
    assert st.zscores([1, None, 3]) == [-1.0, None, 1.0]
    assert st.zscores([4, 4]) == [0.0, 0.0]


def test_inclusiveness_index_is_the_mean_of_signed_zscores():
    # Two schools, two indicators. SEN support % 10 and 20 → z −1, +1 (signed +).
    # Suspensions per 100: 4 and 2 → z +1, −1, signed − → −1, +1.
    rows = [
        {"sen_support_pct": 10.0, "suspensions_per_100": 4.0},
        {"sen_support_pct": 20.0, "suspensions_per_100": 2.0},
    ]
    signs = {"sen_support_pct": +1, "suspensions_per_100": -1}
    assert st.inclusiveness_index(rows, indicators=signs) == [
        pytest.approx(-1.0),
        pytest.approx(1.0),
    ]


def test_inclusiveness_index_standardises_within_each_phase():
    # A secondary's higher suspension rate is compared with secondaries only.
    rows = [
        {"suspensions_per_100": 1.0},
        {"suspensions_per_100": 3.0},
        {"suspensions_per_100": 10.0},
        {"suspensions_per_100": 30.0},
    ]
    index = st.inclusiveness_index(
        rows,
        groups=["primary", "primary", "secondary", "secondary"],
        indicators={"suspensions_per_100": -1},
    )
    assert index == [
        pytest.approx(1.0),
        pytest.approx(-1.0),
        pytest.approx(1.0),
        pytest.approx(-1.0),
    ]


def test_a_school_with_no_figures_has_no_index():
    assert st.inclusiveness_index([{}, {"ehcp_pct": 1.0}], indicators={"ehcp_pct": 1}) == [
        None,
        0.0,
    ]


def test_high_send_needs_an_ehcp_share_above_both_local_and_national_averages():
    assert st.is_high_send(4.0, local_pct=3.0, national_pct=2.5) is True
    assert st.is_high_send(2.8, local_pct=3.0, national_pct=2.5) is False  # below local
    assert st.is_high_send(3.2, local_pct=3.0, national_pct=3.5) is False  # below national
    assert st.is_high_send(3.0, local_pct=3.0, national_pct=2.0) is False  # equal is not above
    assert st.is_high_send(4.0, local_pct=3.0, national_pct=None) is None


def test_magnet_needs_twice_the_county_rate_and_at_least_three_joiners():
    t = st.Thresholds()
    assert st.is_magnet(6, 2.0, county_per_100=1.0, t=t) is True
    assert st.is_magnet(6, 1.9, county_per_100=1.0, t=t) is False
    # Twice the rate, but only two joiners: a small school's noise.
    assert st.is_magnet(2, 4.0, county_per_100=1.0, t=t) is False


def test_below_fair_share_is_under_three_quarters_of_the_cluster_sen_share():
    t = st.Thresholds()
    assert st.is_below_fair_share(7.4, cluster_sen_pct=10.0, t=t) is True
    assert st.is_below_fair_share(7.5, cluster_sen_pct=10.0, t=t) is False


def test_thresholds_are_stated_in_words():
    text = " ".join(st.Thresholds().describe())
    assert "2 times the county rate" in text
    assert "75%" in text


def test_need_share_weights_roll_fsm_and_sen_support():
    shares = {"roll": 0.2, "fsm": 0.4, "sen_support": 0.3}
    assert st.need_share(shares, {"roll": 1, "fsm": 1, "sen_support": 1}) == pytest.approx(0.3)
    assert st.need_share(shares, {"roll": 0, "fsm": 1, "sen_support": 0}) == pytest.approx(0.4)


def test_money_per_pupil_is_decimal_to_the_penny():
    assert st.money_per(Decimal("1000.00"), 3) == Decimal("333.33")
    assert st.money_per(Decimal("1000.00"), 0) is None


_money_lists = hs.lists(
    hs.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False), min_size=1, max_size=40
)


@given(_money_lists)
def test_gini_lies_between_zero_and_one_less_one_over_n(values):
    g = st.gini(values)
    if sum(values) == 0:
        assert g is None
    else:
        assert -1e-9 <= g <= (len(values) - 1) / len(values) + 1e-9


@given(_money_lists, hs.integers(min_value=2, max_value=9))
def test_gini_does_not_change_when_every_award_is_scaled(values, k):
    if sum(values) == 0:
        return
    assert st.gini([v * k for v in values]) == pytest.approx(st.gini(values), abs=1e-9)


@given(_money_lists)
def test_top_decile_share_is_at_least_its_fair_part(values):
    share = st.top_share(values)
    if sum(values) == 0:
        assert share is None
    else:
        k = max(1, -(-len(values) // 10))
        assert k / len(values) - 1e-9 <= share <= 1 + 1e-9


def test_the_median_of_an_odd_number_of_clocks_is_the_middle_one():
    assert st.median([9, 1, 4]) == 4.0


def test_the_median_of_an_even_number_is_the_mean_of_the_two_middle_ones():
    assert st.median([10, 1, 4, 7]) == 5.5


def test_no_decided_requests_have_no_median():
    assert st.median([]) is None
