"""The LA SEND officer's story, through the pages, with a real Celery worker process
(not eager mode) on Redis and the test database: upload the county's GIAS extract and
cluster mapping, check the preview's counts against the file, apply, watch the worker's
progress, and find the schools in their clusters when it says it is done."""

import re
import uuid

import pytest
from django.urls import reverse

from clusters.models import Cluster, ImportStatus, School, SchoolImport
from tests.clusters.gias import county, mapping_rows, to_csv
from tests.clusters.test_import_upload import csv_file, stored_files
from tests.reports.test_worker import HAVE_SERVICES, Worker, wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES,
        reason="the worker tests need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); CI has both",
    ),
]


@pytest.fixture
def worker(settings, tmp_path):
    """A worker on a queue of its own, sharing the test's private file store."""
    media = tmp_path / "private"
    media.mkdir()
    settings.REPORTS_QUEUE = f"imports-test-{uuid.uuid4().hex[:8]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
    }
    started: list[Worker] = []

    def start(**env) -> Worker:
        started.append(Worker(settings.REPORTS_QUEUE, media, tmp_path / "worker.log", **env))
        return started[-1]

    yield start
    for w in started:
        w.stop()


def status_panel(client, pk) -> str:
    return client.get(
        reverse("clusters:import_status", args=[pk]), HTTP_HX_REQUEST="true"
    ).content.decode()


def test_an_officer_uploads_previews_and_applies_gias_in_the_worker(
    client, send_officer, worker, settings
):
    # The county, spread through 6,000 rows of other LAs, as in the national download.
    rows = county(other=6000)
    ours = [r for r in rows if r["LA (code)"] == "931"]
    client.force_login(send_officer)

    uploaded = client.post(
        reverse("clusters:import_gias"),
        {
            "extract": csv_file(to_csv(rows)),
            "mapping": csv_file(to_csv(mapping_rows(rows)), "clusters.csv"),
            "year": "2024/25",
        },
    )

    run = SchoolImport.objects.get()
    preview = client.get(uploaded["Location"]).content.decode()
    closed = sum(r["EstablishmentStatus (name)"] == "Closed" for r in ours)
    assert f"New schools: {len(ours)}" in preview
    assert f"Closed schools: {closed}" in preview and "Open schools in no cluster: 0" in preview
    assert "6000 rows of other LAs skipped" in preview
    assert "5 districts and 15 clusters would be created" in preview
    assert not School.objects.exists()

    applied = client.post(reverse("clusters:import_apply", args=[run.pk]))
    assert applied.status_code == 302
    # No worker yet: the page says it is waiting and keeps polling.
    panel = status_panel(client, run.pk)
    assert "Waiting for the worker" in panel and "every 2s" in panel

    worker(IMPORTS_TEST_PAUSE_SECONDS="2")

    # Part-way: the rows read so far, of the rows in the file, and nothing written yet.
    def part_way():
        panel = status_panel(client, run.pk)
        return panel if "Reading the rows" in panel else None

    panel = wait_for(part_way, 90, "the worker to be part-way through the rows")
    done, total = map(int, re.search(r"Rows read: (\d+) of (\d+)", panel).groups())
    assert total == len(rows) and 0 < done < total
    assert not School.objects.exists()

    wait_for(
        lambda: SchoolImport.objects.get(pk=run.pk).status == ImportStatus.SUCCEEDED,
        120,
        "the import",
    )
    finished = client.get(reverse("clusters:import_status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true" and b"every 2s" not in finished.content
    page = client.get(reverse("clusters:import", args=[run.pk])).content.decode()
    assert f"{len(ours)} schools added, 0 updated, {closed} closed in the file" in page
    assert School.objects.count() == len(ours) and Cluster.objects.count() == 15
    assert not School.objects.filter(is_open=True, cluster__isnull=True).exists()
    mapped = mapping_rows(rows)[0]
    assert School.objects.get(urn=mapped["URN"]).cluster.name == mapped["Cluster"]
    assert not stored_files(settings)


def test_a_preview_gone_stale_in_the_queue_is_refused_by_the_worker(
    client, send_officer, worker, settings
):
    rows = county(other=0)
    client.force_login(send_officer)
    client.post(
        reverse("clusters:import_gias"),
        {"extract": csv_file(to_csv(rows)), "mapping": csv_file(to_csv(mapping_rows(rows)))},
    )
    run = SchoolImport.objects.get()
    client.post(reverse("clusters:import_apply", args=[run.pk]))
    # Meanwhile, before any worker has taken it, a school of the file is added by hand.
    School.objects.create(urn=int(rows[0]["URN"]), name="Added meanwhile", la_code="931")

    worker()
    wait_for(lambda: SchoolImport.objects.get(pk=run.pk).is_finished, 90, "the import")

    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    page = client.get(reverse("clusters:import", args=[run.pk])).content.decode()
    assert "Nothing was imported" in page and "have changed since this preview" in page
    assert School.objects.count() == 1 and not stored_files(settings)
