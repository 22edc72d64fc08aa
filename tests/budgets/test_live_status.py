"""A screen-reader user watching a budget dashboard is told when its figures change.

The status line sits outside the polled region (a swap would replace it and nothing be
read out); static/budgets/charts.js fills it in when htmx swaps in changed figures, and
tests/budgets/test_browser.py watches it happen."""

import re

import pytest
from django.urls import reverse

from budgets import selectors

from .factories import allocate

pytestmark = pytest.mark.django_db

STATUS = re.compile(
    r'<p class="govuk-visually-hidden" role="status" aria-live="polite" '
    r'data-budget-live-status data-testid="live-status"></p>'
)


def before_the_live_region(page: str, region_id: str) -> str:
    """The page up to the polled region: the status line must be there, not inside it."""
    return page.split(f'<div id="{region_id}"', 1)[0]


def test_the_county_dashboard_has_a_polite_status_line_outside_the_refreshed_figures(
    client, send_officer, budget
):
    client.force_login(send_officer)
    page = client.get(reverse("budgets:county")).content.decode()
    assert len(STATUS.findall(page)) == 1
    assert STATUS.search(before_the_live_region(page, "county-live"))
    assert "budgets/charts.js" in page  # what fills it in

    allocate(budget, "5.00")
    fresh = client.get(reverse("budgets:county_live"), {"v": "old"}).content.decode()
    assert "£20,005.00" in fresh and "data-budget-live-status" not in fresh


def test_the_cluster_dashboard_has_one_too(client, send_officer, budget):
    client.force_login(send_officer)
    cluster_id = budget.cluster_id
    page = client.get(reverse("budgets:cluster", args=[cluster_id])).content.decode()
    assert len(STATUS.findall(page)) == 1
    assert STATUS.search(before_the_live_region(page, "cluster-live"))

    version = selectors.cluster_version(budget.cluster)
    allocate(budget, "5.00")
    fresh = client.get(reverse("budgets:cluster_live", args=[cluster_id]), {"v": version})
    assert fresh.status_code == 200
    assert "data-budget-live-status" not in fresh.content.decode()
