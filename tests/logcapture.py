"""The portal's log lines as the production handler writes them (JSON), captured."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils.module_loading import import_string


@contextmanager
def json_log_lines() -> Iterator[list[dict]]:
    """Every log line written meanwhile, formatted by the portal's own formatter in its
    JSON mode and parsed back (a line that is not JSON fails the test)."""
    from portal.logs import logging_config

    spec = dict(logging_config("json", "WARNING", "INFO")["formatters"]["portal"])
    formatter = import_string("structlog.stdlib.ProcessorFormatter")(
        **{k: v for k, v in spec.items() if k != "()"}
    )
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(json.loads(line) for line in out.getvalue().splitlines())
    assert settings.LOGGING["formatters"]["portal"]["()"] is spec["()"]
