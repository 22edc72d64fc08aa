"""The invitations section of the LA SEND officer's dashboard."""

from __future__ import annotations

from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.dashboards import Section
from portal.roles import Scope

from . import policy, selectors
from .models import InvitationState


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    found = []
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        found.append(
            Section(
                title="Your two-factor sign-in",
                template="accounts/dashboard_two_factor.html",
                order=95,
            )
        )
    if not policy.can_invite(request.user):
        return found
    pending = selectors.invitations(request.user, state=InvitationState.PENDING).count()
    found.append(
        Section(
            title="People and invitations",
            template="accounts/dashboard_section.html",
            context={"pending": pending},
            order=85,
        )
    )
    return found
