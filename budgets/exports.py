"""The ledger and the payment schedule as CSV or XLSX, for the LA's finance system."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook

LEDGER_COLUMNS = [
    "Entry",
    "Date and time",
    "Financial year",
    "Stream",
    "Cluster",
    "Kind",
    "Amount (£)",
    "School URN",
    "School",
    "Request",
    "Why",
    "Who",
    "Override",
]
PAYMENT_COLUMNS = [
    "Due date",
    "Term",
    "Financial year",
    "Stream",
    "Cluster",
    "School URN",
    "School",
    "Request",
    "Amount (£)",
    "Status",
    "Ledger entry",
]


def ledger_rows(entries) -> Iterable[list]:
    for e in entries.iterator(chunk_size=2000):
        yield [
            e.pk,
            e.created_at.isoformat(timespec="seconds"),
            e.budget.year.label,
            e.budget.stream.name,
            e.budget.cluster.name,
            e.get_kind_display(),
            e.amount,
            e.school.urn if e.school else "",
            e.school.name if e.school else "",
            e.request.reference if e.request else "",
            e.reason,
            e.created_by.get_username() if e.created_by else "portal",
            e.override_id or "",
        ]


def payment_rows(instalments) -> Iterable[list]:
    for i in instalments.iterator(chunk_size=2000):
        yield [
            i.due_date.isoformat(),
            i.term,
            i.budget.year.label,
            i.budget.stream.name,
            i.budget.cluster.name,
            i.school.urn,
            i.school.name,
            i.request.reference,
            i.amount,
            i.get_status_display(),
            i.payment_id or "",
        ]


def _safe(value):
    # A cell starting with = + - @ would be run as a formula by a spreadsheet.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def as_csv(name: str, columns: list[str], rows: Iterable[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_safe(v) if not isinstance(v, Decimal) else f"{v:.2f}" for v in row])
    return response


def as_xlsx(name: str, columns: list[str], rows: Iterable[list]) -> HttpResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(name[:31])
    ws.append(columns)
    for row in rows:
        # Money stays exact: openpyxl writes Decimals as numbers, formatted to the penny.
        ws.append([_safe(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
