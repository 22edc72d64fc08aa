"""How report figures are written for people (pages, HTML file, PDF)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from clusters.models import Phase
from portal.cells import safe_cell
from portal.money import format_gbp

DASH = "—"
PHASES = dict(Phase.choices)


def _index(value) -> str:
    rounded = round(float(value), 2)
    return "0.00" if rounded == 0 else f"{rounded:+.2f}".replace("-", "−")


# One writer per format: a national report's HTML file writes 660,000 cells, so each
# column looks its writer up once (``formatter``) rather than once per cell.
_WRITERS: dict[str, Callable[[Any], str]] = {
    "money": lambda v: format_gbp(Decimal(v)),
    "int": lambda v: f"{int(v):,}",
    # A published count: a number, or "low" for 1 to 4 (reports/impact.py).
    "count": lambda v: v if isinstance(v, str) else f"{int(v):,}",
    "pct": lambda v: f"{float(v):.1f}%",
    "share": lambda v: f"{100 * float(v):.1f}%",
    "rate": lambda v: f"{float(v):.2f}",
    "ratio": lambda v: f"{float(v):.2f}",
    # A rate the forecast multiplies by, to the 4 places it uses (reports/forecast.py).
    "factor": lambda v: f"{float(v):.4f}",
    "index": _index,
    "flag": lambda v: "Yes" if v else "No",
    "phase": lambda v: PHASES.get(v, str(v)),
}


def formatter(fmt: str) -> Callable[[Any], str]:
    """``format_value`` for one column's format."""
    write = _WRITERS.get(fmt, str)

    def written(value) -> str:
        if value is None or value == "":
            return DASH
        try:
            return write(value)
        except (TypeError, ValueError, InvalidOperation):
            return str(value)

    return written


def format_value(value, fmt: str) -> str:
    return formatter(fmt)(value)


# The decimal places a figure is shown with on the page (``_WRITERS``): a file's cell
# carries the same rounded figure, so the CSV reads as the page does. Shares are
# fractions shown as percentages to one place, so three places here.
PLACES = {"pct": 1, "share": 3, "rate": 2, "ratio": 2, "index": 2, "factor": 4}


def numeric(value, fmt: str):
    """The value as a spreadsheet cell: a number rounded as the page shows it (None stays
    empty), text that no spreadsheet runs as a formula."""
    if value is None or value == "":
        return None
    if value == "low":  # a suppressed count or rate stays the word
        return "low"
    if fmt == "money":
        return Decimal(value)
    if fmt in ("int", "count"):
        return int(value)
    places = PLACES.get(fmt)
    if places is not None:
        return round(float(value), places) + 0.0  # + 0.0: never a "-0.0"
    if fmt == "flag":
        return "Yes" if value else "No"
    if fmt == "phase":
        return PHASES.get(value, value)
    return safe_cell(value)
