"""How report figures are written for people (pages, HTML file, PDF)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from clusters.models import Phase
from portal.money import format_gbp

DASH = "—"
PHASES = dict(Phase.choices)


def format_value(value, fmt: str) -> str:
    if value is None or value == "":
        return DASH
    try:
        if fmt == "money":
            return format_gbp(Decimal(value))
        if fmt == "int":
            return f"{int(value):,}"
        if fmt == "pct":
            return f"{float(value):.1f}%"
        if fmt == "share":
            return f"{100 * float(value):.1f}%"
        if fmt in ("rate", "ratio"):
            return f"{float(value):.2f}"
        if fmt == "index":
            rounded = round(float(value), 2)
            return "0.00" if rounded == 0 else f"{rounded:+.2f}".replace("-", "−")
        if fmt == "flag":
            return "Yes" if value else "No"
        if fmt == "phase":
            return PHASES.get(value, str(value))
    except (TypeError, ValueError, InvalidOperation):
        return str(value)
    return str(value)


def numeric(value, fmt: str):
    """The value as a number for a spreadsheet cell (None stays empty)."""
    if value is None or value == "":
        return None
    if fmt == "money":
        return Decimal(value)
    if fmt == "int":
        return int(value)
    if fmt in ("pct", "share", "rate", "ratio", "index"):
        return float(value)
    if fmt == "flag":
        return "Yes" if value else "No"
    if fmt == "phase":
        return PHASES.get(value, value)
    return value
