"""Both reports on the small county worked by hand in conftest.py."""

from decimal import Decimal

import pytest

from reports import services
from reports.models import ReportKind, ReportRun, ScopeKind


def run_for(kind, scope_kind=ScopeKind.COUNTY, cluster=None, national=None):
    return ReportRun.objects.create(
        kind=kind,
        scope_kind=scope_kind,
        cluster=cluster,
        academic_year=2025,
        parameters=services.default_parameters(2025, national),
    )


def rows(result, section):
    found = next(s for s in result["sections"] if s["key"] == section)
    return {r["name"]: r for r in found["rows"]}


@pytest.fixture
def inclusiveness(small_county):
    result, _ = services.compute(run_for(ReportKind.INCLUSIVENESS, national="1.5"))
    return result


def test_each_school_is_compared_with_its_cluster_and_the_county(inclusiveness):
    a1 = rows(inclusiveness, "schools")["A1 Primary"]
    assert a1["sen_support_pct"] == pytest.approx(15.0)  # 30 of 200
    assert a1["cluster_sen_support_pct"] == pytest.approx(12.0)  # 60 of 500
    assert a1["county_sen_support_pct"] == pytest.approx(10.0)  # 100 of 1,000
    assert a1["ehcp_pct"] == pytest.approx(2.0)
    assert a1["cluster_ehcp_pct"] == pytest.approx(1.4)  # 7 of 500
    assert a1["county_ehcp_pct"] == pytest.approx(1.7)  # 17 of 1,000


def test_requests_approvals_and_awards_count_only_the_year(inclusiveness):
    schools = rows(inclusiveness, "schools")
    a1 = schools["A1 Primary"]
    # Three requests in the year (the August one and the draft do not count).
    assert a1["requests"] == 3
    assert a1["requests_per_100"] == pytest.approx(1.5)
    assert a1["approval_rate"] == pytest.approx(200 / 3, abs=1e-3)  # 2 approved of 3 decided
    assert a1["awarded"] == "10000.00"
    assert a1["awarded_per_pupil"] == "50.00"
    assert a1["awarded_per_sen_support"] == "333.33"
    # A withdrawn request is a request but not a decision; a closed one was awarded.
    assert schools["A2 Primary"]["requests"] == 2
    assert schools["A2 Primary"]["approval_rate"] == pytest.approx(100.0)
    # Nothing decided yet: no approval rate rather than 0%.
    assert schools["B2 Primary"]["approval_rate"] is None


def test_behaviour_and_mobility_rates_per_100_pupils(inclusiveness):
    a2 = rows(inclusiveness, "schools")["A2 Primary"]
    assert a2["suspensions_per_100"] == pytest.approx(2.0)
    assert a2["exclusions_per_100"] == pytest.approx(1 / 3, abs=1e-3)
    assert rows(inclusiveness, "schools")["A1 Primary"]["sen_joiners_per_100"] == pytest.approx(3.0)


def test_flags_follow_the_stated_thresholds(inclusiveness):
    schools = rows(inclusiveness, "schools")
    flags = {
        name: (r["high_send"], r["magnet"], r["below_fair_share"]) for name, r in schools.items()
    }
    assert flags == {
        # EHCP 2.0% > county 1.7% and national 1.5%; 3.0 joiners per 100 ≥ 2 × 0.8.
        "A1 Primary": (True, True, False),
        # SEN 11% is not below 75% of the cluster's 13.4%.
        "A2 Primary": (False, False, False),
        "B1 Primary": (True, False, False),
        # SEN 6% is below 75% of the cluster's 10%.
        "B2 Primary": (False, False, True),
    }
    assert any("2 times the county rate" in t for t in inclusiveness["thresholds"])


def test_notional_sen_budget_against_first_6000_contributions(inclusiveness):
    schools = rows(inclusiveness, "schools")
    # B1: £6,000 × 6 EHCPs + £6,000 contribution = £42,000 against £20,000 notional.
    assert schools["B1 Primary"]["first_6000"] == "42000.00"
    assert schools["B1 Primary"]["notional_shortfall"] == "22000.00"
    # A1: £24,000 + £12,000 = £36,000, covered by £50,000.
    assert schools["A1 Primary"]["first_6000"] == "36000.00"
    assert schools["A1 Primary"]["notional_shortfall"] == "0.00"


def test_inclusiveness_index_worked_by_hand(inclusiveness):
    schools = rows(inclusiveness, "schools")
    index = {name: r["index"] for name, r in schools.items()}
    assert index["A1 Primary"] == pytest.approx(0.501, abs=0.002)
    assert index["A2 Primary"] == pytest.approx(-0.956, abs=0.002)
    assert index["B1 Primary"] == pytest.approx(0.859, abs=0.002)
    assert index["B2 Primary"] == pytest.approx(-0.404, abs=0.002)
    assert "mean of five standardised indicators" in inclusiveness["method"][0]


def test_cluster_and_county_summaries(inclusiveness):
    clusters = rows(inclusiveness, "clusters")
    assert clusters["Alpha"]["awarded"] == "12000.00"
    assert clusters["Alpha"]["magnet_count"] == 1
    assert clusters["Beta"]["below_fair_share_count"] == 1
    total = rows(inclusiveness, "total")["Total: the county"]
    assert total["requests"] == 7
    assert total["approval_rate"] == pytest.approx(80.0)  # 4 of 5 decided
    assert total["awarded"] == "20000.00"
    assert total["high_send_count"] == 2
    assert inclusiveness["total_awarded"] == "20000.00"


def test_a_cluster_report_keeps_county_comparisons_and_the_county_index(small_county):
    result, _ = services.compute(
        run_for(ReportKind.INCLUSIVENESS, ScopeKind.CLUSTER, small_county["clusters"]["B"])
    )
    schools = rows(result, "schools")
    assert set(schools) == {"B1 Primary", "B2 Primary"}
    assert schools["B1 Primary"]["index"] == pytest.approx(0.859, abs=0.002)
    assert rows(result, "total")["County"]["awarded"] == "20000.00"
    # Without a national figure the high-SEND flag is left undecided, and says so.
    assert schools["B1 Primary"]["high_send"] is None
    assert any("not entered" in line for line in result["method"])


@pytest.fixture
def fair_share(small_county):
    result, _ = services.compute(run_for(ReportKind.FAIR_SHARE))
    return result


def test_share_of_funding_against_share_of_need(fair_share):
    schools = rows(fair_share, "schools")
    a1 = schools["A1 Primary"]
    # Need: (roll 20% + FSM 40% + SEN support 30%) / 3 = 30%; awards: 10,000 of 20,000.
    assert a1["need_share"] == pytest.approx(0.3)
    assert a1["award_share"] == pytest.approx(0.5)
    assert a1["fair_share_ratio"] == pytest.approx(5 / 3, abs=1e-3)
    assert a1["expected_award"] == "6000.00"
    assert a1["award_difference"] == "4000.00"
    assert schools["B1 Primary"]["fair_share_ratio"] == pytest.approx(2.4)
    assert schools["B2 Primary"]["expected_award"] == "4666.67"
    assert schools["B2 Primary"]["fair_share_ratio"] == pytest.approx(0.0)
    clusters = rows(fair_share, "clusters")
    assert clusters["Alpha"]["need_share"] == pytest.approx(0.6)
    assert clusters["Alpha"]["fair_share_ratio"] == pytest.approx(1.0)


def test_concentration_and_spend_per_pupil(fair_share):
    # Awards 0, 2,000, 8,000, 10,000: G = 2(2·2000 + 3·8000 + 4·10000)/(4·20000) − 5/4.
    assert fair_share["concentration"]["gini"] == pytest.approx(0.45)
    assert fair_share["concentration"]["top_decile_share"] == pytest.approx(0.5)
    assert fair_share["concentration"]["gini_per_pupil"] == pytest.approx(0.518, abs=0.001)
    summary = {s[0]: s[1] for s in fair_share["summary"]}
    assert summary["Spend per pupil"] == "20.00"


def test_a_year_without_school_figures_fails_with_a_clear_message(small_county):
    run = run_for(ReportKind.FAIR_SHARE)
    run.academic_year = 2030
    with pytest.raises(services.ReportError, match="no school figures for 2030/31"):
        services.compute(run)


def test_allocations_are_compared_with_the_formula_expectation(small_county):
    budgets = pytest.importorskip("budgets.models")
    from tests.factories import FundingStreamFactory

    year = budgets.FinancialYear.objects.create(start_year=2025)
    stream = FundingStreamFactory()
    for key, amount in (("A", "30000.00"), ("B", "10000.00")):
        budget = budgets.ClusterBudget.objects.create(
            cluster=small_county["clusters"][key], stream=stream, year=year
        )
        budgets.LedgerEntry.objects.create(
            budget=budget, kind="allocation", amount=Decimal(amount), reason="Formula"
        )
    result, _ = services.compute(run_for(ReportKind.FAIR_SHARE))
    alpha = rows(result, "clusters")["Alpha"]
    # £40,000 allocated in all; Alpha's need share is 60%, so £24,000 was expected.
    assert alpha["allocation"] == "30000.00"
    assert alpha["expected_allocation"] == "24000.00"
    assert alpha["allocation_difference"] == "6000.00"
