"""Bugs the security sweep found, kept as the stories they broke."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from budgets.models import EntryKind, LedgerEntry


def test_a_budget_with_an_entry_the_portal_made_itself_still_opens(world, client):
    LedgerEntry.objects.create(
        budget=world.a.budget,
        kind=EntryKind.ADJUSTMENT,
        amount=Decimal("10.00"),
        reason="Rounding correction by the nightly job",
    )
    client.force_login(world.finance_officer)
    response = client.get(reverse("budgets:budget", args=[world.a.budget.pk]))
    assert response.status_code == 200
    assert "The portal" in response.content.decode()


def test_an_absurd_id_in_a_filter_finds_nothing(world, client):
    client.force_login(world.a.senco)
    for url in ("/api/v1/requests/?stream=1e30", "/api/v1/schools/?cluster=1e30"):
        response = client.get(url)
        assert response.status_code == 200 and response.json()["count"] == 0, url
