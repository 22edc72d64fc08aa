"""The ledger and the payment schedule as CSV or XLSX, for the LA's finance system."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from openpyxl import Workbook

from portal.cells import safe_cell, safe_text

from .models import EntryKind, FinancialYear, InstalmentStatus

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


# The rows are read as columns (values_list), not as models with their related models:
# a year's ledger is hundreds of thousands of lines, and six models a line cost ten times
# what writing the line does.


def _year_labels():
    labels: dict[int, str] = {}

    def label(start_year: int) -> str:
        if start_year not in labels:
            labels[start_year] = FinancialYear(start_year=start_year).label
        return labels[start_year]

    return label


def ledger_rows(entries) -> Iterable[list]:
    kinds, year_label = dict(EntryKind.choices), _year_labels()
    username = f"created_by__{get_user_model().USERNAME_FIELD}"
    rows = entries.values_list(
        "pk",
        "created_at",
        "budget__year__start_year",
        "budget__stream__name",
        "budget__cluster__name",
        "kind",
        "amount",
        "school_id",
        "school__urn",
        "school__name",
        "request_id",
        "request__reference",
        "reason",
        "created_by_id",
        username,
        "override_id",
    )
    for (
        pk,
        created_at,
        year,
        stream,
        cluster,
        kind,
        amount,
        school_id,
        urn,
        school,
        request_id,
        reference,
        reason,
        created_by_id,
        who,
        override_id,
    ) in rows.iterator(chunk_size=2000):
        yield [
            pk,
            created_at.isoformat(timespec="seconds"),
            year_label(year),
            stream,
            cluster,
            kinds.get(kind, kind),
            amount,
            urn if school_id else "",
            school if school_id else "",
            reference if request_id else "",
            reason,
            who if created_by_id else "portal",
            override_id or "",
        ]


def payment_rows(instalments) -> Iterable[list]:
    statuses, year_label = dict(InstalmentStatus.choices), _year_labels()
    rows = instalments.values_list(
        "due_date",
        "term",
        "budget__year__start_year",
        "budget__stream__name",
        "budget__cluster__name",
        "school__urn",
        "school__name",
        "request__reference",
        "amount",
        "status",
        "payment_id",
    )
    for (
        due,
        term,
        year,
        stream,
        cluster,
        urn,
        school,
        reference,
        amount,
        status,
        paid,
    ) in rows.iterator(chunk_size=2000):
        yield [
            due.isoformat(),
            term,
            year_label(year),
            stream,
            cluster,
            urn,
            school,
            reference,
            amount,
            statuses.get(status, status),
            paid or "",
        ]


def _csv_cell(value):
    """Money to the penny, text never read as a formula (``safe_text``), once per cell."""
    kind = type(value)
    if kind is str:
        return safe_text(value)
    if kind is Decimal:
        return f"{value:.2f}"
    return value


def as_csv(name: str, columns: list[str], rows: Iterable[list]) -> HttpResponse:
    # Written into one buffer and handed to the response once (a response written line
    # by line encodes and stores each line on its own).
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def as_xlsx(name: str, columns: list[str], rows: Iterable[list]) -> HttpResponse:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(name[:31])
    ws.append(columns)
    for row in rows:
        # Money stays exact: openpyxl writes Decimals as numbers, formatted to the penny.
        ws.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
