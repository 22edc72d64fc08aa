# ruff: noqa: F811 -- the fixtures are imported, then asked for by name
"""The impact report with a real worker: the LA officer uploads the escalation extract
(checked and written by the worker), asks for the report, and its files agree; and no
UPN appears in any page, file, API answer or log line of the whole story."""

import csv
import io
import logging
import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.models import EscalationImport, EscalationRecord, ImportStatus, ReportRun, RunStatus
from tests.reports.impact_data import key, upn
from tests.reports.test_impact_report import EVENTS, impact_county  # noqa: F401
from tests.reports.test_worker import pytestmark as worker_marks  # noqa: F401
from tests.reports.test_worker import reports_env, run_state, wait_for  # noqa: F401

pytestmark = worker_marks

PUPILS = sorted({n for n, _, _ in EVENTS} | set(range(1, 8)) | set(range(11, 17)))


def test_the_worker_imports_the_extract_and_produces_the_impact_report_without_a_upn(
    client, impact_county, send_officer, reports_env, caplog
):
    caplog.set_level(logging.DEBUG)
    start_worker, media = reports_env
    worker = start_worker()
    client.force_login(send_officer)
    seen: list[bytes] = []  # every answer of the story, searched for UPNs at the end

    def get(url, **kw):
        response = client.get(url, **kw)
        seen.append(response.content if not response.streaming else b"".join(response))
        return response

    lines = ["UPN,Event,Date,End date"] + [
        f"{upn(n)},{kind},{on:%d-%m-%Y}," for n, kind, on in EVENTS
    ]
    upload = SimpleUploadedFile("extract.csv", "\n".join(lines).encode(), "text/csv")
    answer = client.post(reverse("reports:escalation"), {"extract": upload})
    seen.append(answer.content)
    imported = EscalationImport.objects.order_by("-pk").first()
    wait_for(
        lambda: EscalationImport.objects.get(pk=imported.pk).status != ImportStatus.QUEUED,
        90,
        "the import",
        worker,
    )
    imported.refresh_from_db()
    assert imported.status == ImportStatus.SUCCEEDED, imported.errors
    assert imported.records == len(EVENTS) and imported.staged is None
    assert EscalationRecord.objects.filter(source=imported).count() == len(EVENTS)
    get(reverse("reports:escalation_detail", args=[imported.pk]))
    get(f"/api/v1/escalation-imports/{imported.pk}/")

    asked = client.post(
        "/api/v1/report-runs/",
        {"kind": "impact", "scope_kind": "county", "academic_year": 2024,
         "unit_costs": {"specialist_placement": "25000"}},
        content_type="application/json",
    )  # fmt: skip
    assert asked.status_code == 202, asked.content
    seen.append(asked.content)
    run = ReportRun.objects.get(kind="impact")
    wait_for(lambda: run_state(run.pk).is_finished, 120, "the impact report", worker)
    run = run_state(run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error_message

    files = {fmt: run.open_file(fmt).read() for fmt in ("html", "csv", "xlsx", "pdf")}
    html = files["html"].decode()
    rows = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    # The CSV's totals are the HTML's: the cost avoided, and the pupils followed.
    saving = sum(
        Decimal(r["Cost avoided a year (estimate)"])
        for r in rows
        if r["Table"] == "cost" and r["Cost avoided a year (estimate)"]
    )
    assert saving == Decimal("58250.00")
    shown = re.search(
        r"Cost avoided a year \(estimate, 12 months\)</dt>\s*<dd[^>]*>£([\d,.]+)", html
    )
    assert shown and Decimal(shown.group(1).replace(",", "")) == saving
    funded = next(r for r in rows if r["Table"] == "escalation" and r["Name"] == "Any of these")
    assert funded["Pupils followed 12 months"] == "7"
    assert re.search(r"Funded pupils followed for 12 months</dt>\s*<dd[^>]*>7<", html)
    assert files["pdf"][:5] == b"%PDF-"

    page = get(reverse("reports:detail", args=[run.pk]))
    assert "Impact report, the county, 2024/25" in page.content.decode()
    for fmt in ("html", "csv", "xlsx", "pdf"):
        get(reverse("reports:download", args=[run.pk, fmt]))
    get(f"/api/v1/report-runs/{run.pk}/")
    get("/api/v1/requests/")
    for fr in impact_county["schools"]["A1"].funding_requests.all()[:3]:
        get(reverse("funding:detail", args=[fr.pk]))
    worker.stop()

    # Every output of the run: pages, API answers, files written, the worker's log, the
    # test's own log lines, and the database's text.
    stored = [p.read_bytes() for p in media.rglob("*") if p.is_file()]
    log = worker.log.read_bytes()
    outputs = seen + list(files.values()) + stored + [log, caplog.text.encode()]
    for n in PUPILS:
        for blob in outputs:
            assert upn(n).encode() not in blob
            assert upn(n).lower().encode() not in blob
    assert key(1).encode() not in b"".join(seen)  # not even the key reaches a page
