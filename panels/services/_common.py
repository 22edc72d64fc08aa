"""What the panels services share: the error they refuse with and small helpers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from portal.errors import DomainError

PENNY = Decimal("0.01")


class PanelError(DomainError):
    """A panel action that may not happen; the message is for the person who tried."""


def _today(today: date | None) -> date:
    return today or timezone.localdate()
