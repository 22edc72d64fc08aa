"""The request id of the page that asked for a report is on the worker's log lines
for that report: a real worker process, its log in JSON (portal/logs.py)."""

import json

from django.urls import reverse

from reports.models import ReportRun, RunStatus
from tests.logcapture import json_log_lines

from .test_worker import pytestmark as worker_marks
from .test_worker import reports_env, run_state, wait_for  # noqa: F401 - a fixture

pytestmark = worker_marks


def test_a_report_asked_for_on_a_page_is_logged_by_the_worker_with_the_pages_request_id(
    client,
    small_county,
    send_officer,
    reports_env,  # noqa: F811
):
    start_worker, _ = reports_env
    client.force_login(send_officer)
    with json_log_lines() as web:
        client.post(
            reverse("reports:list"),
            {"kind": "inclusiveness", "scope": "county", "academic_year": 2025,
             "national_ehcp_pct": "1.5"},
            HTTP_X_REQUEST_ID="req-report-0042",
        )  # fmt: skip
    run = ReportRun.objects.get()
    queued = [line for line in web if line["event"] == "task_enqueued"]
    assert [q["child_task_name"] for q in queued] == ["reports.tasks.produce_report"]
    assert queued[0]["request_id"] == "req-report-0042"

    worker = start_worker(LOG_FORMAT="json")
    wait_for(lambda: run_state(run.pk).status == RunStatus.SUCCEEDED, 90, "the report", worker)
    wait_for(lambda: b"task_succeeded" in worker.log.read_bytes(), 30, "the log line", worker)
    # Celery prints its banner as text; every log line is one JSON object.
    logged = [
        json.loads(line) for line in worker.log.read_text().splitlines() if line.startswith("{")
    ]
    assert any(line["event"].endswith(" ready.") for line in logged)
    for_the_report = [line for line in logged if line.get("request_id") == "req-report-0042"]
    events = [line["event"] for line in for_the_report]
    assert "task_started" in events and "task_succeeded" in events
    started = next(line for line in for_the_report if line["event"] == "task_started")
    assert started["task"] == "reports.tasks.produce_report"
    assert started["task_id"] == queued[0]["child_task_id"]
