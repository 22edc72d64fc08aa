"""Audit of reads of pupil data: every view, download and export leaves a row."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.http import HttpRequest

from .models import ViewAudit


def record_view(
    request: HttpRequest,
    obj: models.Model | None = None,
    *,
    action: str = "view",
    object_type: str | None = None,
    object_ids: Iterable[object] | None = None,
    detail: str = "",
) -> None:
    """Record that ``request.user`` read ``obj`` (or, for a list/export, ``object_ids``)."""
    if obj is not None:
        object_type = object_type or obj._meta.label
        ids = [obj.pk]
    else:
        ids = list(object_ids or [""])
    ip = request.META.get("REMOTE_ADDR") or None
    ViewAudit.objects.bulk_create(
        [
            ViewAudit(
                user_id=request.user.pk,
                action=action,
                object_type=object_type or "",
                object_id=str(pk),
                detail=detail[:255],
                path=request.get_full_path()[:255],
                ip_address=ip,
            )
            for pk in ids
        ]
    )
