"""Payments: instalments falling due and overpayments to recover (LA officers)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.roles import Scope

from ..models import (
    ZERO,
    Overpayment,
)
from .scoped import _scope, visible_instalments
from .totals import MONEY


def overpayments(user: AbstractBaseUser | Scope):
    """Money schools were paid beyond what they spent: (count, total, the newest 100).

    LA officers only; anyone else sees none.
    """
    if not _scope(user).is_la:
        return 0, ZERO, []
    qs = Overpayment.objects.all()
    summary = qs.aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)
    )
    listed = qs.select_related("request", "school", "budget__cluster").order_by(
        "-created_at", "-id"
    )[:100]
    return summary["n"], summary["total"], list(listed)


def due_instalments(user: AbstractBaseUser | Scope, on_date: date | None = None):
    """Scheduled instalments due by ``on_date``: (count, total, the first 100)."""
    day = on_date or timezone.localdate()
    qs = visible_instalments(user).filter(status="scheduled", due_date__lte=day)
    summary = qs.aggregate(
        n=Count("id"), total=Coalesce(Sum("amount"), Value(ZERO), output_field=MONEY)
    )
    return summary["n"], summary["total"], list(qs.order_by("due_date", "id")[:100])


def _skipped(user: AbstractBaseUser | Scope):
    return visible_instalments(user).filter(status="scheduled").exclude(skip_reason="")


def skipped_instalments(user: AbstractBaseUser | Scope):
    """Due instalments the payment run could not pay, with why: (count, the oldest 100)."""
    qs = _skipped(user)
    return qs.count(), list(qs.order_by("due_date", "id")[:100])


def skipped_count(user: AbstractBaseUser | Scope) -> int:
    """How many due instalments the payment run could not pay (one query; 0 outside the LA)."""
    return _skipped(user).count() if _scope(user).is_la else 0
