"""Producing a report's files (here in-process; tests/reports/test_worker.py uses a real
worker), the pages and the API, and who may see what."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from clusters.models import Role
from reports import services
from reports.models import ReportKind, ReportRun, RunStatus, ScopeKind
from tests.factories import make_user


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def check_files_agree(run: ReportRun) -> None:
    """CSV totals equal the HTML's, the XLSX holds the same rows, the PDF is a PDF."""
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    html = run.open_file("html").read().decode()
    rows = csv_rows(run.open_file("csv").read())
    schools = [r for r in rows if r["Level"] == "school"]
    total = next(r for r in rows if r["Level"] == "total")
    school_sum = sum((Decimal(r["£ awarded"]) for r in schools), Decimal(0))
    assert school_sum == Decimal(total["£ awarded"])
    shown = re.search(r'data-testid="total-awarded">£([\d,.]+)<', html).group(1)
    assert Decimal(shown.replace(",", "")) == school_sum
    wb = load_workbook(run.open_file("xlsx"))
    sheet = wb["Schools"]
    header = [c.value for c in sheet[1]]
    awarded_col = header.index("£ awarded")
    xlsx_sum = sum(
        Decimal(str(row[awarded_col])) for row in sheet.iter_rows(min_row=2, values_only=True)
    )
    assert xlsx_sum == school_sum
    assert sheet.max_row - 1 == len(schools)
    assert run.open_file("pdf").read(5) == b"%PDF-"


@pytest.fixture
def produced(small_county, send_officer, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.request_report(
        user=send_officer,
        kind=ReportKind.INCLUSIVENESS,
        scope_kind=ScopeKind.COUNTY,
        scope_id=None,
        academic_year=2025,
        national_ehcp_pct="1.5",
    )
    services.produce(run.pk)
    run.refresh_from_db()
    return run


def test_a_produced_report_has_four_files_that_agree(produced):
    assert produced.attempts == 1
    assert produced.progress == 100
    assert produced.data_as_of is not None
    assert produced.parameters["national_ehcp_pct"] == "1.5"
    check_files_agree(produced)


def test_producing_again_is_a_no_op_once_ready(produced):
    name = produced.csv_file.name
    services.produce(produced.pk)
    produced.refresh_from_db()
    assert produced.attempts == 1 and produced.csv_file.name == name


def test_the_requester_is_told_when_the_report_is_ready(produced):
    from portal.models import Notification

    assert Notification.objects.filter(
        user=produced.requested_by, subject__startswith="Your report is ready"
    ).exists()


def test_officer_asks_for_a_report_on_the_page_and_sees_it_queued(
    client, small_county, send_officer, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(services, "enqueue", queued.append)
    client.force_login(send_officer)
    page = client.get(reverse("reports:list"))
    assert page.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:list"),
            {"kind": "fair_share", "scope": "county", "academic_year": 2025},
        )
    run = ReportRun.objects.get()
    assert response.url == reverse("reports:detail", args=[run.pk])
    assert queued == [run.pk]
    status = client.get(reverse("reports:status", args=[run.pk]))
    assert b'hx-trigger="every 2s"' in status.content
    assert b"Queued" in status.content


def test_the_ready_page_shows_charts_tables_and_downloads(client, produced):
    client.force_login(produced.requested_by)
    page = client.get(reverse("reports:detail", args=[produced.pk]))
    content = page.content.decode()
    assert "chart.umd.min.js" in content
    assert 'id="chart-index"' in content
    assert 'id="chart-data-index"' in content
    assert "How the figures are worked out" in content
    assert "hx-trigger" not in content  # no more polling
    download = client.get(reverse("reports:download", args=[produced.pk, "csv"]))
    assert download["Content-Type"].startswith("text/csv")
    assert b"".join(download.streaming_content).decode("utf-8-sig").startswith("Level,Name,URN")


def test_a_failed_run_shows_its_message(client, small_county, send_officer):
    run = ReportRun.objects.create(
        kind=ReportKind.FAIR_SHARE,
        scope_kind=ScopeKind.COUNTY,
        academic_year=2025,
        requested_by=send_officer,
    )
    services.fail(run.pk, "There are no school figures for 2025/26 in the county.")
    client.force_login(send_officer)
    page = client.get(reverse("reports:detail", args=[run.pk]))
    assert "The report could not be produced" in page.content.decode()
    assert "no school figures" in page.content.decode()


def test_a_headteacher_sees_and_asks_only_for_their_own_cluster(
    client, small_county, head_of_a1, produced, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    alpha, beta = small_county["clusters"]["A"], small_county["clusters"]["B"]
    client.force_login(head_of_a1)
    # The county report is not theirs.
    assert client.get(reverse("reports:detail", args=[produced.pk])).status_code == 404
    refused = client.post(
        reverse("reports:list"),
        {"kind": "fair_share", "scope": f"cluster:{beta.pk}", "academic_year": 2025},
    )
    assert refused.status_code == 200 and not ReportRun.objects.filter(cluster=beta).exists()
    client.post(
        reverse("reports:list"),
        {"kind": "fair_share", "scope": f"cluster:{alpha.pk}", "academic_year": 2025},
    )
    own = ReportRun.objects.get(cluster=alpha)
    assert client.get(reverse("reports:detail", args=[own.pk])).status_code == 200
    api = client.get("/api/v1/report-runs/")
    assert [r["id"] for r in api.json()["results"]] == [own.pk]


def test_a_senco_has_no_reports(client, small_county):
    senco = make_user(Role.SENCO, school=small_county["schools"]["A1"])
    client.force_login(senco)
    assert client.get(reverse("reports:list")).status_code == 404


def test_api_create_poll_list_and_download(
    client, small_county, send_officer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    client.force_login(send_officer)
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/report-runs/",
            {
                "kind": "inclusiveness",
                "scope_kind": "cluster",
                "scope_id": small_county["clusters"]["B"].pk,
                "academic_year": 2025,
            },
            content_type="application/json",
        )
    assert created.status_code == 202, created.content
    body = created.json()
    assert body["status"] == "queued" and body["files"] == {}
    services.produce(body["id"])
    polled = client.get(f"/api/v1/report-runs/{body['id']}/").json()
    assert polled["status"] == "succeeded" and polled["progress"] == 100
    assert set(polled["files"]) == {"html", "csv", "xlsx", "pdf"}
    pdf = client.get(f"/api/v1/report-runs/{body['id']}/files/pdf/")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    listed = client.get("/api/v1/report-runs/?status=succeeded").json()
    assert listed["count"] == 1


def test_api_refuses_a_cluster_report_outside_a_heads_cluster(client, small_county, head_of_a1):
    client.force_login(head_of_a1)
    response = client.post(
        "/api/v1/report-runs/",
        {"kind": "inclusiveness", "scope_kind": "county", "academic_year": 2025},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ReportRun.objects.exists()


def test_the_termly_schedule_asks_once_per_term_for_every_cluster_and_the_county(
    small_county, monkeypatch, django_capture_on_commit_callbacks
):
    from datetime import date

    queued = []
    monkeypatch.setattr(services, "enqueue", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        first = services.schedule_termly_reports(date(2026, 1, 1))
        again = services.schedule_termly_reports(date(2026, 1, 2))
    # Two reports × (county + 2 clusters) and the county's KPI pack, for the spring term
    # of 2025/26; once only.
    assert len(first) == 7 and again == []
    assert {r.academic_year for r in first} == {2025}
    (pack,) = [r for r in first if r.kind == "kpi_pack"]
    assert pack.scope_kind == "county" and pack.parameters["term"] == "spring"
    assert len(queued) == 7


def test_both_reports_are_on_celery_beat_once_a_term():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["termly-reports"]
    assert entry["task"] == "reports.tasks.produce_termly_reports"
    assert entry["schedule"].month_of_year == {1, 4, 9}
    assert entry["schedule"].day_of_month == {1}


def test_the_demo_shows_both_county_reports_ready(small_county, send_officer):
    import io
    import random
    from datetime import date

    from demo import reports as demo
    from demo.context import DemoContext

    ctx = DemoContext(rng=random.Random(1), today=date(2026, 1, 10), out=io.StringIO())
    ctx.shared.update(academic_year=2025, users={"la_send_officer": send_officer})
    demo.load(ctx)
    demo.load(ctx)  # a second load adds nothing
    runs = ReportRun.objects.all()
    assert {(r.kind, r.status) for r in runs} == {
        ("inclusiveness", "succeeded"),
        ("fair_share", "succeeded"),
        ("impact", "succeeded"),  # after the demo's pupil keys and escalation extract
    }


def test_a_report_can_be_asked_for_again_with_the_same_parameters(
    client, produced, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(services, "enqueue", queued.append)
    client.force_login(produced.requested_by)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:again", args=[produced.pk]))
    again = ReportRun.objects.exclude(pk=produced.pk).get()
    assert response.url == reverse("reports:detail", args=[again.pk])
    assert again.parameters == produced.parameters and again.status == RunStatus.QUEUED
    assert queued == [again.pk]


def test_the_spreadsheet_keeps_its_sheets_formats_frozen_headings_and_widths(produced):
    wb = load_workbook(produced.open_file("xlsx"))
    assert wb.sheetnames == ["About", "Schools", "Clusters", "Totals"]
    assert wb["About"]["A1"].value == str(produced) and wb["About"]["A1"].font.b
    sheet = wb["Schools"]
    header = [c.value for c in sheet[1]]
    assert sheet.freeze_panes == "B2" and all(c.font.b for c in sheet[1])
    a1 = next(row for row in sheet.iter_rows(min_row=2) if row[0].value == "A1 Primary")
    assert a1[header.index("£ awarded")].number_format == '"£"#,##0.00'
    assert a1[header.index("% EHCP")].number_format == '0.0"%"'
    assert a1[header.index("Inclusiveness index")].number_format == "+0.00;-0.00;0.00"
    assert sheet.column_dimensions["A"].width >= 30  # the school's name reads whole
