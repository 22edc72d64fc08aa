"""The task's failure handling, run in-process (the real-worker tests are in test_worker.py)."""

import pytest

from reports import services
from reports.models import ReportKind, ReportRun, RunStatus, ScopeKind
from reports.tasks import produce_report


@pytest.fixture
def run(small_county, send_officer):
    return ReportRun.objects.create(
        kind=ReportKind.INCLUSIVENESS,
        scope_kind=ScopeKind.COUNTY,
        academic_year=2025,
        parameters=services.default_parameters(2025),
        requested_by=send_officer,
    )


def test_an_unexpected_error_is_retried_then_reported_plainly(run, monkeypatch):
    def broken(run):
        raise RuntimeError("connection reset")

    monkeypatch.setattr(services, "compute", broken)
    outcome = produce_report.apply(args=[run.pk])
    assert outcome.failed()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.attempts == 3  # the first try and two retries
    assert "could not be produced because of a problem in the portal" in run.error_message
    assert f"run number {run.pk}" in run.error_message
    assert "connection reset" not in run.error_message  # no internals shown to the user


def test_a_problem_the_user_can_fix_fails_at_once_with_its_message(run):
    run.parameters["national_ehcp_pct"] = "lots"
    run.save()
    produce_report.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.attempts == 1
    assert run.error_message.startswith("The report's parameters are not valid")


def test_a_run_that_has_gone_is_ignored(db):
    assert produce_report.apply(args=[987654]).successful()


def test_the_dashboard_offers_reports_to_officers(client, run, send_officer):
    client.force_login(send_officer)
    page = client.get("/").content.decode()
    assert "Inclusiveness and fair-share reports" in page
    assert str(run) in page
