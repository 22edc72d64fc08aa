# ruff: noqa: F811 -- the fixtures are imported, then asked for by name
"""The budget forecast with a real worker: the LA finance officer asks for it on the API
(and a headteacher for their cluster on the reports page), the worker produces it, its
CSV totals equal the HTML's, and no UPN reaches any page, file, API answer or log line."""

import io
import logging
import zipfile

from django.urls import reverse

from reports.models import ReportRun, RunStatus
from tests.reports.forecast_data import make_forecast_county
from tests.reports.impact_data import key, upn
from tests.reports.test_forecast_report import check_forecast_files_agree, this_financial_year
from tests.reports.test_worker import pytestmark as worker_marks  # noqa: F401
from tests.reports.test_worker import reports_env, run_state, wait_for  # noqa: F401

pytestmark = worker_marks


def test_the_worker_produces_the_forecast_for_the_county_and_a_cluster(
    client, finance_officer, reports_env, caplog
):
    from clusters.models import Role
    from funding.models import FundingRequest
    from tests.factories import SchoolFactory, make_user

    caplog.set_level(logging.DEBUG)
    start_worker, media = reports_env
    year = this_financial_year()
    county = make_forecast_county(start_year=year)
    # The pupils on the undecided requests have keys (never their UPNs).
    for n, fr in enumerate(FundingRequest.objects.filter(state__in=["submitted", "deferred"])):
        FundingRequest.objects.filter(pk=fr.pk).update(pupil_key=key(n + 1))
    worker = start_worker()
    seen: list[bytes] = []

    def get(url, **kw):
        response = client.get(url, **kw)
        seen.append(response.content if not response.streaming else b"".join(response))
        return response

    client.force_login(finance_officer)
    asked = client.post(
        "/api/v1/report-runs/",
        {"kind": "forecast", "scope_kind": "county", "academic_year": year},
        content_type="application/json",
    )
    assert asked.status_code == 202, asked.content
    seen.append(asked.content)
    run_id = asked.json()["id"]
    wait_for(lambda: run_state(run_id).is_finished, 120, "the county forecast", worker)
    run = run_state(run_id)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    county_files = check_forecast_files_agree(run)
    total = county_files["total"]
    assert total["Name"] == "Total: the county"
    answer = get(f"/api/v1/report-runs/{run_id}/").json()
    assert answer["kind"] == "forecast" and set(answer["files"]) == {"html", "csv", "xlsx", "pdf"}
    for fmt in ("html", "csv", "xlsx", "pdf"):
        get(reverse("reports:download", args=[run_id, fmt]))

    # A headteacher in Alpha asks for their cluster's on the reports page.
    head = make_user(Role.HEADTEACHER, school=SchoolFactory(cluster=county["alpha"]))
    client.force_login(head)
    answer = client.post(
        reverse("reports:list"),
        {"kind": "forecast", "scope": f"cluster:{county['alpha'].pk}", "academic_year": year},
    )
    assert answer.status_code == 302, answer.content.decode()[:3000]
    cluster_run = ReportRun.objects.get(kind="forecast", scope_kind="cluster")
    wait_for(lambda: run_state(cluster_run.pk).is_finished, 120, "the cluster forecast", worker)
    cluster_run = run_state(cluster_run.pk)
    assert cluster_run.status == RunStatus.SUCCEEDED, cluster_run.error_message
    alpha = check_forecast_files_agree(cluster_run)
    county_alpha = next(
        r for r in county_files["rows"] if r["Name"] == "Alpha: Exceptional Needs Grant"
    )
    # The cluster's report says what the county's says of it.
    for column in ("Committed so far", "Expected from undecided", "Runs out, worst case"):
        assert alpha["total"][column] == county_alpha[column]
    page = get(reverse("reports:detail", args=[cluster_run.pk])).content.decode()
    assert "Budget forecast report: Alpha cluster" in page
    worker.stop()

    stored = [p.read_bytes() for p in media.rglob("*") if p.is_file()]
    unzipped = [
        zipfile.ZipFile(io.BytesIO(b)).read(name)
        for b in stored
        if b[:2] == b"PK"
        for name in zipfile.ZipFile(io.BytesIO(b)).namelist()
    ]
    outputs = seen + stored + unzipped + [worker.log.read_bytes(), caplog.text.encode()]
    for n in (1, 2):
        for blob in outputs:
            assert upn(n).encode() not in blob
            assert key(n).encode() not in blob
