"""An LA officer asks for a report in a real browser: a form with an error first, then
the request; the page shows the worker's progress as it happens (htmx, no reload), then
the finished report with its charts, tables and downloads. A real Celery worker produces
it, so this needs PostgreSQL and Redis (as tests/reports/test_worker.py does). Every page
is checked against WCAG 2.2 AA with axe."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reports.models import ReportRun, RunStatus
from tests.browser.conftest import accessibility_violations
from tests.reports.conftest import small_county  # noqa: F401 - a fixture
from tests.reports.test_worker import HAVE_SERVICES, reports_env  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES,
        reason="a real report worker needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


def test_an_officer_asks_for_a_report_watches_it_progress_and_downloads_it(
    new_page,
    sign_in,
    live_server,
    small_county,  # noqa: F811
    reports_env,  # noqa: F811
    send_officer,
    password,
):
    start_worker, _ = reports_env
    page = new_page()
    sign_in(page, send_officer.username, password)
    page.get_by_role("link", name="Reports", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Inclusiveness and fair-share reports"
    )
    assert accessibility_violations(page) == []

    # Forgetting to choose which report: the error says so and leads to the choice.
    national = page.get_by_label("National % of pupils with an EHCP (optional)")
    national.fill("2,5")
    page.get_by_role("button", name="Produce the report").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Which report: Choose which report to produce")
    expect(summary).to_contain_text("Enter the national percentage as a number, like 2.5")
    assert page.title().startswith("Error: ")
    assert accessibility_violations(page) == []
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Inclusiveness")).to_be_focused()
    national.fill("1.5")

    page.get_by_label("Inclusiveness").check()
    page.get_by_label("For", exact=True).select_option(label="The whole county")
    page.get_by_role("button", name="Produce the report").click()
    status = page.locator("#run-status")
    expect(page.get_by_text("Your report is queued")).to_be_visible()
    expect(status).to_contain_text("Queued")
    run = ReportRun.objects.get()
    assert run.parameters["national_ehcp_pct"] == "1.5"

    # The worker starts; the page follows its progress without being reloaded.
    page.evaluate("window.stillTheSamePage = true")
    start_worker(REPORTS_TEST_PAUSE_SECONDS="4")
    expect(status).to_contain_text("Writing the spreadsheet", timeout=60_000)
    expect(status).to_contain_text("Running")
    expect(page.get_by_text("Progress: 60%")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage === true")

    # Ready: the page reloads itself once and shows the report and its downloads.
    csv_link = page.get_by_role("link", name=re.compile(r"^CSV"))
    expect(csv_link).to_be_visible(timeout=90_000)
    assert page.evaluate("window.stillTheSamePage === undefined")
    assert ReportRun.objects.get().status == RunStatus.SUCCEEDED
    for fmt in ("HTML", "XLSX", "PDF"):
        expect(page.get_by_role("link", name=re.compile(rf"^{fmt}"))).to_be_visible()
    expect(page.get_by_test_id("total-awarded")).to_have_text("£20,000.00")
    expect(page.locator("canvas#chart-sen")).to_be_visible()
    expect(page.get_by_role("heading", name="How the figures are worked out")).to_be_visible()
    expect(page.locator("#table-schools + div table tbody tr")).to_have_count(4)
    with page.expect_download() as download:
        csv_link.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("Level,Name,URN") and "A1 Primary" in text
    assert accessibility_violations(page) == []
