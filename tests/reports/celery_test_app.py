"""The portal's Celery app for the report worker tests, with a short visibility timeout
so that a message held by a killed worker is handed out again within seconds (in
production the Redis default of an hour applies)."""

import os

from portal.celery import app

app.conf.broker_transport_options = {
    "visibility_timeout": int(os.environ.get("REPORTS_TEST_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
