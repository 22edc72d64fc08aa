"""The LA SEND officer loads the county's schools in a real browser: the upload page (an
error first), a file with a problem, the preview of a good file, then "Apply" with a real
Celery worker whose progress the page follows live (htmx) until it says what was done;
then the cluster map: a cluster's page, renaming it, moving a school, adding a cluster;
and the statistics upload. Every page is checked against WCAG 2.2 AA with axe."""

import pytest
from playwright.sync_api import expect

from clusters.models import Cluster, School
from tests.browser.conftest import accessibility_violations
from tests.clusters.gias import county, mapping_rows, to_csv
from tests.reports.test_worker import HAVE_SERVICES, reports_env  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES,
        reason="a real worker needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
]


def test_an_officer_imports_gias_in_the_browser_and_edits_the_cluster_map(
    new_page,
    sign_in,
    live_server,
    reports_env,  # noqa: F811
    send_officer,
    password,
    tmp_path,
):
    start_worker, _ = reports_env
    rows = county(other=6000)
    good, mapping = tmp_path / "edubase.csv", tmp_path / "clusters.csv"
    good.write_bytes(to_csv(rows))
    mapping.write_bytes(to_csv(mapping_rows(rows)))
    broken = [dict(r) for r in rows]
    at = next(i for i, r in enumerate(broken) if r["LA (code)"] == "931")
    broken[at]["URN"] = "12AB"
    bad = tmp_path / "broken.csv"
    bad.write_bytes(to_csv(broken))

    page = new_page()
    sign_in(page, send_officer.username, password)
    page.get_by_role("link", name="Import schools from GIAS").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import schools from GIAS")
    assert accessibility_violations(page) == []

    # No file chosen: the error summary says so and leads to the field.
    page.get_by_role("button", name="Upload and check").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Choose the GIAS extract to upload")
    assert page.title().startswith("Error: ")
    assert accessibility_violations(page) == []

    # A file with a bad URN: every problem by line and column, nothing imported.
    page.get_by_label("GIAS extract (CSV)").set_input_files(bad)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "GIAS extract not imported: problems found"
    )
    problems = page.get_by_test_id("problems")
    expect(problems).to_contain_text("'12AB' is not a URN")
    expect(problems.locator("tbody tr").first).to_contain_text(str(at + 2))
    assert accessibility_violations(page) == []
    assert not School.objects.exists()

    # The good file and its mapping: the preview, and nothing changed yet.
    page.get_by_role("link", name="Upload another file").click()
    page.get_by_label("GIAS extract (CSV)").set_input_files(good)
    page.get_by_label("Cluster mapping (CSV, optional)").set_input_files(mapping)
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check what the GIAS extract will change"
    )
    expect(page.get_by_role("heading", name="New schools: 248")).to_be_visible()
    expect(page.get_by_text("Showing the first 100 of 248.")).to_be_visible()
    assert accessibility_violations(page) == []
    assert not School.objects.exists()

    # Apply: the page follows the worker's progress without a reload, then says what it did.
    page.get_by_role("button", name="Apply this import").click()
    status = page.locator("#import-status")
    expect(status).to_contain_text("Waiting for the worker")
    page.evaluate("window.stillTheSamePage = true")
    start_worker(IMPORTS_TEST_PAUSE_SECONDS="2")
    expect(status).to_contain_text("Reading the rows", timeout=60_000)
    assert page.evaluate("window.stillTheSamePage === true")
    assert accessibility_violations(page) == []
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "GIAS extract imported", timeout=90_000
    )
    expect(page.get_by_test_id("done")).to_contain_text("248 schools added, 0 updated")
    assert accessibility_violations(page) == []
    assert School.objects.count() == 248

    # The cluster map: a cluster's page, renamed, and one of its schools moved.
    cluster = Cluster.objects.filter(schools__isnull=False).order_by("name").first()
    other = Cluster.objects.exclude(pk=cluster.pk).order_by("name").first()
    school = cluster.schools.order_by("name").first()
    page.goto(f"{live_server.url}/clusters/{cluster.pk}/")
    page.get_by_role("link", name="Rename this cluster or move its schools").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Change {cluster.name}")
    assert accessibility_violations(page) == []
    page.get_by_label("Cluster name").fill("Banbury North")
    page.get_by_role("button", name="Save the name").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Banbury North")

    page.get_by_role("link", name=f"Move {school.name} to another cluster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Move {school.name} to another cluster"
    )
    assert accessibility_violations(page) == []
    page.get_by_label("Move to").select_option(label=f"{other.name} ({other.district.name})")
    page.get_by_role("button", name="Move the school").click()
    expect(page.get_by_text(f"{school.name} is now in {other.name}.")).to_be_visible()
    assert School.objects.get(pk=school.pk).cluster == other

    page.get_by_role("link", name="Add a cluster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a cluster")
    page.get_by_role("button", name="Add the cluster").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the cluster's name")
    assert accessibility_violations(page) == []

    # The statistics upload page.
    page.goto(f"{live_server.url}/clusters/imports/statistics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import school statistics")
    assert accessibility_violations(page) == []
