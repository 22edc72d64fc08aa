"""The Celery application.

Embedded default: a SQLite-backed broker (kombu's ``sqla`` transport), so a real
worker process runs with no server. Production and CI: Redis (``REDIS_URL``).
"""

import os

from celery import Celery
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task's log lines carry the request id of the request that queued it.
app.steps["worker"].add(DjangoStructLogInitStep)
