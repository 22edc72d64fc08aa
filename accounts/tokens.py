"""The invitation link's token: signed (SECRET_KEY), naming the invitation and its nonce.

A forged or altered token fails the signature; an old link fails the nonce (a resend
makes a new one); the expiry is the invitation's own ``expires_at`` (the signature's
timestamp is a second lock with the same length).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing

SALT = "accounts.invitation"


def make(invitation_id: int, nonce: str) -> str:
    return signing.dumps({"i": invitation_id, "n": nonce}, salt=SALT)


def read(token: str) -> tuple[int, str]:
    """The invitation id and nonce; ``signing.BadSignature`` (or its subclass
    ``SignatureExpired``) for a token the portal did not make or that is too old."""
    data = signing.loads(token, salt=SALT, max_age=settings.INVITATION_DAYS * 24 * 3600 + 60)
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise signing.BadSignature("not an invitation")
    return data["i"], str(data.get("n", ""))
