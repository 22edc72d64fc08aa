"""Every read of the accounts app, scoped to the user."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from . import policy
from .models import Invitation, InvitationState


def visible_invitations(user: AbstractBaseUser) -> QuerySet[Invitation]:
    """The LA SEND officer sees the county's invitations; anyone else none."""
    if not policy.can_see_invitations(user):
        return Invitation.objects.none()
    return Invitation.objects.select_related("school", "cluster", "invited_by")


def invitations(user: AbstractBaseUser, *, state: str = "", query: str = "") -> QuerySet:
    found = visible_invitations(user)
    now = timezone.now()
    if state == InvitationState.PENDING:
        found = found.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
    elif state == InvitationState.ACCEPTED:
        found = found.filter(accepted_at__isnull=False)
    elif state == InvitationState.REVOKED:
        found = found.filter(revoked_at__isnull=False)
    elif state == InvitationState.EXPIRED:
        found = found.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
    if query:
        found = found.filter(
            Q(email__icontains=query)
            | Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(school__name__icontains=query)
        )
    return found


def invitation(user: AbstractBaseUser, pk: int) -> Invitation:
    found = visible_invitations(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
