from celery import shared_task
from django.db import connection

from . import health


@shared_task(ignore_result=False)
def ping() -> str:
    """A worker health check: answers once it has reached the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "pong"


@shared_task(bind=True, ignore_result=True)
def worker_heartbeat(self) -> None:
    """Sent by beat every minute; whichever worker takes it notes the time."""
    health.record_heartbeat(self.request.hostname or "worker")
