"""Celery entry points: each calls a service.

``produce_report`` is acknowledged late and rejected (so redelivered) if the worker
dies: the service attaches files only at the end, in one transaction, so a killed
worker leaves no half report and the redelivered task produces the whole report.
"""

from celery import shared_task

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    ignore_result=True,
)
def produce_report(self, run_id: int, generation: int = 0) -> None:
    try:
        services.produce(run_id, generation=generation)
    except services.ReportError as exc:
        services.fail(run_id, str(exc))
    except Exception as exc:
        if self.request.retries >= self.max_retries:
            services.fail_after_retries(run_id)
            raise
        countdown = 5 * (self.request.retries + 1)
        services.will_retry(run_id, countdown)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(ignore_result=True)
def produce_termly_reports() -> int:
    """Beat: both reports for the county and every cluster, once a term."""
    return len(services.schedule_termly_reports())


@shared_task(ignore_result=True)
def requeue_stale_runs() -> int:
    """Beat (every minute): send again the runs a lost worker or message left queued or
    running (a running run is lost once its heartbeat has been silent for
    ``REPORTS_STALE_AFTER_SECONDS``)."""
    outcome = services.requeue_stale_runs()
    return len(outcome["requeued"]) + len(outcome["failed"])


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def import_escalation(import_id: int) -> None:
    """Check the staged escalation rows and write them, all or nothing (idempotent)."""
    from . import escalation

    escalation.finish_import(import_id)
