"""On signing in: whether the sign-in counts as two-factor (accounts/sso.py), and the
session's idle clock (accounts/sessions.py)."""

from __future__ import annotations

from allauth.account.signals import user_logged_in as allauth_logged_in
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import sso


@receiver(user_logged_in)
def _forget_sso_mfa(sender, request, user, **kwargs) -> None:
    # Every sign-in starts owing the code; a provider's assertion is added below.
    if request is not None and hasattr(request, "session"):
        request.session.pop(sso.MFA_SESSION_KEY, None)


@receiver(user_logged_in)
def _start_the_idle_clock(sender, request, user, **kwargs) -> None:
    # Signing in is use: the session's clock starts (and its expiry is the user's
    # time-out) in the save the sign-in makes anyway, so the next pages write nothing.
    if request is not None and hasattr(request, "session"):
        from .sessions import start_clock

        start_clock(request.session, user)


@receiver(allauth_logged_in)
def _remember_sso_mfa(sender, request, user, sociallogin=None, **kwargs) -> None:
    if sociallogin is None:
        return
    id_claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
    if sso.asserted_mfa(sociallogin.account.provider, id_claims):
        request.session[sso.MFA_SESSION_KEY] = True
