"""The agenda pack: one PDF of a meeting's agenda and each item's papers, pseudonymised.

Rendered from ``panels.selectors.agenda_pack`` (who reads what is decided there), as a
tagged PDF/UA-1 like the reports (``reports/rendering.py``): headings, a table of
contents with page numbers, tables with header cells, the language set.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from portal.audit import record_view

from . import policy, selectors
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


def pack_download(request: HttpRequest, meeting: Meeting, *, detail: str) -> HttpResponse:
    """The pack as a download, for the page and the API alike: refused before the closing
    date (the panels error), audited as a read of every request whose papers it holds."""
    policy.require_download_pack(request.user, meeting)
    pack = selectors.agenda_pack(request.user, meeting)
    pdf = render_agenda_pack(pack)
    record_view(
        request,
        object_type="funding.FundingRequest",
        object_ids=pack.request_ids or [""],
        action="download_pack",
        detail=detail,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack_filename(meeting)}"'
    response["Cache-Control"] = "private, no-store"
    return response
