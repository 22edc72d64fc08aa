"""Money as people read it: the one format for every page, message, report and e-mail.

``£1,234.50``, always to the penny (an amount rounded to whole pounds hides the
pennies the ledger keeps), thousands separated, and a minus sign before the pound
sign for money owed: ``−£80.00``. Templates use the ``gbp`` filter, which calls this.

Typed money is read by one parser, :func:`parse_gbp` (``"£1,200.50"``, ``"1200.5"``),
behind the form and API field ``portal.fields.MoneyField``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
MINUS = "\N{MINUS SIGN}"


def format_gbp(amount: Decimal | int | str) -> str:
    """``£1,234.50`` (or ``−£80.00``); ``amount`` is a Decimal, or what makes one."""
    value = Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)
    if value < 0:
        return f"{MINUS}£{-value:,}"
    return f"£{abs(value):,}"  # abs: never "£-0.00"


class MoneyError(ValueError):
    """Why a typed amount is not money; ``code`` picks the message the field shows."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# What people type for pounds: an optional minus, an optional £, whole pounds either
# plain ("1200") or with commas every three digits ("1,200"), and at most two pence
# digits. Anything else ("1e3", "NaN", "1,20,0") is not money.
_MONEY = re.compile(
    r"(?P<sign>[-\N{MINUS SIGN}])?£?\s*(?P<sign2>[-\N{MINUS SIGN}])?"
    r"(?P<pounds>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.(?P<pence>[0-9]*))?"
)


def parse_gbp(text: str | int | Decimal, *, allow_negative: bool = False) -> Decimal:
    """``"£1,200.50"`` → ``Decimal("1200.50")``; raises :class:`MoneyError` for anything
    that is not an amount of money (``code``: ``invalid``, ``pence``, ``negative``)."""
    if isinstance(text, bool):
        raise MoneyError("invalid")
    if isinstance(text, int | Decimal):
        text = str(text)
    if not isinstance(text, str):
        raise MoneyError("invalid")
    cleaned = text.strip().replace("\N{NO-BREAK SPACE}", " ")
    match = _MONEY.fullmatch(cleaned)
    if not match or (match["pounds"] is None and match["pence"] is None):
        raise MoneyError("invalid")
    pence = match["pence"] or ""
    if len(pence) > 2:
        raise MoneyError("pence")
    if match["pence"] is not None and not pence:
        raise MoneyError("invalid")
    value = Decimal(f"{(match['pounds'] or '0').replace(',', '')}.{pence or '0'}").quantize(PENNY)
    if match["sign"] and match["sign2"]:
        raise MoneyError("invalid")
    if match["sign"] or match["sign2"]:
        if not allow_negative:
            raise MoneyError("negative")
        value = -value
    return value
