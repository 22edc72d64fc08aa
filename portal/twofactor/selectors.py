"""Reads for two-factor sign-in: the user's own devices only."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.contrib.auth.models import AbstractBaseUser
from django_otp.plugins.otp_totp.models import TOTPDevice


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def enrolment_details(device: TOTPDevice) -> dict[str, str]:
    """The QR code (inline SVG: no image request, no script) and the same secret as text
    in groups of four, for apps set up by typing it in."""
    qr = segno.make(device.config_url, error="m")
    svg = qr.svg_inline(
        scale=5,
        border=4,
        light="#fff",
        title="QR code to scan with your authenticator app",
        svgclass="portal-qr",
    )
    # role="img" makes the <title> the image's accessible name.
    svg = svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return {
        "qr_svg": svg,
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
