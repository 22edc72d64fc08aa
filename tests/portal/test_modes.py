"""The two ways the portal runs: embedded (SQLite, a broker in a file) and production
(PostgreSQL, Redis). Each is started as a newcomer or an operator would, in a fresh process."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))
SERVICE_VARS = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CI",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by the browser tests for their own process only
)


def _env(tmp_path, **extra):
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings", "PRIVATE_MEDIA_ROOT": str(tmp_path)})
    env.update(extra)
    return env


def _settings_seen_by(env):
    code = (
        "import django, json; django.setup(); from django.conf import settings as s;"
        "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'],"
        " 'broker': s.CELERY_BROKER_URL.split(':')[0]}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _ping_through_a_real_worker(env):
    # A queue of its own: nothing another test (or xdist worker) left on the broker is
    # taken, and no other worker takes the ping.
    queue = f"modes-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [CELERY, "-A", "portal", "worker", "-P", "solo", "--loglevel=warning"]
        + ["-Q", queue, "-n", f"{queue}@%h", "--without-gossip", "--without-mingle"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        code = (
            "import django; django.setup(); from portal.tasks import ping;"
            f" print(ping.apply_async(queue={queue!r}).get(timeout=60))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
        )
        assert out.stdout.strip().endswith("pong"), out.stderr
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_with_nothing_set_the_portal_uses_sqlite_and_a_broker_that_needs_no_server(tmp_path):
    env = _env(tmp_path)
    assert _settings_seen_by(env) == {
        "engine": "django.db.backends.sqlite3",
        "broker": "sqla+sqlite",
    }


def test_embedded_broker_runs_tasks_in_a_real_worker_process(tmp_path):
    env = _env(
        tmp_path,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        CELERY_BROKER_URL=f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}",
        CELERY_RESULT_BACKEND=f"db+sqlite:///{tmp_path / 'results.sqlite3'}",
    )
    _ping_through_a_real_worker(env)


@pytest.mark.skipif(
    not (os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL"))
    and not os.environ.get("CI"),
    reason="production mode needs DATABASE_URL and REDIS_URL (always set in CI)",
)
def test_production_mode_uses_postgresql_and_redis_with_a_real_worker(tmp_path, db):
    from django.db import connection

    redis_url = os.environ["REDIS_URL"]
    # The worker must reach the test database pytest-django created, not the real one.
    test_db = connection.settings_dict["NAME"]
    database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{test_db}"
    env = _env(
        tmp_path,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
    )
    assert _settings_seen_by(env) == {
        "engine": "django.db.backends.postgresql",
        "broker": "redis",
    }
    _ping_through_a_real_worker(env)


def test_deploy_checks_are_clean_when_debug_is_off(tmp_path):
    env = _env(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="a-long-random-production-secret-key-for-the-deploy-check-0123456789",
        ALLOWED_HOSTS="portal.example.gov.uk",
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
