# ruff: noqa: F811 -- the fixtures are imported, then asked for by name
"""The Schools Forum KPI pack: the LA officer asks for one per term (page or API) and a
real worker writes every report's headline figures for the county into one PDF and
spreadsheet (with the HTML and CSV); each figure is what that report says on its own."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.urls import reverse

from reports import services
from reports.formatting import format_value
from reports.models import ReportKind, ReportRun, RunStatus
from tests.reports.conftest import small_county  # noqa: F401
from tests.reports.forecast_data import make_forecast_county
from tests.reports.test_worker import pytestmark as worker_marks  # noqa: F401
from tests.reports.test_worker import reports_env, run_state, wait_for  # noqa: F401


def pack_rows(run) -> list[dict]:
    return list(csv.DictReader(io.StringIO(run.open_file("csv").read().decode("utf-8-sig"))))


@pytest.mark.django_db
def test_only_the_county_and_a_term_make_a_pack(send_officer, small_county):
    ask = dict(user=send_officer, kind=ReportKind.KPI_PACK, academic_year=2025)
    with pytest.raises(services.ReportError, match="for the whole county"):
        services.request_report(scope_kind="cluster", scope_id=small_county["clusters"]["A"].pk,
                                term="autumn", **ask)  # fmt: skip
    with pytest.raises(services.ReportError, match="Choose the term"):
        services.request_report(scope_kind="county", scope_id=None, term="winter", **ask)
    with pytest.raises(services.ReportError, match="for the Schools Forum KPI pack only"):
        services.request_report(
            user=send_officer, kind=ReportKind.FORECAST, scope_kind="county", scope_id=None,
            academic_year=2025, term="autumn",
        )  # fmt: skip
    assert not ReportRun.objects.exists()


@pytest.mark.django_db
def test_the_page_asks_for_the_term_and_a_headteacher_cannot_ask_for_a_pack(
    client, send_officer, head_of_a1
):
    client.force_login(send_officer)
    page = client.post(reverse("reports:list"), {"kind": "kpi_pack", "scope": "county",
                                                 "academic_year": 2025})  # fmt: skip
    assert "Choose the term of the Schools Forum KPI pack" in page.content.decode()
    client.force_login(head_of_a1)
    answer = client.post("/api/v1/report-runs/", {"kind": "kpi_pack", "scope_kind": "county",
                         "academic_year": 2025, "term": "autumn"},
                         content_type="application/json")  # fmt: skip
    assert answer.status_code == 403
    assert not ReportRun.objects.exists()


@pytest.mark.django_db
def test_the_summer_pack_forecasts_the_financial_year_the_term_falls_in(send_officer):
    params = services.pack_parameters(2025, "summer", {})
    assert params["parts"]["forecast"]["academic_year"] == 2026  # April to July 2026
    assert params["parts"]["impact"]["academic_year"] == 2025
    assert (
        services.pack_parameters(2025, "spring", {})["parts"]["forecast"]["academic_year"] == 2025
    )


@worker_marks[0]
@worker_marks[1]
@worker_marks[2]
def test_the_worker_produces_the_pack_and_its_figures_are_the_reports_own(
    client, small_county, send_officer, reports_env
):
    start_worker, _ = reports_env
    make_forecast_county(start_year=2025, district_name="Vale")
    worker = start_worker()
    client.force_login(send_officer)
    answer = client.post(reverse("reports:list"), {"kind": "kpi_pack", "scope": "county",
                         "academic_year": 2025, "term": "autumn"})  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:2000]
    pack = ReportRun.objects.get(kind="kpi_pack")
    wait_for(lambda: run_state(pack.pk).is_finished, 180, "the pack", worker)
    pack = run_state(pack.pk)
    assert pack.status == RunStatus.SUCCEEDED, pack.error_message
    assert pack.open_file("pdf").read(5) == b"%PDF-"
    assert pack.open_file("xlsx").read(2) == b"PK"
    rows = pack_rows(pack)
    if os.environ.get("SCREENSHOT_DIR"):  # to look at
        Path(os.environ["SCREENSHOT_DIR"], "kpi_pack.pdf").write_bytes(pack.open_file("pdf").read())
    page = client.get(reverse("reports:detail", args=[pack.pk])).content.decode()
    assert "Schools Forum KPI report: the county" in page
    assert "Autumn term, academic year 2025/26" in page

    # Each report on its own, asked for on the API and produced by the same worker.
    for kind in ("inclusiveness", "fair_share", "impact", "forecast"):
        asked = client.post("/api/v1/report-runs/", {"kind": kind, "scope_kind": "county",
                            "academic_year": 2025}, content_type="application/json")  # fmt: skip
        assert asked.status_code == 202, asked.content
        run_id = asked.json()["id"]
        wait_for(lambda run_id=run_id: run_state(run_id).is_finished, 120, kind, worker)
        run = run_state(run_id)
        assert run.status == RunStatus.SUCCEEDED, (kind, run.error_message)
        own = [(label, format_value(value, fmt)) for label, value, fmt in run.result["summary"]]
        in_pack = [(r["Figure"], r["Value"]) for r in rows if r["Table"] == kind]
        assert in_pack == own, kind
        # And the report's own HTML shows each of them.
        html = run.open_file("html").read().decode()
        for label, text in own:
            assert text.replace("'", "&#x27;") in html, (kind, label)
    money = {r["Figure"]: r["Value"] for r in rows if r["Table"] == "forecast"}
    assert money["Allocated"] == "£70,000.00" and money["Committed so far"] == "£57,000.00"
    worker.stop()
