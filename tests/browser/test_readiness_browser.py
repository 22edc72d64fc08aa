"""The operators' readiness page in a real browser: WCAG 2.2 AA by axe, its title
starts with its h1, a failing check is in the error summary and its row (the sweep's
roles hold no administrator: tests/browser/test_accessibility_sweep.py)."""

import pytest

from portal.tasks import worker_heartbeat
from tests.browser.conftest import accessibility_violations
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_readiness_page_passes_axe_and_names_the_failing_check(
    new_page, sign_in, live_server, password
):
    UserFactory(username="operator", is_staff=True)
    page = new_page()
    sign_in(page, "operator", password)

    page.goto(f"{live_server.url}/health/ready/")  # no worker has ever beaten
    assert page.locator("h1").inner_text() == "Service readiness"
    assert page.title().startswith("Service readiness")
    summary = page.locator(".govuk-error-summary")
    assert "No worker has ever sent a heartbeat" in summary.inner_text()
    assert accessibility_violations(page) == []

    worker_heartbeat.apply()
    page.reload()
    assert page.locator(".govuk-error-summary").count() == 0
    assert page.get_by_text("Every service the portal needs is answering.").is_visible()
    assert accessibility_violations(page) == []
