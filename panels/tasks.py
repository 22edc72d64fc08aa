"""Celery entry points: daily, funding starts on its start date and reviews fall due."""

from celery import shared_task

from . import services


@shared_task
def activate_due_funding() -> int:
    return services.activate_due()


@shared_task
def mark_reviews_due() -> int:
    return services.reviews_due()
