"""The pupil key: a keyed hash of the pupil's UPN, never the UPN itself.

A UPN (DfE's unique pupil number) is 13 characters: a check letter, then 11 digits,
then a digit (or, for a temporary UPN, a letter). The check letter is computed from
the other 12: each is multiplied by its position's weight (2 to 13), the products
added up, and the remainder modulo 23 names the letter in ``CHECK_LETTERS`` (no I, O
or S). A letter in the last place counts as its position in the same alphabet.

The portal keeps only ``HMAC-SHA256(PUPIL_KEY_SECRET, UPN)`` (64 hex characters): the
same pupil gets the same key in any school and year, and without the secret (set in
the environment, never in the database) a key cannot be turned back into a UPN, nor
tested against a list of UPNs. Rotating the secret needs the UPNs again (the LA's
extract), see ``reports/management/commands/rotate_pupil_key.py``.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_LENGTH = 13


def normalise(upn: str) -> str:
    """The UPN as typed, without spaces and in capitals."""
    return "".join((upn or "").split()).upper()


def check_letter(rest: str) -> str:
    """The check letter for the 12 characters after it (11 digits, then a digit or a
    letter). Raises ValueError for anything else."""
    if len(rest) != 12 or not rest[:11].isdigit() or not rest[:11].isascii():
        raise ValueError("a UPN has 11 digits after its check letter")
    last = rest[11]
    if last.isdigit() and last.isascii():
        last_value = int(last)
    elif last in CHECK_LETTERS:
        last_value = CHECK_LETTERS.index(last)
    else:
        raise ValueError("a UPN ends in a digit or a letter")
    values = [int(c) for c in rest[:11]] + [last_value]
    total = sum(weight * value for weight, value in zip(range(2, 14), values, strict=True))
    return CHECK_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """What is wrong with a UPN (already normalised), in plain English, or None."""
    if len(upn) != UPN_LENGTH:
        return "A UPN is 13 characters: a letter, then 12 digits, like A123456789012"
    try:
        expected = check_letter(upn[1:])
    except ValueError:
        return "A UPN is a letter, then 11 digits, then a digit or a letter"
    if upn[0] != expected:
        return "This is not a valid UPN: its first letter does not match the rest. Check it"
    return None


def is_valid(upn: str) -> bool:
    return upn_problem(normalise(upn)) is None


def key_for(upn: str, secret: str) -> str:
    """HMAC-SHA256 of the normalised UPN under ``secret``, as 64 hex characters."""
    return hmac.new(secret.encode(), normalise(upn).encode(), hashlib.sha256).hexdigest()


def current_secret() -> str:
    secret = getattr(settings, "PUPIL_KEY_SECRET", "")
    if not secret:
        raise ImproperlyConfigured("Set PUPIL_KEY_SECRET in the environment to record UPNs")
    return secret


def pupil_key(upn: str) -> str:
    """The key the portal stores for a (valid) UPN, under the LA's current secret."""
    return key_for(upn, current_secret())


# ---------------------------------------------------------------- rotating the secret
#
# A key cannot be re-keyed from itself: HMAC is one way and the UPN is not kept. So the
# LA supplies its list of UPNs (from its pupil database or the census) and the old and
# the new secret; every UPN gives the pair (key under the old secret, key under the
# new), and each stored key is replaced by its partner. A stored key no UPN in the list
# gives stays unmatched: the rotation refuses (nothing changes) unless told to forget
# those pupils' links. The old secret is checked this way too: a wrong one matches
# nothing.


def rekey_map(upns, old_secret: str, new_secret: str) -> tuple[dict[str, str], list[str]]:
    """({old key: new key}, problems) for the UPNs of an extract, one per line (``upns``
    yields (line number, text)). A problem names the line; no UPN is in it."""
    if not old_secret or not new_secret:
        raise ValueError("both the old and the new secret are needed")
    if old_secret == new_secret:
        raise ValueError("the new secret is the same as the old one")
    mapping: dict[str, str] = {}
    problems: list[str] = []
    for line, text in upns:
        upn = normalise(text)
        if not upn:
            continue
        problem = upn_problem(upn)
        if problem:
            problems.append(f"Line {line}: {problem}")
            continue
        mapping[key_for(upn, old_secret)] = key_for(upn, new_secret)
    return mapping, problems
