"""What the panels services share: the error they refuse with and small helpers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from clusters.models import Membership, Role
from funding.models import FundingRequest
from portal.errors import DomainError

PENNY = Decimal("0.01")


class PanelError(DomainError):
    """A panel action that may not happen; the message is for the person who tried."""


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _school_staff(funding_request: FundingRequest) -> list[AbstractBaseUser]:
    """Who hears of a decision: the school's SENCOs and whoever made the request."""
    users = {
        m.user
        for m in Membership.objects.filter(
            school_id=funding_request.school_id, role=Role.SENCO
        ).select_related("user")
    }
    users.add(funding_request.created_by)
    return sorted(users, key=lambda u: u.pk)
