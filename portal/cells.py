"""Cells of exported files (CSV, XLSX), safe to open in a spreadsheet.

A text cell starting with ``=``, ``+``, ``-`` or ``@`` is read by Excel, LibreOffice
and Google Sheets as a formula (``=HYPERLINK(...)`` in a school's name would be a live
link); a leading tab or carriage return hides the same from a quick look. Such text is
written with a leading apostrophe, which the spreadsheet shows as plain text. Every
export writes its text cells through ``safe_cell``.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    return "'" + value if value[:1] in FORMULA_STARTS else value


def safe_cell(value):
    """The value, with text that a spreadsheet would run as a formula made plain."""
    if type(value) is str and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
