"""The agenda pack: one PDF of a meeting's agenda and each item's papers, pseudonymised.

Rendered from ``panels.selectors.agenda_pack`` (who reads what is decided there), as a
tagged PDF/UA-1 like the reports (``reports/rendering.py``): headings, a table of
contents with page numbers, tables with header cells, the language set.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from .models import Meeting
from .selectors import AgendaPack


def pack_filename(meeting: Meeting) -> str:
    return f"agenda-pack-{meeting.date:%Y-%m-%d}-{meeting.pk}.pdf"


def render_agenda_pack(pack: AgendaPack) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "panels/pack_pdf.html",
        {"pack": pack, "meeting": pack.page.meeting, "entries": pack.entries},
    )
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")
