"""Who may invite whom: the accounts app's rules (portal.policy's registry reads them)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.roles import scope_for

User = AbstractBaseUser | AnonymousUser


def can_invite(user: User) -> bool:
    """The LA SEND officer runs the scheme's people; an administrator may too."""
    return scope_for(user).is_send_officer


def can_see_invitations(user: User) -> bool:
    return scope_for(user).is_send_officer


def can_reset_two_factor(user: User) -> bool:
    """Only an administrator resets another person's two-factor sign-in."""
    return bool(getattr(user, "is_superuser", False))


def can_manage_people(user: User) -> bool:
    """The people page and ending a membership: the LA SEND officer (an administrator
    too). Anyone else is not shown the pages at all (404)."""
    return scope_for(user).is_send_officer


def can_end_membership(user: User, membership) -> bool:
    """A membership not yet ended (once ended, its end stands: the record is the LA's)."""
    return can_manage_people(user) and membership.ends_on is None
