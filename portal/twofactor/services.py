"""Writes for two-factor sign-in: starting an enrolment and checking a code."""

from __future__ import annotations

import math
from dataclasses import dataclass

import django_otp
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

WRONG_CODE = "Enter the 6-digit code from your authenticator app"
DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class CodeCheck:
    verified: bool
    error: str = ""


@transaction.atomic
def start_enrolment(user: AbstractBaseUser) -> TOTPDevice:
    """The user's unconfirmed device, made once, so the QR code stays the same on reload."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def check_code(request: HttpRequest, device: TOTPDevice, code: str) -> CodeCheck:
    """Check ``code`` against the user's ``device``. A right code confirms an enrolling
    device and marks this session verified; wrong ones are throttled by django-otp
    (each failure doubles the wait before the next try)."""
    with transaction.atomic():
        # Locked, so two concurrent tries can neither both pass nor dodge the throttle.
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(False, throttled_message((info or {}).get("locked_until")))
        if not device.verify_token(code):
            return CodeCheck(False, WRONG_CODE)
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    # A new session key for the more trusted session.
    request.session.cycle_key()
    django_otp.login(request, device)
    return CodeCheck(True)


def throttled_message(locked_until) -> str:
    seconds = 1
    if locked_until is not None:
        seconds = max(1, math.ceil((locked_until - timezone.now()).total_seconds()))
    unit = "second" if seconds == 1 else "seconds"
    return (
        f"You have entered too many wrong codes. Wait {seconds} {unit}, then enter the "
        "6-digit code your authenticator app shows"
    )
