"""The report's files, all rendered from the one stored result: HTML, CSV, XLSX, PDF."""

from __future__ import annotations

import csv
import io
import re
from html import escape
from itertools import islice
from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from portal.cells import safe_cell

from . import figures
from .formatting import format_value, formatter, numeric
from .xlsx import Workbook, column_refs, string_cell

NUMERIC_FORMATS = {"money", "int", "count", "pct", "share", "rate", "ratio", "index", "factor"}


# The page and the PDF list at most this many rows of a table (every row is in the
# HTML, CSV and XLSX files): a national report has 20,000 schools. A county's 300
# schools are all in its PDF.
MAX_SHOWN_ROWS = 1000
PDF_MAX_ROWS = 400


# The PDF's tables are laid out at fixed widths, never measured from their cells: each
# column's share of the page from its definition, by its format and the longest word
# of its label, the row's name widest.
PRINT_WIDTHS = {"text": 2.4, "money": 1.7, "phase": 1.2, "flag": 0.9}
PRINT_NAME_WIDTH = 3.6


def _print_width(col: list[str]) -> float:
    longest_word = max(len(word) for word in col[1].split())
    return max(PRINT_WIDTHS.get(col[2], 1.0), 0.11 * longest_word)


# A row's markup is written here rather than cell by cell in the template engine: the
# HTML file of a national report has 20,000 rows of 30 cells. The page and the HTML
# file keep the GOV.UK classes; the PDF's lighter markup needs only its numeric class.
_CELLS = {
    False: (
        '<tr class="govuk-table__row">',
        '<th scope="row" class="govuk-table__header">',
        '<td class="govuk-table__cell">',
        '<td class="govuk-table__cell govuk-table__cell--numeric">',
    ),
    True: ("<tr>", '<th scope="row">', "<td>", '<td class="n">'),
}


def _texts(rows: list[dict], cols: list[list[str]]):
    """Each row's cells as people read them, the row's name first (one writer a column)."""
    writers = [(k, formatter(f)) for k, _, f in cols]
    for row in rows:
        get = row.get
        yield [write(get(k)) for k, write in writers]


def _lines(rows: list[dict], cols: list[list[str]], compact: bool):
    """Each row's markup, a line a row."""
    tr, th, td, td_numeric = _CELLS[compact]
    starts = [td_numeric if c[2] in NUMERIC_FORMATS else td for c in cols[1:]]
    for name, *rest in _texts(rows, cols):
        yield (
            f"{tr}{th}{escape(name)}</th>"
            + "".join(
                f"{start}{escape(text)}</td>" for start, text in zip(starts, rest, strict=True)
            )
            + "</tr>"
        )


def _body(rows: list[dict], cols: list[list[str]], compact: bool) -> str:
    return mark_safe("\n".join(_lines(rows, cols, compact)))  # noqa: S308 - every text is escaped


def tables(
    result: dict,
    compact: bool = False,
    max_rows: int | None = None,
    markup: bool = True,
    later: bool = False,
) -> list[dict]:
    """Each section as headers and its rows' markup, for the page, the HTML file and PDF.

    ``compact`` keeps the section's print columns at fixed widths (the PDF);
    ``max_rows`` leaves out the rest of a long table and says so; without ``markup``
    the rows are lists of their cells' texts (``rows``) rather than HTML (``body``);
    ``later`` leaves a marker for the rows in ``body`` and their columns in ``cols``
    (the HTML file writes them after the template, ``render_html_file``)."""
    spec = {c[0]: c for c in result["columns"]}
    out = []
    for section in result["sections"]:
        keys = section.get("print_columns") if compact else None
        cols = [spec[k] for k in (keys or section["columns"])]
        rows = section["rows"]
        left_out = 0
        if max_rows is not None and len(rows) > max_rows:
            left_out, rows = len(rows) - max_rows, rows[:max_rows]
        weights = [PRINT_NAME_WIDTH] + [_print_width(c) for c in cols[1:]]
        out.append(
            {
                "key": section["key"],
                "title": section["title"],
                "left_out": left_out,
                # Says "the main columns" only where the PDF leaves some out.
                "compact": bool(keys) and list(keys) != list(section["columns"]),
                "headers": [
                    {
                        "label": c[1],
                        "numeric": c[2] in NUMERIC_FORMATS,
                        "width": f"{100 * w / sum(weights):.2f}%",
                        "fraction": w / sum(weights),
                    }
                    for c, w in zip(cols, weights, strict=True)
                ],
                **(
                    {"body": mark_safe(ROWS_MARK.format(len(out))), "cols": cols, "rows": rows}  # noqa: S308, E501 - a fixed marker
                    if later
                    else {"body": _body(rows, cols, compact)}
                    if markup
                    else {"rows": _texts(rows, cols)}
                ),
            }
        )
    return out


def summary(result: dict) -> list[dict]:
    return [{"label": s[0], "text": format_value(s[1], s[2])} for s in result["summary"]]


def charts(result: dict) -> list[dict]:
    """Each chart with its table of figures and, for the files, bar positions on a
    0–100 scale: from 0 when every value is positive, from a centre line at 50 when
    some are negative (the inclusiveness index)."""
    out = []
    for chart in result["charts"]:
        values = [float(v) for d in chart["datasets"] for v in d["data"] if v is not None]
        biggest = max((abs(v) for v in values), default=0) or 1
        diverging = any(v < 0 for v in values)
        origin, span = (50.0, 50.0) if diverging else (0.0, 100.0)
        rows = []
        for i, label in enumerate(chart["labels"]):
            cells = []
            for j, d in enumerate(chart["datasets"]):
                v = d["data"][i]
                size = 0.0 if v is None else abs(float(v)) / biggest * span
                negative = v is not None and float(v) < 0
                cells.append(
                    {
                        "text": format_value(v, chart["fmt"]),
                        "x": round(origin - size if negative else origin, 1),
                        "width": round(size, 1),
                        "negative": negative,
                        "series": j,
                        "series_label": d["label"],
                    }
                )
            rows.append({"label": label, "cells": cells})
        out.append(
            {
                **chart,
                "rows": rows,
                "series": [d["label"] for d in chart["datasets"]],
                "diverging": diverging,
            }
        )
    return out


def parameters(run, result: dict) -> list[dict]:
    """The run's parameters as people read them (the flag thresholds are in the method)."""
    p = run.parameters or {}
    out = []
    national = p.get("national_ehcp_pct")
    if result.get("kind") == "inclusiveness":
        out.append(
            {
                "label": "National % of pupils with an EHCP",
                "text": "not entered" if national in (None, "") else format_value(national, "pct"),
            }
        )
    if result.get("kind") == "inclusiveness" and p.get("contribution_per_pupil"):
        out.append(
            {
                "label": "School's contribution per pupil with an EHCP",
                "text": format_value(p["contribution_per_pupil"], "money"),
            }
        )
    if result.get("kind") == "impact":
        names = dict(figures.PLACEMENT_TYPES)
        for k, cost in (p.get("unit_costs") or {}).items():
            out.append(
                {
                    "label": f"Cost of a year's {names.get(k, k).lower()}",
                    "text": format_value(cost, "money"),
                }
            )
    if result.get("kind") in ("forecast", "kpi_pack"):
        out += [{"label": label, "text": text} for label, text in result.get("basis", [])]
    weights = p.get("weights") or {}
    if result.get("kind") == "fair_share" and weights:
        total = sum(float(w) for w in weights.values()) or 1
        out.append(
            {
                "label": "Weights of need",
                "text": ", ".join(
                    f"{figures.NEED_NAMES.get(k, k)} {float(weights[k]) / total:.0%}"
                    for k in figures.need_order(weights)
                )
                + (f" ({p['weights_source']})" if p.get("weights_source") else ""),
            }
        )
    return out


def context(
    run, result: dict, compact: bool = False, max_rows: int | None = None, later: bool = False
) -> dict[str, Any]:
    return {
        "run": run,
        "result": result,
        "compact": compact,
        "tables": tables(result, compact, max_rows, later=later),
        "summary": summary(result),
        "charts": charts(result),
        "parameters": parameters(run, result),
    }


# Where a table's rows go in the HTML file's page (a comment no escaped text can make).
ROWS_MARK = "<!--report-rows-{}-->"
_ROWS_MARK = re.compile(r"<!--report-rows-(\d+)-->")
ROWS_A_CHUNK = 1000


def render_html_file(run, result: dict) -> bytes:
    """The HTML file's bytes: the template lays out the page with a marker for each
    table's rows, and the rows (a national report's 20,000 of 30 cells) are written in
    its place a thousand at a time, straight into the file's bytes, so the file is held
    once rather than as its rows, their join and the page around them."""
    ctx = context(run, result, later=True)
    page = render_to_string("reports/report_file.html", ctx)
    out = io.BytesIO()
    for i, part in enumerate(_ROWS_MARK.split(page)):
        if i % 2 == 0:
            out.write(part.encode("utf-8"))
            continue
        table = ctx["tables"][int(part)]
        lines = _lines(table["rows"], table["cols"], compact=False)
        first = True
        while chunk := list(islice(lines, ROWS_A_CHUNK)):
            out.write((("" if first else "\n") + "\n".join(chunk)).encode("utf-8"))
            first = False
    return out.getvalue()


def render_html(run, result: dict) -> str:
    return render_html_file(run, result).decode("utf-8")


def render_pdf(run, result: dict) -> bytes:
    """The PDF: the HTML file's front matter and the report's main columns, at most
    PDF_MAX_ROWS rows a table, as a tagged PDF/UA-1 (headings, lists, tables with their
    header cells, the title shown and the language set) so that a screen reader reads it
    as the HTML file (``reports.pdf`` says why it is not drawn by WeasyPrint)."""
    from django.template.defaultfilters import date

    from .pdf import GREY, Document

    doc = Document(str(run), lang="en")
    doc.heading(result["title"], 1)
    by = run.requested_by
    asker = (by.get_full_name() or by.get_username()) if by else "the termly schedule"
    doc.paragraph(
        f"Data as of {date(run.data_as_of, 'j F Y H:i')}. Asked for by {asker}. "
        f"Run number {run.pk}.",
        color=GREY,
        before=0,
    )
    doc.heading("Parameters", 2)
    doc.pairs([(p["label"], p["text"]) for p in parameters(run, result)])
    doc.heading("Summary", 2)
    doc.pairs([(s["label"], s["text"]) for s in summary(result)])
    for chart in charts(result):
        doc.heading(chart["title"], 2)
        doc.chart(chart)
        if chart["diverging"]:
            doc.paragraph(
                "Bars to the left of the line (red) are below 0, to the right above 0.",
                size=8.5,
                color=GREY,
                before=0,
            )
    doc.heading("How the figures are worked out", 2)
    for line in result["method"]:
        doc.paragraph(line, before=0)
    if result["thresholds"]:
        doc.heading("Flags and their thresholds", 3)
        doc.bullets(result["thresholds"])
    for table in tables(result, compact=True, max_rows=PDF_MAX_ROWS, markup=False):
        doc.heading(table["title"], 2)
        if table["compact"]:
            doc.paragraph(
                "The main columns; the HTML, CSV and XLSX files have every column.", before=0
            )
        doc.table(
            [(h["label"], h["numeric"]) for h in table["headers"]],
            [h["fraction"] for h in table["headers"]],
            table["rows"],
        )
        if table["left_out"]:
            doc.paragraph(f"{table['left_out']} more rows are in the CSV and XLSX files.", before=0)
    return doc.write(created=run.data_as_of)


def render_csv(result: dict) -> bytes:
    cols = result["columns"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c[1] for c in cols])
    for section in result["sections"]:
        for row in section["rows"]:
            values = (numeric(row.get(c[0]), c[2]) for c in cols)
            writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8-sig")


# The spreadsheet's number formats, one per column format.
XLSX_FORMATS = {
    "money": '"£"#,##0.00',
    "int": "#,##0",
    "count": "#,##0",
    "pct": '0.0"%"',
    "share": "0.0%",
    "rate": "0.00",
    "ratio": "0.00",
    "factor": "0.0000",
    "index": "+0.00;-0.00;0.00",
}


XLSX_WIDTHS = {"text": 20.0, "money": 13.0}


def _xlsx_width(col: list[str], first: bool) -> float:
    """A column wide enough for its figures and the longest word of its heading; the
    row's name (frozen at the left) widest."""
    longest_word = max(len(word) for word in col[1].split())
    return max(32.0 if first else XLSX_WIDTHS.get(col[2], 9.0), longest_word + 2.0)


def render_xlsx(run, result: dict) -> bytes:
    """The workbook, streamed row by row (``reports.xlsx`` says why it is written there):
    an About sheet, then a sheet per section with its number formats, widths, bold
    heading and the row's name frozen; each column's writer chosen once."""
    spec = {c[0]: c for c in result["columns"]}
    buffer = io.BytesIO()
    wb = Workbook(buffer, XLSX_FORMATS)
    title = wb.style("title")
    lines: list[list[str]] = [
        ["Data as of", run.data_as_of.isoformat() if run.data_as_of else ""],
        ["Requested by", run.requested_by.get_username() if run.requested_by else "Schedule"],
        [],
        *([item["label"], item["text"]] for item in summary(result)),
        [],
        ["Method"],
        *([line] for line in result["method"] + result["thresholds"]),
    ]
    about = [string_cell("A1", safe_cell(str(run)), title)] + [
        "".join(
            string_cell(f"{letter}{i}", safe_cell(text))
            for letter, text in zip("AB", line, strict=False)
        )
        for i, line in enumerate(lines, start=2)
    ]
    wb.sheet("About", about, widths=[32.0])

    for section in result["sections"]:
        cols = [spec[k] for k in section["columns"]]
        wb.sheet(
            section["title"][:31],
            _xlsx_rows(wb, cols, section["rows"]),
            widths=[_xlsx_width(c, j == 0) for j, c in enumerate(cols)],
            freeze=True,
        )
    wb.close()
    return buffer.getvalue()


def _xlsx_rows(wb, cols: list[list[str]], rows: list[dict]):
    """The heading row, then each row's cells: figures as numbers in their column's
    format (empty cells too, as a typed-in figure reads), text as text."""
    letters = column_refs(len(cols))
    heading = wb.style("heading")
    yield "".join(string_cell(f"{L}1", c[1], heading) for L, c in zip(letters, cols, strict=True))
    plan = [
        (L, key, fmt, wb.style(fmt) if fmt in XLSX_FORMATS else 0)
        for L, (key, _, fmt) in zip(letters, cols, strict=True)
    ]
    for i, row in enumerate(rows, start=2):
        get = row.get
        parts = []
        for L, key, fmt, style in plan:
            value = numeric(get(key), fmt)
            if style and type(value) is str:  # "low": a suppressed figure
                parts.append(string_cell(f"{L}{i}", value))
            elif style:
                if value is None:
                    parts.append(f'<c r="{L}{i}" s="{style}"/>')
                else:
                    parts.append(f'<c r="{L}{i}" s="{style}"><v>{value}</v></c>')
            elif type(value) is str:
                parts.append(string_cell(f"{L}{i}", value))
            elif value is not None:  # a URN
                parts.append(f'<c r="{L}{i}"><v>{value}</v></c>')
        yield "".join(parts)


def warm_up_xlsx() -> None:
    """Nothing to import or warm: the workbook is written by ``reports.xlsx``."""
