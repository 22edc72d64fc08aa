"""Writes for two-factor sign-in: starting an enrolment and checking a code."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import django_otp
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
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


# --- Recovery codes (django-otp's static tokens) ------------------------------------

RECOVERY_DEVICE_NAME = "Recovery codes"
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
WRONG_RECOVERY_CODE = "Enter one of your recovery codes, like abcd-2345, that you have not used"


def _recovery_code() -> str:
    raw = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def normalise_recovery_code(code: str) -> str:
    raw = "".join(c for c in code.lower() if c.isalnum())
    return f"{raw[:4]}-{raw[4:]}" if len(raw) == 8 else raw


@transaction.atomic
def new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """A fresh set of single-use recovery codes; any earlier set stops working. The
    codes are shown once (the caller shows them; nothing shows them again)."""
    device, _ = StaticDevice.objects.select_for_update().get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_left(user: AbstractBaseUser) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY_DEVICE_NAME).count()


def use_recovery_code(request: HttpRequest, code: str) -> CodeCheck:
    """A right code verifies this session and is used up (django-otp deletes it);
    wrong ones are throttled like app codes."""
    with transaction.atomic():
        device = (
            StaticDevice.objects.select_for_update()
            .filter(user=request.user, name=RECOVERY_DEVICE_NAME, confirmed=True)
            .first()
        )
        if device is None:
            return CodeCheck(False, WRONG_RECOVERY_CODE)
        allowed, info = device.verify_is_allowed()
        if not allowed:
            return CodeCheck(False, throttled_message((info or {}).get("locked_until")))
        if not device.verify_token(normalise_recovery_code(code)):
            return CodeCheck(False, WRONG_RECOVERY_CODE)
    request.session.cycle_key()
    django_otp.login(request, device)
    return CodeCheck(True)
