"""Single sign-on with OpenID Connect, through django-allauth's ``openid_connect``
provider (docs/architecture.md §2, "Accounts").

The providers come from ``settings.OIDC_PROVIDERS`` (read into allauth's
``SOCIALACCOUNT_PROVIDERS``). The portal adds three rules to allauth's flow:

* the ID token's signature is always checked against the provider's published keys
  (allauth skips it for a token fetched from the token endpoint, trusting TLS; the
  portal checks anyway);
* an identity is let in only with a verified email in one of the provider's allowed
  domains, matching a person the LA has invited (a pending invitation is accepted
  then) or who already has an account: never a new account otherwise
  (:mod:`accounts.adapters`);
* two-factor sign-in is owed as for a password unless the provider says the person
  used a second factor (an ``amr`` value in the provider's ``mfa_amr``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from portal.twofactor import SSO_MFA_SESSION_KEY

# Set at sign-in through a provider that asserted a second factor.
MFA_SESSION_KEY = SSO_MFA_SESSION_KEY

# The invitation whose page the person left to sign in with their organisation.
INVITATION_SESSION_KEY = "portal_invitation_token"


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    domains: tuple[str, ...]
    mfa_amr: tuple[str, ...]
    origin: str = ""

    @property
    def login_url(self) -> str:
        return reverse("openid_connect_login", kwargs={"provider_id": self.id})

    def allows(self, email: str) -> bool:
        """An empty list of domains allows any address (the invitation still decides)."""
        domain = email.rpartition("@")[2].lower()
        return not self.domains or domain in self.domains


def configured() -> list[Provider]:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return [
        Provider(
            id=app["provider_id"],
            name=app.get("name", app["provider_id"]),
            domains=tuple(app.get("settings", {}).get("domains", [])),
            mfa_amr=tuple(app.get("settings", {}).get("mfa_amr", ["mfa"])),
            origin=_origin(app.get("settings", {}).get("server_url", "")),
        )
        for app in apps
    ]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def allow_forms_to_providers(view):
    """The page's sign-in buttons post here, and the answer redirects to the provider:
    the Content Security Policy's form-action must allow the providers' origins too."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        origins = sorted({p.origin for p in configured() if p.origin})
        if origins:
            response._csp_update = {"form-action": origins}
        return response

    return wrapped


def provider(provider_id: str) -> Provider | None:
    return next((p for p in configured() if p.id == provider_id), None)


def providers_for(email: str) -> list[Provider]:
    return [p for p in configured() if p.allows(email)]


def asserted_mfa(provider_id: str, claims: dict) -> bool:
    found = provider(provider_id)
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return bool(found and set(map(str, amr)) & set(found.mfa_amr))


class SignatureCheckingAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's adapter, checking the ID token's signature always (see the module)."""

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


@allow_forms_to_providers
def login(request: HttpRequest, provider_id: str) -> HttpResponse:
    if request.method == "POST" and request.POST.get("invitation"):
        # Came from an invitation's page: that invitation is the one to accept.
        request.session[INVITATION_SESSION_KEY] = request.POST["invitation"][:500]
    try:
        return OAuth2LoginView.adapter_view(SignatureCheckingAdapter(request, provider_id))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    try:
        return OAuth2CallbackView.adapter_view(SignatureCheckingAdapter(request, provider_id))(
            request
        )
    except SocialApp.DoesNotExist:
        raise Http404 from None
