"""The budget pages: who sees what, the live refresh, the formula preview and the exports."""

import html
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from budgets import selectors
from budgets.models import AllocationRun, FinancialYear, LedgerEntry
from clusters.models import Role
from funding.services import apply_transition
from funding.workflow import Award
from tests.factories import (
    ClusterFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
    make_user,
)

from .factories import ClusterBudgetFactory, allocate, request_on_agenda

pytestmark = pytest.mark.django_db


def test_an_la_officer_sees_every_cluster_with_alerts(client, send_officer, budget, this_year):
    full = ClusterBudgetFactory(year=this_year)
    allocate(full, "1000.00")
    fr = request_on_agenda(full)
    LedgerEntry.objects.create(
        budget=full, kind="commitment", amount=Decimal("800.00"), reason="Award", request=fr
    )
    client.force_login(send_officer)

    page = client.get(reverse("budgets:county")).content.decode()

    assert budget.cluster.name in page and full.cluster.name in page
    assert "80.0% committed — past 75%" in page
    assert 'data-testid="tile-allocated">£21,000.00<' in page
    assert 'hx-trigger="every 3s"' in page


def poll_of(page: str) -> str:
    """The URL the county page polls, exactly as its htmx attribute says."""
    match = re.search(r'<div id="county-live" hx-get="([^"]+)"', page)
    assert match, "the page has no polled region"
    return html.unescape(match.group(1))


def poll(client, page: str):
    return client.get(poll_of(page))


def test_the_live_fragment_answers_204_until_its_board_moves(client, send_officer, budget):
    client.force_login(send_officer)
    page = client.get(reverse("budgets:county")).content.decode()

    assert poll(client, page).status_code == 204

    allocate(budget, "5.00")
    fresh = poll(client, page)
    assert fresh.status_code == 200
    assert "£20,005.00" in fresh.content.decode()
    # The new figures carry their own version: polling with it is quiet again.
    assert poll(client, fresh.content.decode()).status_code == 204


def test_money_in_another_year_leaves_the_board_alone(client, send_officer, budget, this_year):
    client.force_login(send_officer)
    page = client.get(reverse("budgets:county")).content.decode()
    next_year = FinancialYear.objects.create(start_year=this_year.start_year + 1)

    allocate(ClusterBudgetFactory(cluster=budget.cluster, year=next_year), "900.00")

    assert poll(client, page).status_code == 204


def test_money_in_a_district_or_stream_filtered_out_leaves_the_board_alone(
    client, send_officer, budget, this_year
):
    client.force_login(send_officer)
    county = reverse("budgets:county")
    district = budget.cluster.district_id
    by_district = client.get(county, {"district": district}).content.decode()

    elsewhere = ClusterBudgetFactory(year=this_year)  # a cluster in another district
    assert elsewhere.cluster.district_id != district
    allocate(elsewhere, "300.00")
    assert poll(client, by_district).status_code == 204

    by_stream = client.get(county, {"stream": budget.stream_id}).content.decode()
    other_stream = FundingStreamFactory(code="SEN", name="SEN Support Top-up")
    allocate(ClusterBudgetFactory(cluster=budget.cluster, stream=other_stream, year=this_year), "7")
    assert poll(client, by_stream).status_code == 204

    allocate(budget, "5.00")
    fresh = poll(client, by_district)
    assert fresh.status_code == 200
    assert 'data-testid="tile-allocated">£20,012.00<' in fresh.content.decode()
    assert poll(client, by_stream).status_code == 200


def test_the_live_refresh_costs_a_handful_of_queries(
    client, send_officer, budget, this_year, django_assert_max_num_queries
):
    client.force_login(send_officer)
    page = client.get(reverse("budgets:county")).content.decode()
    for _ in range(5):
        allocate(ClusterBudgetFactory(year=this_year), "10.00")
    page = client.get(reverse("budgets:county")).content.decode()
    # Session, user, their scope, the board's version: then "nothing new".
    with django_assert_max_num_queries(4):
        assert poll(client, page).status_code == 204


def test_the_county_page_costs_the_same_queries_for_many_clusters(
    client, send_officer, this_year, django_assert_num_queries
):
    client.force_login(send_officer)
    allocate(ClusterBudgetFactory(year=this_year), "10.00")
    client.get(reverse("budgets:county"))  # warm the session

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("budgets:county"))
    for _ in range(30):
        allocate(ClusterBudgetFactory(year=this_year), "10.00")
    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("budgets:county"))
    assert page.content.decode().count("data-budget=") == 31


@pytest.mark.parametrize("odd", ["²", "99999999999999999999", "-1", "x"])
def test_an_odd_year_or_stream_in_the_address_shows_the_default_board(
    client, send_officer, budget, odd
):
    client.force_login(send_officer)
    for name in ("year", "stream", "district"):
        assert client.get(reverse("budgets:county"), {name: odd}).status_code == 200


def test_a_senco_sees_their_own_cluster_totals_only(client, senco_a, this_year):
    own = ClusterBudgetFactory(cluster=senco_a.memberships.get().school.cluster, year=this_year)
    allocate(own, "3000.00")
    other = ClusterBudgetFactory(year=this_year)
    client.force_login(senco_a)

    assert client.get(reverse("budgets:county")).url == reverse(
        "budgets:cluster", args=[own.cluster_id]
    )
    page = client.get(reverse("budgets:cluster", args=[own.cluster_id])).content.decode()
    assert "£3,000.00" in page
    assert client.get(reverse("budgets:cluster", args=[other.cluster_id])).status_code == 404
    assert client.get(reverse("budgets:budget", args=[own.pk])).status_code == 404
    assert (
        client.get(reverse("budgets:export", args=["ledger", "csv"]), {"go": 1}).status_code == 404
    )


def test_the_cluster_view_shows_awards_by_school(client, head_a, this_year, panel_rules, chair):
    school = head_a.memberships.get().school
    budget = ClusterBudgetFactory(cluster=school.cluster, year=this_year)
    allocate(budget, "10000.00")
    fr = request_on_agenda(budget, school=school)
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("4000.00"))
    )
    client.force_login(head_a)

    page = client.get(reverse("budgets:cluster", args=[school.cluster_id])).content.decode()

    assert school.name in page
    assert "£4,000.00" in page
    assert fr.reference in page


def test_a_finance_officer_previews_then_allocates(client, finance_officer, this_year):
    from tests.factories import FundingStreamFactory

    stream = FundingStreamFactory()
    a, b = ClusterFactory(name="Abingdon"), ClusterFactory(name="Banbury")
    SchoolYearStatsFactory(school=SchoolFactory(cluster=a), academic_year=2026)
    SchoolYearStatsFactory(school=SchoolFactory(cluster=b), academic_year=2026)
    client.force_login(finance_officer)
    form = {
        "stream": stream.pk,
        "year": this_year.pk,
        "pot": "100000.01",
        "weight_roll": "0.4",
        "weight_fsm": "0.3",
        "weight_sen_support": "0.3",
        "lump_sum": "0",
    }

    preview = client.post(reverse("budgets:allocate"), {**form, "action": "preview"})
    assert 'data-testid="allocation-total">£100,000.01<' in preview.content.decode()
    assert "(+1p rounding)" in preview.content.decode()
    assert not AllocationRun.objects.exists()

    done = client.post(reverse("budgets:allocate"), {**form, "action": "allocate"})
    assert done.status_code == 302
    assert selectors.cluster_available(a, stream) + selectors.cluster_available(
        b, stream
    ) == Decimal("100000.01")


def test_only_finance_officers_reach_the_allocation_form(client, send_officer):
    client.force_login(send_officer)
    assert client.get(reverse("budgets:allocate")).status_code == 403


def test_the_ledger_exports_as_csv_and_xlsx_filtered_by_cluster(
    client, finance_officer, budget, this_year
):
    other = ClusterBudgetFactory(year=this_year)
    allocate(other, "77.00", reason="=HYPERLINK(evil)")
    client.force_login(finance_officer)
    url_csv = reverse("budgets:export", args=["ledger", "csv"])

    body = client.get(url_csv, {"go": 1, "cluster": budget.cluster_id}).content.decode()
    assert "20000.00" in body and "77.00" not in body

    everything = client.get(url_csv, {"go": 1}).content.decode()
    assert "'=HYPERLINK(evil)" in everything  # never a live formula

    xlsx = client.get(
        reverse("budgets:export", args=["ledger", "xlsx"]), {"go": 1, "year": this_year.start_year}
    )
    sheet = load_workbook(
        io.BytesIO(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)
    ).active
    rows = list(sheet.values)
    assert rows[0][0] == "Entry" and len(rows) == 3


def test_the_payment_schedule_exports(client, finance_officer, budget, panel_rules, chair):
    fr = request_on_agenda(budget)
    apply_transition(
        fr, "approve", user=chair, message="Yes", command=Award(amount=Decimal("3000.00"))
    )
    client.force_login(finance_officer)

    body = client.get(
        reverse("budgets:export", args=["payments", "csv"]), {"go": 1}
    ).content.decode()

    assert fr.reference in body
    lines = body.strip().splitlines()[1:]
    assert sum(Decimal(line.split(",")[8]) for line in lines) == Decimal("3000.00")


def test_the_landing_dashboard_shows_the_budget_section(client, finance_officer, budget):
    client.force_login(finance_officer)
    page = client.get(reverse("dashboard")).content.decode()
    assert "County budgets" in page and "£20,000.00" in page


def test_a_panel_member_sees_their_cluster(client, budget):
    member = make_user(Role.PANEL_MEMBER, cluster=budget.cluster)
    client.force_login(member)
    assert client.get(reverse("budgets:cluster", args=[budget.cluster_id])).status_code == 200


def test_at_national_scale_the_county_page_shows_a_row_per_district_and_filters_by_one(
    client, send_officer, this_year, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(selectors.boards, "GROUP_ABOVE", 4)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import DistrictFactory

    north, south = DistrictFactory(name="North"), DistrictFactory(name="South")
    for district, amount in ((north, "100.00"), (south, "50.00")):
        for _ in range(3):
            allocate(ClusterBudgetFactory(year=this_year, cluster__district=district), amount)
    client.force_login(send_officer)
    client.get(reverse("budgets:county"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("budgets:county")).content.decode()

    assert page.count("data-district=") == 2 and "data-budget=" not in page
    assert f"district={north.pk}" in page and "£300.00" in page and "£150.00" in page

    for _ in range(20):
        allocate(ClusterBudgetFactory(year=this_year, cluster__district=south), "1.00")
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("budgets:county"))

    # A North budget goes past 90%: named in the warnings, counted on North's row; the
    # district rows are added up in the database, Python holds only budgets needing attention.
    tight = ClusterBudgetFactory(year=this_year, cluster__district=north, cluster__name="Tight")
    allocate(tight, "100.00")
    LedgerEntry.objects.create(
        budget=tight, kind="commitment", amount=Decimal("95.00"), reason="Award",
        request=request_on_agenda(tight),
    )  # fmt: skip
    board = selectors.budget_board(send_officer)
    assert (
        board.grouped and board.budget_count == 27 and board.totals.allocated == Decimal("570.00")
    )
    assert [r.cluster for r in board.rows] == ["Tight"]
    rows = {d.name: d for d in board.districts}
    assert (rows["North"].clusters, rows["North"].alerts, rows["South"].alerts) == (4, 1, 0)
    assert rows["North"].totals.committed == Decimal("95.00")
    page = client.get(reverse("budgets:county")).content.decode()
    assert "Tight (" in page[page.index('data-testid="budget-alerts"') :]
    assert "1 past 75%" in page

    north_only = client.get(reverse("budgets:county"), {"district": north.pk}).content.decode()
    assert north_only.count("data-budget=") == 4 and "Back to every district" in north_only
    assert 'data-testid="tile-allocated">£400.00<' in north_only
    live = client.get(reverse("budgets:county_live"), {"district": north.pk, "v": "x"})
    assert live.content.decode().count("data-budget=") == 4


def test_a_long_list_of_warnings_names_the_worst_and_counts_the_rest(
    client, send_officer, this_year
):
    for i in range(13):
        b = ClusterBudgetFactory(year=this_year)
        allocate(b, "100.00")
        fr = request_on_agenda(b)
        LedgerEntry.objects.create(
            budget=b, kind="commitment", amount=Decimal(80 + 2 * i), reason="Award", request=fr
        )
    client.force_login(send_officer)

    page = client.get(reverse("budgets:county")).content.decode()

    warnings = page[page.index('data-testid="budget-alerts"') :]
    assert warnings.index("over budget by £4.00") < warnings.index("over budget by £2.00")
    assert "and 3 more budgets past 75%" in page
