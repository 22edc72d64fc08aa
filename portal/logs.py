"""Structured logs (django-structlog): one JSON object a line on stdout in production,
readable lines while developing (``LOG_FORMAT``), each line of a request carrying its
``request_id`` (the incoming ``X-Request-ID`` or a new one), carried into every Celery
task the request queues (docs/architecture.md §12).

No pupil data: every event's keys pass :func:`portal.scrub.scrub`, and the request
lines name the path without its query string (a search by a pupil's initials).
"""

from __future__ import annotations

from typing import Any

import structlog
from django.http import HttpRequest

from .scrub import scrub


def scrub_pupil_fields(logger: Any, method: str, event_dict: dict) -> dict:
    return scrub(event_dict)


def request_by_path(logger: Any, method: str, event_dict: dict) -> dict:
    """Django's own lines (``django.request``: "Not Found", "Internal Server Error")
    carry the request object, whose repr has the query string; they are written after
    django-structlog's middleware has unbound the request id. Name the request by its
    path, with the id it was given."""
    request = event_dict.get("request")
    if isinstance(request, HttpRequest):
        event_dict["request"] = f"{request.method} {request.path}"
        if request_id := getattr(request, "log_request_id", None):
            event_dict.setdefault("request_id", request_id)
    if event_dict.get("message") == event_dict.get("event"):
        event_dict.pop("message")
    return event_dict


def _shared_processors() -> list:
    return [
        structlog.contextvars.merge_contextvars,
        request_by_path,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        scrub_pupil_fields,
    ]


def logging_config(log_format: str, level: str, request_level: str) -> dict:
    """Django's ``LOGGING``: every record (the portal's, Django's, Celery's) through
    structlog's formatter, so stdlib lines carry the request id too."""
    renderer = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if log_format == "json"
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "portal": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    *renderer,
                ],
                "foreign_pre_chain": [structlog.stdlib.ExtraAdder(), *_shared_processors()],
            }
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "portal",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django_structlog": {"level": request_level}},
    }


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.UnicodeDecoder(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def _path_only(request, log_kwargs: dict, **_: Any) -> None:
    log_kwargs["request"] = f"{request.method} {request.path}"
    request.log_request_id = structlog.contextvars.get_contextvars().get("request_id")


def connect_signals() -> None:
    """django-structlog logs ``GET /search/?q=AB``; the query string stays out."""
    from django_structlog import signals

    signals.bind_extra_request_metadata.connect(_path_only, dispatch_uid="portal-path-only")
    signals.bind_extra_request_finished_metadata.connect(
        _path_only, dispatch_uid="portal-path-only-finished"
    )
