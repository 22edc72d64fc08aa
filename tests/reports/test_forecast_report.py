"""The budget forecast report on a small county worked by hand (tests/reports/
forecast_data.py has the data): each budget's pipeline weighted by its cluster's rates,
spread 2 : 1 : 1 over January to March 2026 as last year's commitments were, the month
each case runs out, and what is due after 31 March; the county is the sum of its
clusters, to the penny."""

from datetime import date
from decimal import Decimal

import pytest

from reports import figures, queries
from tests.reports.forecast_data import AS_OF, make_forecast_county

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def forecast_county(db):
    return make_forecast_county()


def forecast(scope=None):
    scope = scope or figures.ReportScope("county", None, "the county")
    data = queries.forecast_figures(2025, as_of=AS_OF, scope_kind=scope.kind, scope_id=scope.id)
    return figures.forecast(data, scope, 2025, date(2026, 1, 10))


def rows_of(result, key):
    return next(s for s in result["sections"] if s["key"] == key)["rows"]


def by_name(rows):
    return {r["name"]: r for r in rows}


def test_each_budget_is_forecast_from_its_ledger_and_its_clusters_rates(forecast_county):
    budgets = by_name(rows_of(forecast(), "budgets"))
    alpha = budgets["Alpha: Exceptional Needs Grant"]
    # The ledger: 40,000 committed less 2,000 released; 15,000 paid.
    assert (alpha["allocated"], alpha["committed"], alpha["paid"]) == ("50000.00", "38000.00",
                                                                       "15000.00")  # fmt: skip
    # 2 undecided requests for 10,000 + 6,000; Alpha's own 5 decisions: 4 of 5 approved at
    # 30,000 of 40,000 asked: 0.8 × 0.75. The draft is not counted.
    assert (alpha["requests"], alpha["requested"]) == (2, "16000.00")
    assert (alpha["approval_rate"], alpha["award_ratio"], alpha["rates_from"]) == (
        0.8, 0.75, "the cluster")  # fmt: skip
    # Expected 16,000 × 0.8 × 0.75 = 9,600: 38,000 + 9,600 = 47,600 of 50,000.
    assert alpha["pipeline_expected"] == "9600.00"
    assert (alpha["left_best"], alpha["left_expected"], alpha["left_worst"]) == (
        "12000.00", "2400.00", "-4000.00")  # fmt: skip
    # Worst: 16,000 spread 8,000 / 4,000 / 4,000: 46,000, 50,000 (not over), 54,000.
    assert (alpha["run_out_best"], alpha["run_out_expected"], alpha["run_out_worst"]) == (
        "Does not run out", "Does not run out", "March 2026")  # fmt: skip
    # The instalment due 20 April 2026; February's is this year's.
    assert (alpha["next_year"], alpha["next_year_awards"]) == ("3000.00", 1)


def test_a_cluster_with_few_decisions_is_forecast_at_the_countys_rates(forecast_county):
    beta = by_name(rows_of(forecast(), "budgets"))["Beta: Exceptional Needs Grant"]
    # Beta has 2 decisions (the third is older than 24 months): the county's 7, 5 awards
    # = 0.7143; 35,000 awarded of 50,000 asked = 0.7. 3,000 × 0.7143 × 0.7 = 1,500.03.
    assert (beta["approval_rate"], beta["award_ratio"], beta["rates_from"]) == (
        0.7143, 0.7, "the county")  # fmt: skip
    assert beta["pipeline_expected"] == "1500.03"
    # 1,500.03 spread 2 : 1 : 1 is 750.01, 375.01, 375.01: 19,750.01 in January,
    # 20,125.02 in February, over the 20,000. Worst: 1,500 in January, over at once.
    assert (beta["run_out_best"], beta["run_out_expected"], beta["run_out_worst"]) == (
        "Does not run out", "February 2026", "January 2026")  # fmt: skip
    assert beta["left_expected"] == "-500.03"
    assert (beta["next_year"], beta["next_year_awards"]) == ("1000.00", 1)  # not the cancelled


def test_the_county_is_the_sum_of_its_clusters_month_by_month(forecast_county):
    result = forecast()
    total = rows_of(result, "budgets")[-1]
    assert total["name"] == "Total: the county"
    assert (total["allocated"], total["committed"], total["paid"]) == ("70000.00", "57000.00",
                                                                       "24500.00")  # fmt: skip
    assert total["pipeline_expected"] == "11100.03"  # 9,600 + 1,500.03
    assert (total["left_expected"], total["left_worst"]) == ("1899.97", "-6000.00")
    assert total["next_year"] == "4000.00"
    months = by_name(rows_of(result, "months"))
    # Alpha's 4,800 / 2,400 / 2,400 and Beta's 750.01 / 375.01 / 375.01.
    assert [months[m]["expected_month"] for m in ("January 2026", "February 2026",
                                                  "March 2026")] == [
        "5550.01", "2775.01", "2775.01"]  # fmt: skip
    assert months["Total of the months left"]["expected_month"] == "11100.03"
    assert months["March 2026"]["spend_expected"] == "68100.03"  # 57,000 + 11,100.03
    # The worst case: 9,500 in January (66,500), 4,750 in February (71,250): over.
    assert months["February 2026"]["spend_worst"] == "71250.00"
    assert (total["run_out_expected"], total["run_out_worst"]) == ("Does not run out",
                                                                   "February 2026")  # fmt: skip
    summary = {s[0]: s[1] for s in result["summary"]}
    assert summary["Expected from undecided requests"] == "11100.03"
    assert summary["Runs out, worst case"] == "February 2026"


def test_the_workings_show_the_rates_and_last_years_pattern(forecast_county):
    result = forecast()
    rates = by_name(rows_of(result, "rates"))
    assert (rates["Alpha"]["decisions"], rates["Alpha"]["awards"]) == (5, 4)
    assert (rates["Alpha"]["awarded"], rates["Alpha"]["asked"]) == ("30000.00", "40000.00")
    county = rates["The county (every cluster)"]
    assert (county["decisions"], county["awards"], county["approval_rate"]) == (7, 5, 0.7143)
    pattern = by_name(rows_of(result, "pattern"))
    # 2024/25's commitments, 8,000 in all (the release is not counted).
    assert (pattern["October"]["earlier"], pattern["October"]["year_share"]) == ("4000.00", 0.5)
    assert pattern["January"]["in_forecast"] and not pattern["October"]["in_forecast"]
    months = by_name(rows_of(result, "months"))
    assert months["January 2026"]["share"] == 0.5
    assert any("2 : 1" in line or "as the county's commitments fell" in line
               for line in result["method"])  # fmt: skip


def test_a_cluster_report_has_its_own_budgets_only(forecast_county):
    alpha = forecast_county["alpha"]
    result = forecast(figures.ReportScope("cluster", alpha.pk, "Alpha cluster"))
    names = [r["name"] for r in rows_of(result, "budgets")]
    assert names == ["Alpha: Exceptional Needs Grant", "Total: Alpha cluster"]
    assert rows_of(result, "budgets")[-1]["pipeline_expected"] == "9600.00"


def test_with_no_months_left_nothing_undecided_is_forecast_in_the_year(forecast_county):
    data = queries.forecast_figures(2025, as_of=AS_OF.replace(year=2026, month=5))
    result = figures.forecast(
        data, figures.ReportScope("county", None, "the county"), 2025, date(2026, 5, 1)
    )
    total = rows_of(result, "budgets")[-1]
    # 70,000 − 57,000 in every case: the undecided requests are next year's.
    assert total["left_best"] == total["left_worst"] == "13000.00"
    assert rows_of(result, "months") == []
    assert any("The year is over" in line for line in result["method"])


def test_the_spread_is_even_when_last_years_have_nothing_in_the_months_left():
    from reports import forecast as fc

    assert fc.pattern_for([date(2026, 1, 1), date(2026, 2, 1)], {10: D("5")}) == ([1.0, 1.0],
                                                                                   False)  # fmt: skip
    assert fc.months_left(2025, date(2026, 1, 10)) == [date(2026, m, 1) for m in (1, 2, 3)]
    assert len(fc.months_left(2025, date(2025, 2, 1))) == 12
    assert fc.rates(7, 5, D("35000"), D("50000")) == (0.7143, 0.7)
    assert fc.run_out_text(D("10"), D("11"), None) == "Already over the allocation"


def this_financial_year() -> int:
    from django.utils import timezone

    from budgets.models import FinancialYear

    return FinancialYear.start_year_for(timezone.localdate())


def check_forecast_files_agree(run) -> dict:
    """The CSV's totals are the HTML's (and the XLSX's): the county is the sum of its
    budgets, and the summary shows that sum."""
    import csv
    import io
    import re

    from openpyxl import load_workbook

    html = run.open_file("html").read().decode()
    rows = list(csv.DictReader(io.StringIO(run.open_file("csv").read().decode("utf-8-sig"))))
    budgets = [r for r in rows if r["Table"] == "budgets"]
    *each, total = budgets
    assert total["Name"].startswith("Total: ")
    for column in ("Allocated", "Committed so far", "Paid so far", "Expected from undecided",
                   "Left at 31 March, worst case", "Due after 31 March (next year)"):  # fmt: skip
        assert sum(D(r[column]) for r in each) == D(total[column]), column
    months = [r for r in rows if r["Table"] == "months"]
    if months:
        *month_rows, months_total = months
        assert sum(D(r["Expected commitments in the month"]) for r in month_rows) == D(
            total["Expected from undecided"]
        )
    expected = D(total["Expected from undecided"])
    shown = re.search(r"Expected from undecided requests</dt>\s*<dd[^>]*>£([\d,.]+)<", html).group(
        1
    )
    assert D(shown.replace(",", "")) == expected
    sheet = load_workbook(run.open_file("xlsx"))["Budgets to 31 March and after"]
    header = [c.value for c in sheet[1]]
    column = header.index("Expected from undecided")
    cells = [r[column] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert D(str(cells[-1])) == expected == sum(D(str(c)) for c in cells[:-1])
    assert run.open_file("pdf").read(5) == b"%PDF-"
    return {"html": html, "rows": rows, "total": total}


def test_the_la_officer_reads_the_forecast_on_its_page_and_the_files_agree(
    client, send_officer, monkeypatch
):
    from django.urls import reverse

    from reports import services
    from reports.models import ReportKind, RunStatus

    year = this_financial_year()
    make_forecast_county(start_year=year)
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.request_report(
        user=send_officer, kind=ReportKind.FORECAST, scope_kind="county", scope_id=None,
        academic_year=year,
    )  # fmt: skip
    services.produce(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    client.force_login(send_officer)
    page = client.get(reverse("reports:detail", args=[run.pk])).content.decode()
    assert "Budget forecast report: the county" in page
    assert f"Financial year {run.year_label}" in page
    for text in ("Budgets to 31 March and after", "The rates used",
                 "Last years&#x27; monthly pattern", "Runs out, worst case",
                 "Alpha: Exceptional Needs Grant", "Total: the county"):  # fmt: skip
        assert text in page, text
    check_forecast_files_agree(run)


def test_a_forecast_with_no_budgets_fails_with_a_plain_message(send_officer, monkeypatch):
    from reports import services
    from reports.models import ReportKind

    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.request_report(
        user=send_officer, kind=ReportKind.FORECAST, scope_kind="county", scope_id=None,
        academic_year=2025,
    )  # fmt: skip
    with pytest.raises(services.ReportError, match="no budgets for 2025/26"):
        services.produce(run.pk)
