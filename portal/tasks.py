from celery import shared_task
from django.db import connection


@shared_task(ignore_result=False)
def ping() -> str:
    """A worker health check: answers once it has reached the database."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "pong"
