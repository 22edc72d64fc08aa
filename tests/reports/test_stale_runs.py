"""Runs the broker or a worker lost (a machine gone, a message dropped, Redis' visibility
timeout not reached yet) are sent again by the beat task ``requeue_stale_runs``; runs
that are only waiting behind a busy worker are left alone; a run that keeps getting lost
fails with the plain message; a late copy of an old message does not run the report twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from portal.models import Notification
from reports import services
from reports.models import ReportKind, ReportRun, RunStatus, ScopeKind
from reports.tasks import produce_report, requeue_stale_runs

LONG_AGO = timedelta(minutes=20)  # far more than the 45 seconds of silence allowed


@pytest.fixture
def sent(monkeypatch):
    """What the portal sends to the worker: (run id, generation)."""
    messages = []
    monkeypatch.setattr(
        services, "enqueue", lambda run_id, generation=0: messages.append((run_id, generation))
    )
    return messages


def ask(user, kind=ReportKind.INCLUSIVENESS) -> ReportRun:
    return services.request_report(
        user=user,
        kind=kind,
        scope_kind=ScopeKind.COUNTY,
        scope_id=None,
        academic_year=2025,
    )


def silent_for(run: ReportRun, delta: timedelta, **fields) -> None:
    ReportRun.objects.filter(pk=run.pk).update(progress_at=timezone.now() - delta, **fields)


def test_a_run_whose_worker_died_is_sent_again_and_completes_once(
    small_county, send_officer, sent, django_capture_on_commit_callbacks
):
    run = ask(send_officer)
    # A worker started it, then its machine was lost: running, no progress for 20 minutes.
    silent_for(run, LONG_AGO, status=RunStatus.RUNNING, attempts=1, progress=40)
    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_runs.apply().get() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.QUEUED and run.requeues == 1
    assert run.progress_message == services.REQUEUED_MESSAGE
    assert sent[-1] == (run.pk, 1)

    # The new message is produced; the old one, handed out late by Redis, does nothing.
    produce_report.apply(args=[run.pk], kwargs={"generation": 1})
    produce_report.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.attempts == 2


def test_a_queued_run_whose_message_was_lost_is_sent_again_when_the_worker_is_idle(
    small_county, send_officer, sent, django_capture_on_commit_callbacks
):
    run = ask(send_officer)
    silent_for(run, LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.requeue_stale_runs()
    assert outcome == {"requeued": [run.pk], "failed": []}
    assert sent[-1] == (run.pk, 1)


def test_runs_waiting_behind_a_busy_worker_and_fresh_runs_are_left_alone(
    small_county, send_officer, sent
):
    waiting = ask(send_officer)
    silent_for(waiting, LONG_AGO)
    # The worker is busy with another report, whose heartbeat was 20 seconds ago.
    busy = ask(send_officer, ReportKind.FAIR_SHARE)
    silent_for(busy, timedelta(seconds=20), status=RunStatus.RUNNING, attempts=1)
    fresh = ask(send_officer)
    assert services.requeue_stale_runs() == {"requeued": [], "failed": []}
    assert {r.status for r in ReportRun.objects.filter(pk__in=[waiting.pk, fresh.pk])} == {
        RunStatus.QUEUED
    }
    assert ReportRun.objects.get(pk=busy.pk).status == RunStatus.RUNNING


def test_finished_runs_are_never_touched(small_county, send_officer, sent):
    run = ask(send_officer)
    services.fail(run.pk, "No figures.")
    silent_for(run, LONG_AGO)
    assert services.requeue_stale_runs() == {"requeued": [], "failed": []}
    assert ReportRun.objects.get(pk=run.pk).status == RunStatus.FAILED


def test_requeueing_twice_at_once_sends_the_run_once(
    small_county, send_officer, sent, django_capture_on_commit_callbacks
):
    run = ask(send_officer)
    silent_for(run, LONG_AGO, status=RunStatus.RUNNING, attempts=1)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.requeue_stale_runs()
        second = services.requeue_stale_runs()
    assert first["requeued"] == [run.pk] and second == {"requeued": [], "failed": []}
    assert sent == [(run.pk, 1)]


def test_a_run_lost_again_and_again_fails_plainly_and_the_requester_is_told(
    small_county, send_officer, sent, django_capture_on_commit_callbacks
):
    run = ask(send_officer)
    for generation in range(1, services.MAX_REQUEUES + 1):
        silent_for(run, LONG_AGO)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.requeue_stale_runs()["requeued"] == [run.pk]
        assert sent[-1] == (run.pk, generation)
    silent_for(run, LONG_AGO)
    assert services.requeue_stale_runs() == {"requeued": [], "failed": [run.pk]}
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert f"run number {run.pk}" in run.error_message
    assert Notification.objects.filter(
        user=send_officer, subject__startswith="Your report could not be produced"
    ).exists()
    # A copy of a message still in the broker does not bring it back.
    produce_report.apply(args=[run.pk], kwargs={"generation": services.MAX_REQUEUES})
    assert ReportRun.objects.get(pk=run.pk).status == RunStatus.FAILED


def test_a_run_already_tried_three_times_is_not_sent_again(small_county, send_officer, sent):
    run = ask(send_officer)
    silent_for(run, LONG_AGO, status=RunStatus.RUNNING, attempts=services.MAX_ATTEMPTS)
    assert services.requeue_stale_runs()["failed"] == [run.pk]
    assert ReportRun.objects.get(pk=run.pk).status == RunStatus.FAILED


def test_progress_keeps_a_long_run_alive(small_county, send_officer, sent, settings):
    settings.REPORTS_STALE_AFTER_SECONDS = 45
    run = ask(send_officer)
    silent_for(run, LONG_AGO, status=RunStatus.RUNNING, attempts=1)
    services._progress(run.pk, 60, "Writing the spreadsheet")  # the worker is alive
    assert services.requeue_stale_runs()["requeued"] == []


def test_with_the_portals_settings_a_dead_workers_run_is_sent_again_within_two_minutes():
    from django.conf import settings

    from portal.settings import CELERY_BEAT_SCHEDULE

    beat = CELERY_BEAT_SCHEDULE["requeue-stale-report-runs"]["schedule"]
    assert beat.minute == set(range(60))  # every minute
    # Silent for the allowance, then at most one beat's wait.
    assert services.stale_after().total_seconds() + 60 <= 120
    # A live worker beats several times within the allowance.
    assert settings.REPORTS_HEARTBEAT_SECONDS * 3 <= settings.REPORTS_STALE_AFTER_SECONDS


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_keeps_a_run_alive_while_one_step_takes_long(
    small_county, send_officer, sent, settings
):
    settings.REPORTS_HEARTBEAT_SECONDS = 0.2
    settings.REPORTS_STALE_AFTER_SECONDS = 45
    run = ask(send_officer)
    silent_for(run, LONG_AGO, status=RunStatus.RUNNING, attempts=1)

    with services.heartbeat(run.pk):
        import time

        time.sleep(1)  # a long step: no progress, only the heartbeat

    alive = ReportRun.objects.get(pk=run.pk)
    assert timezone.now() - alive.progress_at < timedelta(seconds=5)
    assert services.requeue_stale_runs()["requeued"] == []
