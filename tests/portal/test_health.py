"""The load balancer's /healthz and the operators' readiness check (portal/health.py).

Every failure here is real: the object store is moto's server reached at an address
nothing listens on, Redis is asked on a port it does not serve, the database is
reached at a port (or a file) that is not there, and the worker's heartbeat is missing
or stale."""

from __future__ import annotations

import datetime
import os
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from clusters.models import Role
from portal.models import WorkerHeartbeat
from portal.tasks import worker_heartbeat
from tests import objectstore
from tests.factories import UserFactory, make_user

# The checks run in threads of their own, with connections of their own: they see only
# committed rows.
committed = pytest.mark.django_db(transaction=True)
READY = "/health/ready/"


@pytest.fixture
def operator(db):
    return UserFactory(username="operator", is_staff=True)


@pytest.fixture
def signed_in_operator(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def worker_alive():
    """A worker took beat's heartbeat task just now (run through Celery, eagerly)."""
    worker_heartbeat.apply()
    return WorkerHeartbeat.objects.get()


def readiness(client):
    response = client.get(READY, {"format": "json"})
    return response.status_code, response.json()


def failing(answer) -> set[str]:
    return {key for key, check in answer["checks"].items() if not check["ok"]}


# --- /healthz ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_load_balancer_is_told_the_process_serves_without_a_query(
    client, django_assert_num_queries
):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert not response.cookies  # no session, no CSRF cookie
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_a_balancer_probing_by_ip_over_http_in_production(client, settings):
    # No django_db mark: any query, session or audit write would fail this test.
    settings.DEBUG = False
    settings.SECURE_SSL_REDIRECT = True
    settings.OTP_ENFORCED = True
    response = client.get("/healthz", HTTP_HOST="10.0.3.17:8000")  # not in ALLOWED_HOSTS
    assert response.status_code == 200  # no redirect to https, no 400 for the host


@pytest.mark.django_db
def test_healthz_stays_200_while_the_database_is_down(client):
    connection.close()
    with database_down():
        assert client.get("/healthz").status_code == 200


# --- readiness: who sees it -------------------------------------------------------


@pytest.mark.django_db
def test_readiness_is_for_administrators_only(client, school_a, send_officer, finance_officer):
    senco = make_user(Role.SENCO, school=school_a)
    for user in (senco, send_officer, finance_officer):
        client.force_login(user)
        assert client.get(READY).status_code == 404
        assert client.get(READY, {"format": "json"}).status_code == 404
    client.logout()
    response = client.get(READY)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- readiness: all well, then each thing broken ----------------------------------


@committed
def test_an_operator_sees_every_service_answering(signed_in_operator, object_store, worker_alive):
    status, answer = readiness(signed_in_operator)
    assert status == 200, answer
    assert answer["status"] == "ok"
    assert set(answer["checks"]) == {"database", "broker", "storage", "worker"}
    assert answer["checks"]["storage"]["name"] == "File store (object storage)"
    broker = answer["checks"]["broker"]["name"]
    assert ("Redis" in broker) if os.environ.get("REDIS_URL") else ("a file" in broker)
    # The probe object was written, read back and deleted: the bucket is left empty.
    assert object_store.names() == []

    page = signed_in_operator.get(READY)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Service readiness" in html
    assert "Every service the portal needs is answering." in html


@committed
def test_the_object_store_down_is_named_and_answers_503(
    signed_in_operator, object_store, worker_alive, settings
):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": objectstore.s3_storage_setting(object_store.name, objectstore.dead_endpoint()),
    }
    status, answer = readiness(signed_in_operator)
    assert status == 503
    assert answer["status"] == "failing"
    assert failing(answer) == {"storage"}
    assert answer["checks"]["storage"]["message"] == "The file store did not answer"

    page = signed_in_operator.get(READY)
    assert page.status_code == 503
    assert "1 of 4 checks failed" in page.content.decode()
    assert "File store (object storage): The file store did not answer" in page.content.decode()


@committed
def test_redis_on_the_wrong_port_is_named_and_answers_503(
    signed_in_operator, worker_alive, settings
):
    settings.REDIS_URL = f"redis://127.0.0.1:{objectstore.free_port()}/2"
    status, answer = readiness(signed_in_operator)
    assert status == 503
    assert failing(answer) == {"broker"}
    assert answer["checks"]["broker"]["message"].startswith("Unable to connect to Redis")


@committed
def test_a_worker_never_heard_from_is_named_and_answers_503(signed_in_operator):
    status, answer = readiness(signed_in_operator)
    assert status == 503
    assert failing(answer) == {"worker"}
    assert answer["checks"]["worker"]["message"] == "No worker has ever sent a heartbeat"


@committed
def test_a_worker_silent_longer_than_the_setting_is_named(
    signed_in_operator, worker_alive, settings
):
    settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS = 180
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - datetime.timedelta(seconds=170))
    assert readiness(signed_in_operator)[0] == 200
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - datetime.timedelta(seconds=200))
    status, answer = readiness(signed_in_operator)
    assert status == 503 and failing(answer) == {"worker"}
    assert "more than 180" in answer["checks"]["worker"]["message"]


@committed
def test_the_database_down_is_named_and_answers_503(signed_in_operator, worker_alive):
    with database_down():
        status, answer = readiness(signed_in_operator)
    assert status == 503
    assert answer["checks"]["database"]["name"].endswith("database")
    # The worker's heartbeat is in the database too, so it cannot be read either.
    assert failing(answer) == {"database", "worker"}


@contextmanager
def database_down():
    """Every new connection goes to a port (PostgreSQL) or a file (SQLite) that is not
    there. The readiness checks open their own, in threads of their own; this thread's
    connection (the test's session and user) is left as it is."""
    saved = connections.settings["default"]
    if saved["ENGINE"].endswith("sqlite3"):
        connections.settings["default"] = {**saved, "NAME": "/nonexistent-directory/db.sqlite3"}
    else:
        connections.settings["default"] = {**saved, "PORT": str(objectstore.free_port())}
    try:
        yield
    finally:
        connections.settings["default"] = saved
