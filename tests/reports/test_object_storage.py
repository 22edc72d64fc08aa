"""Report files in an S3-compatible object store (a real moto server, tests/objectstore.py):
written by the worker's service, attached all or nothing, streamed through the checked
page and API download, what a killed attempt left behind removed from the bucket."""

from django.core.files.base import ContentFile
from django.urls import reverse
from rest_framework.test import APIClient

from portal.storage import private_storage
from reports import services
from reports.models import ReportKind, RunStatus, ScopeKind

from .test_files_and_pages import check_files_agree, csv_rows


def test_a_report_is_written_to_the_bucket_and_read_back_on_page_and_api(
    object_store, small_county, send_officer, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.request_report(
        user=send_officer,
        kind=ReportKind.FAIR_SHARE,
        scope_kind=ScopeKind.COUNTY,
        scope_id=None,
        academic_year=2025,
    )
    # What a killed earlier attempt wrote and never attached.
    left = private_storage().save(f"reports/{run.pk}/attempt-7/left.csv", ContentFile(b"x"))

    with django_capture_on_commit_callbacks(execute=True):
        services.produce(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    names = sorted(run.file_for(fmt).name for fmt in ("html", "csv", "xlsx", "pdf"))
    assert object_store.names() == names  # the four files, and nothing left over
    assert left not in object_store.names()
    check_files_agree(run)

    api = APIClient()
    api.force_authenticate(send_officer)
    pdf = api.get(f"/api/v1/report-runs/{run.pk}/files/pdf/")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content)[:5] == b"%PDF-"


def test_the_csv_download_streams_from_the_store(
    object_store, client, small_county, send_officer, monkeypatch
):
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
    client.force_login(send_officer)
    download = client.get(reverse("reports:download", args=[run.pk, "csv"]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert download["Content-Length"] == str(len(body))
    assert body == object_store.read(run.csv_file.name)
    assert csv_rows(body)[0]["Level"]
