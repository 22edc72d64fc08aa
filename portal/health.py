"""Is the portal healthy? Two answers, for two audiences (docs/architecture.md §12).

* ``/healthz`` (:class:`HealthzMiddleware`): for the load balancer. "This process
  serves requests" and nothing more: answered before any other middleware, so no
  database, session, audit, host check or HTTPS redirect is involved, and it stays 200
  while the database is down (a balancer must not pull every node for a database
  outage, and restarting web nodes would not mend it).
* Readiness (``/health/ready/``, :class:`portal.views.Readiness`): for operators. Each
  thing the portal needs, checked for real through django-health-check's checks:
  the database, the broker (Redis, or the embedded file broker), the private file
  store (a probe object written, read back and deleted) and a worker heartbeat newer
  than ``WORKER_HEARTBEAT_STALE_AFTER_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import ClassVar

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.checks import Database as _Database
from health_check.checks import Storage as _Storage
from health_check.exceptions import ServiceUnavailable

from .storage import STORAGE_ERRORS

HEALTHZ_PATH = "/healthz"


def healthz_response() -> JsonResponse:
    return JsonResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


class HealthzMiddleware:
    """Outermost: answers ``/healthz`` before anything can touch a session, the
    database or the Host header (a balancer probes by IP)."""

    def __init__(self, get_response):
        self.get_response = get_response
        # The answer still carries every page's security headers: the response half of
        # the middlewares that add them (none reads the Host, a session or the database).
        self.hardening = [
            SecurityMiddleware(get_response),
            CSPMiddleware(get_response),
            XFrameOptionsMiddleware(get_response),
        ]

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # GET and HEAD only: anything else goes the usual way (a POST meets CSRF).
        if request.path_info == HEALTHZ_PATH and request.method in ("GET", "HEAD"):
            response = healthz_response()
            for middleware in reversed(self.hardening):
                response = middleware.process_response(request, response)
            return response
        return self.get_response(request)


# --- the worker's heartbeat ---------------------------------------------------------


def record_heartbeat(worker: str) -> None:
    """Note that ``worker`` is alive now (one row per worker, overwritten)."""
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        worker=worker[:200], defaults={"beat_at": timezone.now()}
    )


def last_heartbeat() -> datetime.datetime | None:
    from .models import WorkerHeartbeat

    return WorkerHeartbeat.objects.order_by("-beat_at").values_list("beat_at", flat=True).first()


# --- readiness checks ---------------------------------------------------------------


class Named:
    """A check's plain-English name on the readiness page and in its JSON."""

    key: ClassVar[str]
    title: ClassVar[str]


def _closing_connection(run):
    """Sync checks run in a thread of their own: close that thread's connection after,
    rather than leave one open per probe."""

    def wrapped(self):
        try:
            return run(self)
        finally:
            connection.close()

    return wrapped


@dataclasses.dataclass
class DatabaseCheck(Named, _Database):
    key = "database"

    @property
    def title(self) -> str:  # type: ignore[override]
        return "PostgreSQL database" if settings.USING_POSTGRES else "SQLite database"


@dataclasses.dataclass
class FileBrokerCheck(Named, HealthCheck):
    """The embedded default's broker: a SQLite file (kombu's sqla transport)."""

    key = "broker"
    title = "Celery broker (a file: no Redis is configured)"

    def run(self) -> None:
        from .celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1)
        except Exception as exc:
            raise ServiceUnavailable("The broker file cannot be opened") from exc


def broker_check() -> HealthCheck:
    if not settings.REDIS_URL:
        return FileBrokerCheck()
    from health_check.contrib.redis import Redis
    from redis.asyncio import Redis as RedisClient

    @dataclasses.dataclass
    class RedisCheck(Named, Redis):
        key = "broker"
        title = "Redis (Celery broker and cache)"

    url = settings.REDIS_URL
    return RedisCheck(
        client_factory=lambda: RedisClient.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    )


@dataclasses.dataclass
class StorageCheck(Named, _Storage):
    """A probe object written, read back and deleted through Django's storage API."""

    key = "storage"
    alias: str = "private"
    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=20), repr=False
    )

    @property
    def title(self) -> str:  # type: ignore[override]
        from .storage import is_object_store

        return "File store (object storage)" if is_object_store() else "File store (local disk)"

    def get_file_name(self) -> str:
        return f"health-check/{super().get_file_name().rsplit('/', 1)[-1]}"

    def run(self) -> None:
        try:
            super().run()
        except STORAGE_ERRORS as exc:
            raise ServiceUnavailable("The file store did not answer") from exc


@dataclasses.dataclass
class WorkerHeartbeatCheck(Named, HealthCheck):
    key = "worker"
    title = "Celery worker (heartbeat)"

    @_closing_connection
    def run(self) -> None:
        beat_at = last_heartbeat()
        limit = settings.WORKER_HEARTBEAT_STALE_AFTER_SECONDS
        if beat_at is None:
            raise ServiceUnavailable("No worker has ever sent a heartbeat")
        age = (timezone.now() - beat_at).total_seconds()
        if age > limit:
            raise ServiceUnavailable(
                f"The last heartbeat was {age:.0f} seconds ago (more than {limit:.0f})"
            )


def readiness_checks() -> list[HealthCheck]:
    return [DatabaseCheck(), broker_check(), StorageCheck(), WorkerHeartbeatCheck()]
