"""Reports produced by a real Celery worker process against Redis and the test database
(not eager mode): queued, progress, success with files that agree, failure shown, and a
worker killed part-way whose report completes when the message is delivered again."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from reports.models import ReportRun, RunStatus

from .test_files_and_pages import check_files_agree

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
HAVE_SERVICES = bool(django_settings.USING_POSTGRES and os.environ.get("REDIS_URL"))

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not HAVE_SERVICES and not os.environ.get("CI"),
        reason="the worker tests need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); CI has both",
    ),
]


class Worker:
    """``celery worker -P solo`` in a subprocess, on the test database and its own queue."""

    def __init__(self, queue: str, media: Path, log: Path, **extra_env):
        assert HAVE_SERVICES, "CI must run the worker tests against PostgreSQL and Redis"
        test_db = connection.settings_dict["NAME"]
        env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
        env.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DATABASE_URL=os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{test_db}",
            REDIS_URL=os.environ["REDIS_URL"],
            PRIVATE_MEDIA_ROOT=str(media),
            CONN_MAX_AGE="0",
            **extra_env,
        )
        self.log = log
        self.process = subprocess.Popen(
            [
                CELERY,
                "-A",
                "tests.reports.celery_test_app",
                "worker",
                "-P",
                "solo",
                "-Q",
                queue,
                "-n",
                f"reports-{uuid.uuid4().hex[:6]}@%h",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            env=env,
            cwd=ROOT,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: b" ready." in log.read_bytes(), 60, "the worker to start", self)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_for(predicate, timeout: float, what: str, worker: Worker | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker and worker.process.poll() is not None:
            break
        time.sleep(0.2)
    log = worker.log.read_text(errors="replace")[-3000:] if worker else ""
    pytest.fail(f"Timed out waiting for {what}.\n{log}")


@pytest.fixture
def reports_env(settings, tmp_path):
    """The test process and the worker share a queue of their own and the file store."""
    media = tmp_path / "private"
    media.mkdir()
    settings.REPORTS_QUEUE = f"reports-test-{uuid.uuid4().hex[:8]}"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media},
        },
    }
    workers: list[Worker] = []

    def start(**extra_env) -> Worker:
        # A log each: a second worker is ready when *it* says so, not the first.
        log = tmp_path / f"worker-{len(workers) + 1}.log"
        worker = Worker(settings.REPORTS_QUEUE, media, log, **extra_env)
        workers.append(worker)
        return worker

    yield start, media
    for worker in workers:
        worker.stop()


def run_state(pk):
    return ReportRun.objects.get(pk=pk)


def test_a_report_is_queued_shows_its_progress_and_is_produced_by_the_worker(
    client, small_county, send_officer, reports_env
):
    start_worker, _ = reports_env
    client.force_login(send_officer)
    client.post(
        reverse("reports:list"),
        {
            "kind": "inclusiveness",
            "scope": "county",
            "academic_year": 2025,
            "national_ehcp_pct": "1.5",
        },
    )
    run = ReportRun.objects.get()
    # No worker yet: the page says it is queued and keeps polling.
    status = client.get(reverse("reports:status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert b"Queued" in status.content and b"every 2s" in status.content

    start_worker(REPORTS_TEST_PAUSE_SECONDS="3")
    # Part-way: the worker has written the first files and says what it is doing.
    wait_for(lambda: run_state(run.pk).progress == 60, 60, "progress")
    status = client.get(reverse("reports:status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert b"Running" in status.content
    assert b"Writing the spreadsheet" in status.content
    assert b'value="60"' in status.content
    assert not run_state(run.pk).csv_file  # nothing attached until the whole report is done

    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 90, "the report")
    done = client.get(reverse("reports:status", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true" and b"every 2s" not in done.content
    run = run_state(run.pk)
    assert run.attempts == 1 and run.requested_by == send_officer and run.data_as_of
    check_files_agree(run)
    page = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "Inclusiveness report: the county" in page


def test_a_failing_report_shows_the_user_a_clear_message(
    client, small_county, send_officer, reports_env
):
    start_worker, _ = reports_env
    start_worker()
    client.force_login(send_officer)
    created = client.post(
        "/api/v1/report-runs/",
        {"kind": "fair_share", "scope_kind": "county", "academic_year": 2031},
        content_type="application/json",
    ).json()
    wait_for(lambda: run_state(created["id"]).is_finished, 60, "the run to finish")
    polled = client.get(f"/api/v1/report-runs/{created['id']}/").json()
    assert polled["status"] == "failed"
    assert "no school figures for 2031/32" in polled["error_message"]
    page = client.get(reverse("reports:detail", args=[created["id"]])).content.decode()
    assert "The report could not be produced" in page
    assert "load the schools&#x27; yearly statistics" in page


def test_a_worker_killed_mid_report_leaves_no_half_report_and_the_retry_completes_it(
    client, small_county, send_officer, reports_env
):
    start_worker, media = reports_env
    client.force_login(send_officer)
    client.post(
        reverse("reports:list"),
        {"kind": "fair_share", "scope": "county", "academic_year": 2025},
    )
    run = ReportRun.objects.get()
    first = start_worker(REPORTS_TEST_VISIBILITY_TIMEOUT="2", REPORTS_TEST_PAUSE_SECONDS="120")
    # Part-way: the HTML and CSV files are written, the spreadsheet is not.
    wait_for(lambda: run_state(run.pk).progress == 60, 60, "the first attempt to start", first)
    first.kill()

    half = run_state(run.pk)
    assert half.status == RunStatus.RUNNING
    assert not (half.html_file or half.csv_file or half.xlsx_file or half.pdf_file)
    assert half.result is None
    assert list((media / f"reports/{run.pk}/attempt-1").iterdir())  # written, never attached

    time.sleep(2.5)  # the message is held until its visibility timeout passes
    start_worker(REPORTS_TEST_VISIBILITY_TIMEOUT="2")
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 90, "the retry")
    done = run_state(run.pk)
    assert done.attempts == 2
    assert "attempt-2" in done.csv_file.name
    check_files_agree(done)
    # What the killed attempt wrote is cleared away.
    leftover = media / f"reports/{run.pk}/attempt-1"
    assert not leftover.exists() or not list(leftover.iterdir())


def test_a_whole_worker_killed_mid_report_is_noticed_by_its_silent_heartbeat_and_finished(
    client, small_county, send_officer, reports_env, settings
):
    """No broker redelivery here (the message stays held for an hour): the run's own
    heartbeat stops with the worker, the requeue beat notices, and another worker
    finishes it. The same rule, with the portal's settings, acts within two minutes
    (tests/reports/test_stale_runs.py); here the times are shortened to seconds."""
    from reports import services

    start_worker, media = reports_env
    settings.REPORTS_STALE_AFTER_SECONDS = 4
    quick = {"REPORTS_HEARTBEAT_SECONDS": "0.5", "REPORTS_STALE_AFTER_SECONDS": "4"}
    client.force_login(send_officer)
    client.post(
        reverse("reports:list"),
        {"kind": "fair_share", "scope": "county", "academic_year": 2025},
    )
    run = ReportRun.objects.get()
    first = start_worker(
        REPORTS_TEST_VISIBILITY_TIMEOUT="3600", REPORTS_TEST_PAUSE_SECONDS="120", **quick
    )
    wait_for(lambda: run_state(run.pk).progress == 60, 60, "the report to start", first)
    # Alive, though stuck on one step for longer than the silence allowed: left alone.
    for _ in range(12):
        assert services.requeue_stale_runs()["requeued"] == []
        time.sleep(0.5)

    first.kill()
    killed_at = time.monotonic()

    def beat():
        return services.requeue_stale_runs()["requeued"]

    assert wait_for(beat, 30, "the requeue beat to notice the dead worker") == [run.pk]
    noticed_after = time.monotonic() - killed_at
    assert noticed_after < 4 + 5  # the allowance, and a beat
    page = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "The report worker stopped before finishing; the report is queued again" in page

    start_worker(REPORTS_TEST_VISIBILITY_TIMEOUT="3600", **quick)
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 90, "the second worker")
    done = run_state(run.pk)
    assert done.attempts == 2 and done.requeues == 1
    check_files_agree(done)
