"""What a council officer reads in the report's files and page: money and rates written
as people write them, the flags of each school in the PDF, the parameters and the flags'
thresholds stated, every chart's figures printed beside it, method before the tables."""

import contextlib
import re
import subprocess
import zlib
from shutil import which

import pytest
from django.urls import reverse

from reports import services
from reports.formatting import format_value
from reports.models import ReportKind, ScopeKind


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        ("-80.5", "money", "−£80.50"),
        ("1234567.8", "money", "£1,234,567.80"),
        (12.345, "pct", "12.3%"),
        (0.0712, "share", "7.1%"),
        (-0.001, "index", "0.00"),
        (-0.25, "index", "−0.25"),
        (0.25, "index", "+0.25"),
        ("post16", "phase", "16 plus"),
        (None, "money", "—"),
    ],
)
def test_figures_are_written_as_people_write_them(value, fmt, text):
    assert format_value(value, fmt) == text


@pytest.fixture
def both_reports(small_county, send_officer, monkeypatch):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    runs = {}
    for kind in (ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE):  # the school reports
        run = services.request_report(
            user=send_officer,
            kind=kind,
            scope_kind=ScopeKind.COUNTY,
            scope_id=None,
            academic_year=2025,
            national_ehcp_pct="1.5",
        )
        services.produce(run.pk)
        run.refresh_from_db()
        runs[kind] = run
    return runs


def html_file(run) -> str:
    return run.open_file("html").read().decode()


def test_the_inclusiveness_file_states_parameters_thresholds_and_each_schools_flags(
    both_reports,
):
    run = both_reports[ReportKind.INCLUSIVENESS]
    html = html_file(run)
    assert "National % of pupils with an EHCP</dt><dd>1.5%" in html
    assert "School&#x27;s contribution per pupil with an EHCP</dt><dd>£6,000.00" in html
    assert "{'" not in html  # no raw dictionaries of parameters
    # The flags' thresholds, stated in words.
    assert "at least 2 times the county rate, and at least 3 such joiners" in html
    assert "below 75% of the cluster" in html
    # How the figures are worked out comes before the long tables.
    assert html.index('id="method"') < html.index('id="table-schools"')
    # Each school's flags are in the PDF's narrower table too.
    schools = run.result["sections"][0]
    assert "flags" in schools["print_columns"]
    a1 = next(r for r in schools["rows"] if r["name"] == "A1 Primary")
    assert "Magnet" in a1["flags"]


def test_every_chart_in_the_files_prints_its_figures_beside_the_bars(both_reports):
    for run in both_reports.values():
        html = html_file(run)
        for chart in run.result["charts"]:
            block = html.split(f'id="chart-{chart["id"]}"', 1)[1].split("</table>", 1)[0]
            assert block.count("<svg") == len(chart["labels"]) * len(chart["datasets"])
            for label in chart["labels"]:
                assert f'<th scope="row">{label}</th>' in block


def test_the_index_chart_draws_negative_values_left_of_a_centre_line(both_reports):
    html = html_file(both_reports[ReportKind.INCLUSIVENESS])
    block = html.split('id="chart-index"', 1)[1].split("</table>", 1)[0]
    assert 'x1="50"' in block  # the 0 line
    negatives = re.findall(r'<rect x="([\d.]+)" y="1" width="([\d.]+)"[^>]*#d4351c', block)
    assert negatives and all(
        float(x) + float(w) == pytest.approx(50, abs=0.2) for x, w in negatives
    )


def test_the_fair_share_file_states_its_weights_in_words(both_reports):
    html = html_file(both_reports[ReportKind.FAIR_SHARE])
    assert "Weights of need</dt><dd>pupils on roll 33%, FSM pupils 33%, SEN support 33%" in html
    assert "National % of pupils with an EHCP" not in html  # not used by this report


@pytest.mark.skipif(not which("pdftotext"), reason="poppler-utils (pdftotext) not installed")
def test_the_pdf_reads_with_its_parameters_flags_and_method(both_reports, tmp_path):
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(both_reports[ReportKind.INCLUSIVENESS].open_file("pdf").read())
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Flags" in text and "Magnet" in text
    assert "How the figures are worked out" in text
    assert "Page 1 of" in text


def test_the_page_has_contents_parameters_and_method_before_the_tables(client, both_reports):
    run = both_reports[ReportKind.FAIR_SHARE]
    client.force_login(run.requested_by)
    content = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert 'href="#method"' in content and 'href="#table-schools"' in content
    assert "Parameters of this report" in content
    assert content.index('id="method"') < content.index('id="table-schools"')


def pdf_objects(content: bytes) -> bytes:
    """The PDF's bytes with every compressed stream inflated (its catalog and structure
    tree are in object streams)."""
    parts = [content]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        with contextlib.suppress(zlib.error):  # not a Flate stream: no structure in it
            parts.append(zlib.decompress(m.group(1)))
    return b"\n".join(parts)


def test_a_screen_reader_finds_the_pdfs_title_language_headings_and_table_headers(
    both_reports,
):
    for run in both_reports.values():
        content = run.open_file("pdf").read()
        objects = pdf_objects(content)
        # Marked as tagged, with its language and its title shown rather than its name.
        assert b"/MarkInfo <</Marked true>>" in objects
        assert re.search(rb"/Lang \(en\)", objects)
        assert b"/DisplayDocTitle true" in objects
        assert str(run).encode() in objects  # the title, in the metadata
        assert b'pdfuaid:part="1"' in objects  # declared PDF/UA-1
        tags = re.findall(rb"/S /(\w+)", objects)
        assert {b"H1", b"H2", b"P", b"Table", b"TH", b"TD"} <= set(tags)
        # Every school is a row of the tagged table, its name a header cell.
        schools = len(run.result["sections"][0]["rows"])
        assert tags.count(b"TR") >= schools


@pytest.mark.skipif(not which("pdfinfo"), reason="poppler-utils (pdfinfo) not installed")
def test_the_pdf_is_tagged_and_titled_as_a_pdf_reader_sees_it(both_reports, tmp_path):
    pdf = tmp_path / "r.pdf"
    run = both_reports[ReportKind.FAIR_SHARE]
    pdf.write_bytes(run.open_file("pdf").read())
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(rf"^Title:\s+{re.escape(str(run))}$", info, re.M)


@pytest.mark.skipif(not which("pdfinfo"), reason="poppler-utils (pdfinfo) not installed")
def test_a_pdf_reader_finds_every_school_as_a_row_under_one_header_in_reading_order(
    both_reports, tmp_path
):
    """The structure tree as poppler reads it: the title, then the sections in the HTML
    file's order; each table's header row tagged once (a header repeated on a later page
    is an artifact), each school a row whose first cell is its header."""
    for run in both_reports.values():
        pdf = tmp_path / "r.pdf"
        pdf.write_bytes(run.open_file("pdf").read())
        tree = subprocess.run(
            ["pdfinfo", "-struct-text", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        assert tree.startswith("Document\n  H1")
        assert f'"{run.result["title"]}"' in tree
        headings = ("Parameters", "Summary", "How the figures are worked out", "Schools")
        order = [tree.index(f'H2 (block)\n    "{h}"') for h in headings]
        assert order == sorted(order)
        tables = len(run.result["charts"]) + len(run.result["sections"])
        assert tree.count("THead") == tables
        for school in run.result["sections"][0]["rows"]:
            assert re.search(rf'TR\n\s+TH:\n\s+/Scope /Row\n\s+"{re.escape(school["name"])}"', tree)


@pytest.mark.skipif(not which("pdftotext"), reason="poppler-utils not installed")
def test_a_long_table_repeats_its_header_on_every_page_but_tags_it_once(tmp_path):
    from reports.pdf import Document

    doc = Document("A long table")
    doc.heading("Schools", 2)
    doc.table(
        [("School", False), ("Pupils on roll", True)],
        [0.7, 0.3],
        ([f"School number {i}", f"{i:,}"] for i in range(1, 301)),
    )
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(doc.write())
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")[:-1]
    assert len(pages) > 2
    for number, page in enumerate(pages, start=1):
        assert "Pupils on roll" in page and f"Page {number} of {len(pages)}" in page
    assert "School number 300" in pages[-1]
    tree = subprocess.run(
        ["pdfinfo", "-struct-text", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert tree.count("THead") == 1 and tree.count('"Pupils on roll"') == 1
    assert tree.count("TR\n") == 301
