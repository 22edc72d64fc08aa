"""The portal's rules inside django-allauth's flows: no self sign-up, and a single
sign-on identity let in only as a person the LA invited (accounts/sso.py)."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth import get_user_model
from django.shortcuts import render
from django.urls import reverse

from clusters.models import Membership

from . import services, sso
from .models import Invitation

User = get_user_model()


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        return False

    def get_login_redirect_url(self, request) -> str:
        return reverse("dashboard")

    def login(self, request, user) -> None:
        # django-axes' backend comes first and finds no one by id: sign in through
        # Django's own model backend, as the sign-in page does.
        if not hasattr(user, "backend"):
            user.backend = "django.contrib.auth.backends.ModelBackend"
        super().login(request, user)


def claims_of(sociallogin) -> dict:
    """The ID token's claims (signature checked), with the userinfo answer over them."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def _refuse(request, reason: str, status: int = 403):
    raise ImmediateHttpResponse(
        render(request, "accounts/not_invited.html", {"reason": reason}, status=status)
    )


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def pre_social_login(self, request, sociallogin) -> None:
        provider = sso.provider(sociallogin.account.provider)
        claims = claims_of(sociallogin)
        email = str(claims.get("email") or "").strip().lower()
        if not email:
            _refuse(
                request, "Your organisation's account did not give the portal an email address."
            )
        if not parse_bool_safely(claims.get("email_verified")):
            _refuse(request, "Your organisation has not verified your email address.")
        if provider is None or not provider.allows(email):
            _refuse(
                request,
                f"Addresses like {email} cannot sign in through {provider.name if provider else 'this provider'}.",
            )
        if sociallogin.is_existing:
            user = sociallogin.user
            if not user.is_active or not Membership.objects.current().filter(user=user).exists():
                _refuse(request, "Your account has no role in the portal.")
            return
        user = User.objects.filter(email__iexact=email).order_by("-is_active", "pk").first()
        if user is not None and not user.is_active:
            _refuse(request, "Your account is closed: ask your LA's administrator to open it.")
        if user is None:
            invitation = self._invitation(request, email)
            if invitation is None:
                _refuse(request, "")
            user = services.accept_with_identity(invitation.pk, email)
        sociallogin.connect(request, user)

    def _invitation(self, request, email: str) -> Invitation | None:
        """The invitation whose page they came from, if it is theirs; else any of theirs
        still pending."""
        token = request.session.pop(sso.INVITATION_SESSION_KEY, None)
        if token:
            try:
                chosen = services.open_invitation(token)
            except services.InvitationRefused:
                chosen = None
            if chosen is not None and chosen.email.lower() == email:
                return chosen
        return services.pending_for_email(email).order_by("created", "pk").first()
