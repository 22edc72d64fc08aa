"""Invitations: how a person gets an account (docs/architecture.md §2, "Accounts").

An invitation names a person by email, the role they will hold and where (a school, a
cluster's panel or the LA). Its link is a signed token naming the invitation and its
``nonce``; the link works once (``accepted_at``) until ``expires_at`` and not after a
revocation. Accepting makes the user and the membership in one transaction.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clusters.models import Cluster, Role, School


class InvitationState(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class Invitation(models.Model):
    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150)
    role = models.CharField(max_length=30, choices=Role.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, null=True, blank=True, related_name="invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invitations_sent"
    )
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    # A new nonce (a resend) makes every earlier link for this invitation useless.
    nonce = models.CharField(max_length=32)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_accepted",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_revoked",
    )

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["email"])]
        constraints = [
            # The same place rules as a membership (clusters.Membership).
            models.CheckConstraint(
                condition=(
                    Q(role__in=["senco", "headteacher"], school__isnull=False, cluster__isnull=True)
                    | Q(role="panel_member", cluster__isnull=False, school__isnull=True)
                    | Q(
                        role__in=["la_send_officer", "la_finance_officer", "dpo"],
                        school__isnull=True,
                        cluster__isnull=True,
                    )
                ),
                name="invitation_scope_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()} — {self.place}"

    @property
    def place(self) -> str:
        if self.school_id:
            return str(self.school)
        if self.cluster_id:
            return f"{self.cluster} panel"
        return settings.LA_NAME

    @property
    def state(self) -> str:
        if self.accepted_at:
            return InvitationState.ACCEPTED
        if self.revoked_at:
            return InvitationState.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationState.EXPIRED
        return InvitationState.PENDING

    @property
    def state_label(self) -> str:
        return InvitationState(self.state).label

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class UserSession(AbstractBaseSession):
    """A session (``accounts.sessions``) with the id of its signed-in user, if any."""

    user_id = models.BigIntegerField(null=True, db_index=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore

    class Meta:
        db_table = "accounts_session"
