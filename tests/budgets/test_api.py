"""The budgets API, scoped like the pages."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from budgets import selectors
from budgets.models import BudgetOverride
from tests.factories import (
    ClusterFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
)

from .factories import ClusterBudgetFactory, allocate, request_on_agenda

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def test_school_staff_see_only_their_own_clusters_totals(api, senco_a, budget, this_year):
    own = ClusterBudgetFactory(cluster=senco_a.memberships.get().school.cluster, year=this_year)
    allocate(own, "1234.56")
    api.force_authenticate(senco_a)

    body = api.get("/api/v1/budgets/").json()

    assert [b["id"] for b in body["results"]] == [own.pk]
    assert body["results"][0]["allocated"] == "1234.56"
    assert api.get(f"/api/v1/budgets/{budget.pk}/").status_code == 404
    assert api.get("/api/v1/ledger/").json()["results"] == []


def test_la_officers_read_the_ledger_filtered_by_cluster(api, send_officer, budget, this_year):
    other = ClusterBudgetFactory(year=this_year)
    allocate(other, "5.00")
    api.force_authenticate(send_officer)

    rows = api.get("/api/v1/ledger/", {"cluster": other.cluster_id}).json()["results"]

    assert [(r["kind"], r["amount"]) for r in rows] == [("allocation", "5.00")]
    assert api.post("/api/v1/ledger/", {}).status_code == 405


def test_a_finance_officer_previews_and_commits_an_allocation(api, finance_officer, this_year):
    stream = FundingStreamFactory()
    for _ in range(3):
        SchoolYearStatsFactory(school=SchoolFactory(cluster=ClusterFactory()), academic_year=2026)
    api.force_authenticate(finance_officer)
    payload = {
        "stream": stream.pk,
        "year": this_year.start_year,
        "pot": "1000.00",
        "weight_roll": "1",
        "weight_fsm": "0",
        "weight_sen_support": "0",
    }

    preview = api.post("/api/v1/allocations/preview/", payload, format="json").json()
    assert [s["amount"] for s in preview["shares"]] == ["333.34", "333.33", "333.33"]

    assert api.post("/api/v1/allocations/", payload, format="json").status_code == 201
    assert api.post("/api/v1/allocations/", payload, format="json").status_code == 400
    assert len(api.get("/api/v1/allocations/").json()["results"]) == 1


def test_adjustments_and_overrides_are_for_finance_officers(
    api, send_officer, finance_officer, budget
):
    api.force_authenticate(send_officer)
    payload = {"budget": budget.pk, "amount": "100.00", "reason": "Top-up"}
    assert api.post("/api/v1/adjustments/", payload, format="json").status_code == 403

    api.force_authenticate(finance_officer)
    assert api.post("/api/v1/adjustments/", payload, format="json").status_code == 201
    assert selectors.budget_totals(budget).allocated == Decimal("20100.00")
    missing_reason = {**payload, "reason": ""}
    assert api.post("/api/v1/adjustments/", missing_reason, format="json").status_code == 400

    fr = request_on_agenda(budget)
    made = api.post(
        "/api/v1/budget-overrides/", {"request": fr.reference, "reason": "Urgent"}, format="json"
    )
    assert made.status_code == 201
    assert BudgetOverride.objects.get().request == fr


def test_the_schema_describes_the_budget_endpoints(api, send_officer):
    api.force_authenticate(send_officer)
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/allocations/preview/" in text and "/api/v1/ledger/" in text


def test_a_refusal_for_want_of_budget_is_a_conflict(api, finance_officer, budget, this_year):
    api.force_authenticate(finance_officer)
    other = ClusterBudgetFactory(stream=budget.stream, year=this_year)

    cut = {"budget": budget.pk, "amount": "-20000.01", "reason": "Clawback"}
    refused = api.post("/api/v1/adjustments/", cut, format="json")
    assert refused.status_code == 409
    assert refused.json() == {"detail": refused.json()["detail"]}
    assert "uncommitted" in refused.json()["detail"]

    move = {"budget": budget.pk, "move_to": other.pk, "amount": "20000.01", "reason": "Share"}
    refused = api.post("/api/v1/adjustments/", move, format="json")
    assert refused.status_code == 409 and "uncommitted to move" in refused.json()["detail"]
    assert selectors.budget_totals(budget).available == Decimal("20000.00")

    # A mistake in the input is still a 400, with the same shape.
    zero = api.post("/api/v1/adjustments/", {**cut, "amount": "0"}, format="json")
    assert zero.status_code == 400 and zero.json() == {"detail": "Enter an amount other than £0."}
