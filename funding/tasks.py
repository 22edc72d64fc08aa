"""Celery entry points of the funding app: each calls a service."""

from celery import shared_task


@shared_task(ignore_result=True)
def apply_retention() -> int:
    """Beat (nightly): the retention schedule applied (idempotent); the purges made."""
    from . import services

    return len(services.apply_retention().purges)
