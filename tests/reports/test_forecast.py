"""The forecast's calculations, worked by hand: the pipeline weighted by the cluster's
rates, best / expected / worst, last years' monthly pattern, the run-out month."""

from datetime import date
from decimal import Decimal

import pytest

from reports import forecast as fc

D = Decimal


def test_the_pipeline_is_weighted_by_the_approval_rate_and_the_award_ratio():
    # £10,000 + £6,000 undecided; 3 in 4 approved, at 80% of what was asked:
    # 16,000 × 0.75 × 0.8 = £9,600.00.
    assert fc.pipeline([D("10000.00"), D("6000.00")], 0.75, 0.8) == D("9600.00")
    assert fc.pipeline([], 0.75, 0.8) == D("0.00")


def test_best_expected_and_worst_cases():
    best, expected, worst = fc.scenarios(
        D("50000.00"), D("38000.00"), [D("10000.00"), D("6000.00")], 0.75, 0.8
    )
    assert (best.name, best.spend, best.left) == ("best", D("38000.00"), D("12000.00"))
    # 38,000 + 9,600 = 47,600: £2,400 left.
    assert (expected.spend, expected.left) == (D("47600.00"), D("2400.00"))
    # Every undecided request in full: 38,000 + 16,000 = 54,000, £4,000 over.
    assert (worst.spend, worst.left) == (D("54000.00"), D("-4000.00"))


def test_the_spread_follows_last_years_pattern_to_the_penny():
    # £100.00 over three months spent 1 : 1 : 1 last year: 33.33 each, the odd penny
    # to the first of the largest remainders.
    assert fc.spread(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
    # 2 : 1 : 1 of £1,000.00: 500, 250, 250.
    assert fc.spread(D("1000.00"), [2000, 1000, 1000]) == [D("500.00"), D("250.00"), D("250.00")]
    assert sum(fc.spread(D("12345.67"), [3, 7, 1, 9, 2])) == D("12345.67")
    with pytest.raises(ValueError):
        fc.spread(D("1.00"), [0, 0])


def test_the_run_out_month_is_the_first_month_spend_goes_above_the_allocation():
    months = [(date(2026, m, 1), D("5000.00")) for m in (1, 2, 3)]
    # £50,000 allocated, £38,000 spent: 43,000 in January, 48,000 in February, 53,000 in
    # March, the month it runs out.
    assert fc.run_out_month(D("50000.00"), D("38000.00"), months) == date(2026, 3, 1)
    # Exactly spent is not run out.
    assert fc.run_out_month(D("53000.00"), D("38000.00"), months) is None
    assert fc.run_out_month(D("30000.00"), D("38000.00"), months) == date(2026, 1, 1)
