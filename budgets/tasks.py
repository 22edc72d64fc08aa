"""Celery entry points: the daily payment run and the nightly proof of the balances.

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


@shared_task(name="budgets.tasks.check_balances", acks_late=True)
def check_balances() -> int:
    """Prove every budget's balance equals its ledger's sums; alert on any difference."""
    return len(services.check_balances())
