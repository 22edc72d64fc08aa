"""The portal's Celery app for the report worker tests, started by ``tests/reports/
test_worker.py`` with test-only knobs in its environment (the product has none):

- ``REPORTS_TEST_VISIBILITY_TIMEOUT``: a short visibility timeout, so a message held by a
  killed worker is handed out again within seconds (in production Redis' hour applies);
- ``REPORTS_TEST_PAUSE_SECONDS``: the report task stops that long part-way, once the
  HTML and CSV files are written and before the spreadsheet is, so a test can watch its
  progress or kill the worker with a report half-written;
- ``IMPORTS_TEST_PAUSE_SECONDS``: a school import stops that long each time it saves how
  far it has read, so a test can watch its progress (tests/clusters/test_import_worker.py).
"""

import os
import time

from celery.signals import task_prerun

from portal.celery import app

app.conf.broker_transport_options = {
    "visibility_timeout": int(os.environ.get("REPORTS_TEST_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

PAUSE_SECONDS = float(os.environ.get("REPORTS_TEST_PAUSE_SECONDS") or 0)


@task_prerun.connect
def _pause_report_part_way(sender=None, **_):
    """Before a report task runs (Django is set up by then), slow its spreadsheet down."""
    if not PAUSE_SECONDS or sender is None or sender.name != "reports.tasks.produce_report":
        return
    from reports import rendering

    if getattr(rendering.render_xlsx, "paused_for_tests", False):
        return
    render_xlsx = rendering.render_xlsx

    def paused_render_xlsx(*args, **kwargs):
        time.sleep(PAUSE_SECONDS)
        return render_xlsx(*args, **kwargs)

    paused_render_xlsx.paused_for_tests = True
    rendering.render_xlsx = paused_render_xlsx


IMPORT_PAUSE_SECONDS = float(os.environ.get("IMPORTS_TEST_PAUSE_SECONDS") or 0)


@task_prerun.connect
def _pause_import_progress(sender=None, **_):
    """Slow a school import down after each progress save, so a test sees it part-way."""
    if not IMPORT_PAUSE_SECONDS or sender is None:
        return
    if sender.name != "clusters.tasks.apply_school_import":
        return
    from clusters import uploads

    if getattr(uploads._progress, "paused_for_tests", False):
        return
    progress = uploads._progress

    def paused_progress(*args, **kwargs):
        progress(*args, **kwargs)
        time.sleep(IMPORT_PAUSE_SECONDS)

    paused_progress.paused_for_tests = True
    uploads._progress = paused_progress
