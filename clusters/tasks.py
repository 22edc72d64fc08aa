"""Celery entry points of the clusters app: each calls a service."""

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def apply_school_import(import_id: int) -> None:
    """Apply a previewed GIAS or statistics import, all or nothing (idempotent)."""
    from . import uploads

    uploads.apply_import(import_id)


@shared_task(ignore_result=True)
def discard_old_previews() -> int:
    """Beat (nightly): discard previews left unapplied, deleting their files."""
    from . import uploads

    return len(uploads.discard_old_previews())
