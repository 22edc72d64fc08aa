"""The production settings (portal/settings.py, read from the environment as in
production) for a stack started by :mod:`tests.stack`, with two test-only changes:

- static files are served by WhiteNoise straight from the finders (no manifest), so a
  test need not spend a minute and a half in ``collectstatic``; ``bin/prod-check``
  collects them and runs ``portal.settings`` itself;
- Celery's default queue is the stack's own (``STACK_CELERY_QUEUE``), so its workers
  take only its own tasks from a Redis database that parallel tests share.
"""

import os

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = False

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("STACK_CELERY_QUEUE", "celery")
