"""Two-factor sign-in (TOTP) for the roles that see the most (docs/architecture.md §2).

Who must use it is ``settings.OTP_REQUIRED_ROLES``; whether it is enforced at all is
``settings.OTP_ENFORCED`` (on in production, off in the embedded demo). The policy is
read at request time, so a test can switch it with ``settings`` overrides.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.roles import scope_for

STAFF = "staff"
# Set by single sign-on (accounts/sso.py) when the identity provider asserted a second
# factor (its ``amr`` claim): that sign-in owes no code here.
SSO_MFA_SESSION_KEY = "portal_sso_mfa"


def requires_two_factor(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this user's role obliges them to verify a code after their password."""
    if not getattr(user, "is_authenticated", False):
        return False
    required = set(settings.OTP_REQUIRED_ROLES)
    if STAFF in required and (user.is_staff or user.is_superuser):
        return True
    return bool(scope_for(user).roles & required)


def is_verified(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this session has verified a code (django-otp's OTPMiddleware sets it)."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def two_factor_pending(user: AbstractBaseUser | AnonymousUser, request=None) -> bool:
    """Signed in, but still owing the code their role requires."""
    session = getattr(request, "session", None)
    return (
        bool(settings.OTP_ENFORCED)
        and getattr(user, "is_authenticated", False)
        and requires_two_factor(user)
        and not is_verified(user)
        and not (session is not None and session.get(SSO_MFA_SESSION_KEY))
    )
