"""Celery entry points, run daily by beat: funding starts on its start date, reviews fall
due, and meetings left unfinished after their day are closed or cancelled.

Each calls an idempotent service (see ``panels.services``): running one twice, or
retrying it after a failure, changes nothing the first run already did.
"""

from celery import shared_task

from . import services


@shared_task
def activate_due_funding() -> int:
    return services.activate_due()


@shared_task
def mark_reviews_due() -> int:
    return services.reviews_due()


@shared_task
def sweep_past_meetings() -> dict[str, int]:
    return services.sweep_past_meetings()
