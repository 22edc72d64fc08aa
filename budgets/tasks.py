"""Celery entry point: the daily payment run.

Schedule (the lead adds it to CELERY_BEAT_SCHEDULE): ``budgets.tasks.pay_due_instalments``
daily at 06:00, before the finance team starts, so the payment export they take that
morning includes everything due that day.
"""

from celery import shared_task

from . import services


@shared_task(name="budgets.tasks.pay_due_instalments", acks_late=True)
def pay_due_instalments() -> int:
    """Pay every instalment due by today; idempotent, so a retry or a double run pays nothing twice."""
    return services.pay_due_instalments()
