"""The API's Basic authentication, refused to users who owe a second factor: a password
alone is not enough for them, and a Basic request has no session to verify a code in."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from . import requires_two_factor

BASIC_REFUSAL = (
    "Two-factor sign-in is required for your role, so the API does not accept a password "
    "(Basic authentication) from you. Sign in in a browser, verify the code from your "
    "authenticator app, and use that session."
)


class BasicAuthentication(authentication.BasicAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and settings.OTP_ENFORCED and requires_two_factor(result[0]):
            raise exceptions.PermissionDenied(BASIC_REFUSAL)
        return result


class BasicScheme(OpenApiAuthenticationExtension):
    """The schema documents it as plain HTTP Basic (it is, with the refusal above)."""

    target_class = BasicAuthentication
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "basic",
            "description": "Refused to roles that need two-factor sign-in when it is enforced.",
        }
