"""The fair-share weights are the LA's: by default those the finance officer allocated
with; an LA officer may set others for a run (page and API), never adding up to zero;
and "allocation expected by formula" always uses the weights actually allocated with."""

from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from budgets.models import AllocationRun, ClusterBudget, FinancialYear, LedgerEntry
from reports import services
from reports.models import ReportKind, ReportRun
from tests.factories import FundingStreamFactory
from tests.reports.test_small_county import rows


@pytest.fixture
def allocated(small_county, finance_officer):
    """£40,000 allocated for 2025/26 by pupils on roll only (100%, 0%, 0%): Alpha has 500
    of the county's 1,000 pupils, so the formula expects £20,000 for it."""
    year = FinancialYear.objects.create(start_year=2025)
    stream = FundingStreamFactory()
    AllocationRun.objects.create(
        stream=stream,
        year=year,
        pot=Decimal("40000.00"),
        weight_roll=Decimal("1"),
        weight_fsm=Decimal("0"),
        weight_sen_support=Decimal("0"),
        stats_year=2025,
        created_by=finance_officer,
    )
    for key, amount in (("A", "30000.00"), ("B", "10000.00")):
        budget = ClusterBudget.objects.create(
            cluster=small_county["clusters"][key], stream=stream, year=year
        )
        LedgerEntry.objects.create(
            budget=budget, kind="allocation", amount=Decimal(amount), reason="Formula"
        )
    return small_county


def _ask(user, **kw) -> ReportRun:
    return services.request_report(
        user=user, kind=ReportKind.FAIR_SHARE, scope_kind="county", scope_id=None,
        academic_year=2025, queue=False, **kw,
    )  # fmt: skip


@pytest.mark.usefixtures("allocated")
def test_by_default_a_run_uses_the_weights_the_la_allocated_with(send_officer):
    run = _ask(send_officer)
    assert run.parameters["weights"] == {"roll": 1.0, "fsm": 0.0, "sen_support": 0.0}
    assert run.parameters["weights_source"] == "the LA's allocation formula for 2025/26"
    result, _ = services.compute(run)
    alpha = rows(result, "clusters")["Alpha"]
    assert alpha["need_share"] == 0.5  # 500 of 1,000 pupils
    assert alpha["expected_allocation"] == "20000.00"


@pytest.mark.usefixtures("allocated")
def test_a_run_with_its_own_weights_still_expects_the_allocation_by_the_formula(
    send_officer,
):
    # SEN support only: Alpha has 60 of the county's 100 SEN-support pupils.
    run = _ask(send_officer, weights={"roll": 0, "fsm": 0, "sen_support": 1})
    assert run.parameters["weights_source"] == "set for this run"
    result, _ = services.compute(run)
    alpha = rows(result, "clusters")["Alpha"]
    assert alpha["need_share"] == 0.6
    assert alpha["expected_allocation"] == "20000.00"  # the formula's roll-only weights
    assert any("weights the LA allocated with (pupils on roll 100%" in m for m in result["method"])


def test_without_an_allocation_the_weights_are_equal(small_county, send_officer):
    run = _ask(send_officer)
    assert run.parameters["weights"] == {"roll": 1.0, "fsm": 1.0, "sen_support": 1.0}
    assert run.parameters["weights_source"].startswith("equal: no allocation by formula")


@pytest.mark.usefixtures("small_county")
def test_weights_adding_up_to_zero_are_refused_on_the_page_and_the_api(send_officer):
    with pytest.raises(services.ReportError, match="add up to zero"):
        _ask(send_officer, weights={"roll": 0, "fsm": 0, "sen_support": 0})
    client = Client()
    client.force_login(send_officer)
    page = client.post(
        "/reports/",
        {"kind": "fair_share", "scope": "county", "academic_year": 2025,
         "weight_roll": "0", "weight_fsm": "0", "weight_sen_support": ""},
    )  # fmt: skip
    assert page.status_code == 200 and "The weights add up to zero" in page.text
    made = client.post(
        "/reports/",
        {"kind": "fair_share", "scope": "county", "academic_year": 2025, "weight_fsm": "3"},
    )
    assert made.status_code == 302
    assert ReportRun.objects.get().parameters["weights"] == {
        "roll": 0.0,
        "fsm": 3.0,
        "sen_support": 0.0,
    }
    api = APIClient()
    api.force_authenticate(send_officer)
    refused = api.post(
        "/api/v1/report-runs/",
        {"kind": "fair_share", "scope_kind": "county", "academic_year": 2025,
         "weights": {"roll": 0, "fsm": 0, "sen_support": 0}},
        format="json",
    )  # fmt: skip
    assert refused.status_code == 400 and "add up to zero" in refused.content.decode()
