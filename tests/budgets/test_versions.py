"""No lost work on a budget's set-up: two finance officers adjust the same cluster's
budget from pages read at the same time. The first change stays; the second, based on
the budget as it was, is refused with 409 showing both changes, and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from budgets import services
from budgets.models import ClusterBudget, LedgerEntry
from portal.versions import StaleVersion

pytestmark = pytest.mark.django_db


def ledger(budget) -> list:
    return list(LedgerEntry.objects.filter(budget__cluster=budget.cluster).values().order_by("pk"))


def version_of(budget) -> int:
    return ClusterBudget.objects.get(pk=budget.pk).version


def test_each_change_moves_the_version_on_and_a_stale_one_is_refused_naming_both(
    budget, finance_officer
):
    assert version_of(budget) == 1
    services.adjust(budget, Decimal("5000"), user=finance_officer, reason="Extra pupils", version=1)
    assert version_of(budget) == 2
    before = ledger(budget)
    with pytest.raises(StaleVersion) as refused:
        services.adjust(budget, Decimal("5000"), user=finance_officer, reason="Top-up", version=1)
    (change,) = refused.value.changes
    assert change.yours == "£5,000.00, Top-up"
    assert change.saved.startswith("£5,000.00, Extra pupils (")
    assert refused.value.status == 409 and ledger(budget) == before


def test_a_stale_move_between_clusters_writes_nothing(budget, budget_factory, finance_officer):
    other = budget_factory(stream=budget.stream)
    services.adjust(budget, Decimal("-100"), user=finance_officer, reason="Correction")
    before = ledger(budget), ledger(other)
    with pytest.raises(StaleVersion):
        services.transfer(
            budget, other, Decimal("1000"), user=finance_officer, reason="Shared", version=1
        )
    assert (ledger(budget), ledger(other)) == before
    services.transfer(
        budget, other, Decimal("1000"), user=finance_officer, reason="Shared", version=2
    )
    assert (version_of(budget), version_of(other)) == (3, 2)


def test_the_second_officers_page_is_refused_with_both_changes_and_keep_mine(
    client, budget, finance_officer
):
    client.force_login(finance_officer)
    url = reverse("budgets:adjust")
    page = client.get(url, {"budget": budget.pk})
    assert 'name="version" value="1"' in page.text
    assert f'name="version_budget" value="{budget.pk}"' in page.text
    data = {"budget": budget.pk, "amount": "2500", "move_to": "", "version_budget": budget.pk}
    first = client.post(url, {**data, "reason": "New pupil", "version": "1"})
    assert first.status_code == 302
    before = ledger(budget)
    refused = client.post(url, {**data, "reason": "Same new pupil", "version": "1"})
    assert refused.status_code == 409
    body = refused.text
    assert f"Someone else changed the {budget.cluster} budget" in body
    assert "£2,500.00, Same new pupil" in body and "£2,500.00, New pupil (" in body
    assert "Take the saved version" in body and "Record my change as well" in body
    assert ledger(budget) == before
    # Keep mine: recorded as well, on the saved version.
    assert client.post(url, {**data, "reason": "Same new pupil", "version": "2"}).status_code == 302
    assert len(ledger(budget)) == len(before) + 1


def test_the_api_refuses_a_stale_adjustment_with_409_and_writes_nothing(budget, finance_officer):
    api = APIClient()
    api.force_authenticate(finance_officer)
    read = api.get(f"/api/v1/budgets/{budget.pk}/").json()
    assert read["version"] == 1
    payload = {"budget": budget.pk, "amount": "300.00", "reason": "Training", "version": 1}
    assert api.post("/api/v1/adjustments/", payload, format="json").status_code == 201
    before = ledger(budget)
    refused = api.post("/api/v1/adjustments/", payload, format="json")
    assert refused.status_code == 409
    assert refused.json()["saved_version"] == 2
    assert [c["field"] for c in refused.json()["changes"]] == ["amount"]
    assert ledger(budget) == before
