"""Reads of the portal's own records: the view audit, for the data-protection officer
(docs/architecture.md §11)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.utils import timezone

from . import policy
from .cells import safe_cell
from .models import ViewAudit

# The actions the portal records (portal.audit.record_view callers), for the filter.
ACTIONS = {
    "view": "Opened a request",
    "timeline": "Opened a timeline",
    "search": "Searched",
    "download": "Downloaded a document or file",
    "export": "Exported",
    "view_papers": "Read panel papers",
    "view_agenda": "Read an agenda",
    "download_pack": "Downloaded an agenda pack",
    "view_letter": "Read a decision letter",
    "download_letter": "Downloaded a decision letter",
    "api_view": "API: read a request",
    "api_list": "API: listed requests",
    "api_timeline": "API: read a timeline",
}
REQUEST = "funding.FundingRequest"
# What each kind of record read is, in words.
RECORDS = {
    REQUEST: "Request",
    "funding.RequestDocument": "Supporting document",
    "panels.Meeting": "Panel meeting",
    "panels.AgendaItem": "Agenda item",
    "panels.Letter": "Decision letter",
    "reports.ReportRun": "Report",
    "portal.ViewAudit": "View audit",
}


@dataclass(frozen=True)
class AuditRow:
    entry: ViewAudit
    action: str
    record: str
    reference: str


def audit_rows(rows: list[ViewAudit]) -> list[AuditRow]:
    """The page's rows in words, each read's request by its reference (one query)."""
    refs = request_references(rows)
    return [
        AuditRow(
            entry=r,
            action=ACTIONS.get(r.action, r.action),
            record=RECORDS.get(r.object_type, r.object_type),
            reference=refs.get(r.object_id, "") if r.object_type == REQUEST else "",
        )
        for r in rows
    ]


def _day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class AuditFilters:
    """What the audit page, its export and the API filter by. A date that is not one
    is a problem, said in plain words; anything else not understood is ignored."""

    person: str = ""  # words of a username, name or email
    reference: str = ""  # a request's reference
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    action: str = ""
    problems: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_params(cls, params) -> AuditFilters:
        problems = {}
        days = {}
        for name, label in (("from", "from"), ("to", "to")):
            text = (params.get(name) or "").strip()
            days[name] = _day(text)
            if text and days[name] is None:
                problems[name] = f"Enter the “{label}” date as a real date, like 2026-12-07"
        if days["from"] and days["to"] and days["to"] < days["from"]:
            problems["to"] = "The “to” date must be the same as or after the “from” date"
        action = (params.get("action") or "").strip()
        return cls(
            person=(params.get("person") or "").strip()[:100],
            reference=(params.get("reference") or "").strip()[:20],
            date_from=days["from"],
            date_to=days["to"],
            action=action if action in ACTIONS else "",
            problems=problems,
        )

    def as_params(self) -> list[tuple[str, str]]:
        """The filters as the page's query string (for pagination and the export)."""
        pairs = [
            ("person", self.person),
            ("reference", self.reference),
            ("from", self.date_from.isoformat() if self.date_from else ""),
            ("to", self.date_to.isoformat() if self.date_to else ""),
            ("action", self.action),
        ]
        return [(k, v) for k, v in pairs if v]

    def described(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.as_params()) or "everything"


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def view_audit(user: AbstractBaseUser, filters: AuditFilters) -> QuerySet[ViewAudit]:
    """The view audit, newest first, for the data-protection officer; nothing for anyone
    else. A request's reference finds its reads (the request, its timeline) and those
    naming it (its documents' downloads, searches)."""
    if not policy.can_read_view_audit(user) or filters.problems:
        return ViewAudit.objects.none()
    from funding.models import FundingRequest

    qs = ViewAudit.objects.select_related("user").order_by("-created_at", "-pk")
    if filters.person:
        words = Q()
        for word in filters.person.split()[:5]:
            words &= (
                Q(user__username__icontains=word)
                | Q(user__first_name__icontains=word)
                | Q(user__last_name__icontains=word)
                | Q(user__email__icontains=word)
            )
        qs = qs.filter(words)
    if filters.reference:
        pk = (
            FundingRequest.with_deleted.filter(reference__iexact=filters.reference)
            .values_list("pk", flat=True)
            .first()
        )
        qs = qs.filter(
            Q(object_type=REQUEST, object_id=str(pk) if pk else "-")
            | Q(detail__icontains=filters.reference)
        )
    if filters.date_from:
        qs = qs.filter(created_at__gte=_start_of(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_start_of(filters.date_to + timedelta(days=1)))
    if filters.action:
        qs = qs.filter(action=filters.action)
    return qs


def request_references(rows: Iterable[ViewAudit]) -> dict[str, str]:
    """{object id: reference} for the rows that name a request, in one query (the page
    shows references, never what the requests hold)."""
    from funding.models import FundingRequest

    ids = {r.object_id for r in rows if r.object_type == REQUEST and r.object_id.isdigit()}
    if not ids:
        return {}
    found = FundingRequest.with_deleted.filter(pk__in=[int(i) for i in ids])
    return {str(pk): ref or f"Draft #{pk}" for pk, ref in found.values_list("pk", "reference")}


EXPORT_COLUMNS = [
    "When",
    "Username",
    "Name",
    "Action",
    "Record",
    "Record id",
    "Request",
    "Detail",
    "Address",
    "IP address",
]


class _Echo:
    def write(self, value):
        return value


def export_lines(qs: QuerySet[ViewAudit], size: int = 2000) -> Iterator[str]:
    """The filtered rows as CSV lines, read in chunks as the response goes; every text
    cell through ``safe_cell``."""
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    chunk: list[ViewAudit] = []
    for row in qs.iterator(chunk_size=size):
        chunk.append(row)
        if len(chunk) == size:
            yield from _lines(writer, chunk)
            chunk = []
    yield from _lines(writer, chunk)


def _lines(writer, rows: list[ViewAudit]) -> Iterator[str]:
    refs = request_references(rows)
    for r in rows:
        yield writer.writerow(
            [
                timezone.localtime(r.created_at).isoformat(timespec="seconds"),
                *(
                    safe_cell(v)
                    for v in (
                        r.user.username,
                        r.user.get_full_name(),
                        r.action,
                        r.object_type,
                        r.object_id,
                        refs.get(r.object_id, "") if r.object_type == REQUEST else "",
                        r.detail,
                        r.path,
                    )
                ),
                r.ip_address or "",
            ]
        )
