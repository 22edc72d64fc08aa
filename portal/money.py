"""Money as people read it: the one format for every page, message, report and e-mail.

``£1,234.50``, always to the penny (an amount rounded to whole pounds hides the
pennies the ledger keeps), thousands separated, and a minus sign before the pound
sign for money owed: ``−£80.00``. Templates use the ``gbp`` filter, which calls this.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
MINUS = "\N{MINUS SIGN}"


def format_gbp(amount: Decimal | int | str) -> str:
    """``£1,234.50`` (or ``−£80.00``); ``amount`` is a Decimal, or what makes one."""
    value = Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)
    if value < 0:
        return f"{MINUS}£{-value:,}"
    return f"£{abs(value):,}"  # abs: never "£-0.00"
