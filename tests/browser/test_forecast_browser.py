"""The budget forecast's page in a real browser: its charts drawn, its tables, and no
WCAG 2.2 AA violation (axe). A screenshot is kept (in SCREENSHOT_DIR if set) to look at."""

import os
import shutil

import pytest
from playwright.sync_api import expect

from reports import services
from reports.models import ReportKind, RunStatus
from tests.browser.conftest import accessibility_violations
from tests.reports.forecast_data import make_forecast_county
from tests.reports.test_forecast_report import this_financial_year

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_la_officer_reads_the_budget_forecast_in_a_browser(
    new_page, sign_in, live_server, send_officer, password, monkeypatch, tmp_path
):
    year = this_financial_year()
    make_forecast_county(start_year=year)
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.request_report(
        user=send_officer, kind=ReportKind.FORECAST, scope_kind="county", scope_id=None,
        academic_year=year,
    )  # fmt: skip
    services.produce(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message

    page = new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, send_officer.username, password)
    page.goto(f"{live_server.url}/reports/{run.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Budget forecast report: the county")
    assert page.title().startswith("Budget forecast report")
    expect(page.locator("#chart-year_end")).to_be_visible()
    expect(page.get_by_role("heading", name="Budgets to 31 March and after")).to_be_visible()
    expect(page.get_by_role("row", name="Total: the county")).to_be_visible()
    assert accessibility_violations(page) == []
    shot = tmp_path / "forecast.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("SCREENSHOT_DIR"):
        shutil.copy(shot, os.environ["SCREENSHOT_DIR"])
        with open(os.path.join(os.environ["SCREENSHOT_DIR"], "forecast.pdf"), "wb") as out:
            out.write(run.open_file("pdf").read())
