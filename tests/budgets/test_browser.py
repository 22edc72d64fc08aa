"""An LA officer watching the county dashboard sees a decision land without reloading."""

import re
from decimal import Decimal

import pytest

from funding.services import apply_transition
from funding.workflow import Award
from tests.browser.conftest import accessibility_violations

from .factories import allocate, request_on_agenda

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_decision_shows_on_an_open_county_dashboard_within_five_seconds(
    new_page, sign_in, live_server, send_officer, password, budget_factory, chair, panel_rules
):
    from playwright.sync_api import expect

    budget = budget_factory()
    allocate(budget, "10000.00")
    fr = request_on_agenda(budget)
    page = new_page()
    problems = []
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    sign_in(page, "send_officer", password)
    page.goto(f"{live_server.url}/budgets/")
    committed = page.get_by_test_id("tile-committed")
    expect(committed).to_have_text("£0.00")
    status = page.get_by_test_id("live-status")
    expect(status).to_have_text("")  # nothing to announce yet: polls answer 204
    assert page.locator("canvas[data-budget-chart]").count() == 2
    assert accessibility_violations(page) == []

    # The panel decides elsewhere (the same service the chair's page calls).
    apply_transition(
        fr, "approve", user=chair, message="Agreed", command=Award(amount=Decimal("7500.00"))
    )

    expect(committed).to_have_text("£7,500.00")
    # Screen-reader users hear, politely, that the figures changed (outside the swapped part).
    expect(status).to_have_text(re.compile(r"^Figures updated at \d\d:\d\d$"))
    expect(status).to_have_attribute("aria-live", "polite")
    expect(page.get_by_test_id("tile-available")).to_have_text("£2,500.00")
    expect(page.get_by_test_id("budget-alerts")).to_contain_text(re.compile("past 75%"))
    # Charts were drawn again from the fresh figures, under the CSP, without errors.
    assert page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-budget-chart]')].every(c => Chart.getChart(c))"
    )
    assert problems == []
