"""The impact report, worked by hand: outcomes at review, escalation within 12 and 24
months of the award against pupils declined, mainstream placements sustained and the
cost avoided, with small numbers shown as "low"."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from funding.models import FundingRequest
from panels.models import OutcomeReview
from reports import figures, queries, services
from reports import impact as im
from reports.models import EscalationImport, EscalationRecord, ReportRun, RunStatus
from tests.reports.impact_data import key, pupil, upn

LONDON = ZoneInfo("Europe/London")
SUBMITTED_2024 = datetime(2024, 10, 1, 10, 0, tzinfo=LONDON)
AS_OF = date(2026, 12, 1)
# The LA's records of the county below (see impact_county).
EVENTS = [
    (1, "ehcna_requested", date(2025, 3, 1)),
    (1, "ehcp_issued", date(2025, 12, 1)),
    (2, "specialist_placement", date(2026, 2, 1)),
    (7, "permanent_exclusion", date(2025, 6, 1)),
    (11, "ehcna_requested", date(2025, 1, 10)),
    (11, "ehcp_issued", date(2025, 6, 1)),
    (11, "specialist_placement", date(2025, 9, 1)),
    (12, "specialist_placement", date(2025, 3, 1)),
    (13, "ap_placement", date(2025, 12, 20)),
    (14, "permanent_exclusion", date(2025, 2, 1)),
    (15, "ehcna_requested", date(2025, 4, 1)),
]


# ---------------------------------------------------------------- the pure functions


def test_counts_of_1_to_4_are_low_and_so_is_a_rate_made_from_them():
    assert [im.suppress(n) for n in (None, 0, 1, 4, 5, 120)] == [None, 0, "low", "low", 5, 120]
    assert im.rate(0, 0) is None
    assert im.rate(0, 10) == 0.0  # no pupil to identify
    assert im.rate(3, 100) == "low"  # 3 pupils
    assert im.rate(5, 4) == "low"  # fewer than 5 pupils
    assert im.rate(5, 6) == 83.3  # 5 / 6 = 0.8333
    assert im.share_met(5, 0, 1) == 83.3


def test_months_are_calendar_months_and_a_pupil_counts_once_followed_that_long():
    assert im.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert im.add_months(date(2024, 10, 15), 24) == date(2026, 10, 15)
    assert im.within(date(2024, 10, 15), date(2025, 10, 15), 12)
    assert not im.within(date(2024, 10, 15), date(2025, 10, 16), 12)
    assert not im.within(date(2024, 10, 15), date(2024, 10, 14), 12)  # before the award
    assert im.followed(date(2024, 10, 15), date(2026, 12, 1), 24)
    assert not im.followed(date(2025, 1, 10), date(2026, 12, 1), 24)


def test_a_pupil_is_funded_from_the_first_award_else_declined_from_the_first_decline():
    assert im.cohort([]) is None
    assert im.cohort([(date(2024, 9, 20), False), (date(2025, 1, 10), True)]) == (
        "funded",
        date(2025, 1, 10),
    )
    assert im.cohort([(date(2024, 11, 5), False), (date(2024, 12, 1), False)]) == (
        "declined",
        date(2024, 11, 5),
    )


def test_cost_avoidance_worked_by_hand():
    # The comparison group: 2 placements among 6 pupils, 1/3 each. Had the 7 funded
    # pupils been placed at that rate: 7/3 = 2.33 placements; they had 0, so 2.33 avoided,
    # at £25,000 a year: £58,250.00.
    w = im.cost_avoidance("specialist_placement", 7, 0, 6, 2, Decimal("25000.00"))
    assert w.comparison_rate == Decimal("0.3333")
    assert w.expected_placed == Decimal("2.33")
    assert w.avoided == Decimal("2.33")
    assert w.saving == Decimal("58250.00")
    # More placements than expected: a negative figure (a cost, not a saving).
    worse = im.cost_avoidance("ap_placement", 10, 3, 10, 1, Decimal("18000.00"))
    assert worse.avoided == Decimal("-2.00") and worse.saving == Decimal("-36000.00")
    assert im.cost_avoidance("ap_placement", 0, 0, 6, 1, Decimal("1")).saving is None
    assert im.sustained(7, 1) == 6


# ---------------------------------------------------------------- a county worked by hand


@pytest.fixture
def impact_county(small_county):
    """2024/25. Funded at A1: pupils 1-6 approved 15 October 2024; pupil 7 declined on
    20 September 2024, then approved 10 January 2025 (funded, from the award). Declined
    at B1: pupils 11-16 on 5 November 2024. Reviews: pupils 1, 3, 4, 5, 6 met; 2 not met.

    Events (12 months from 15 Oct 2024 is 15 Oct 2025; from 5 Nov 2024, 5 Nov 2025):
      1: EHCNA 1 Mar 2025 (12), EHCP 1 Dec 2025 (24)   2: specialist 1 Feb 2026 (24)
      7: permanent exclusion 1 Jun 2025 (12; followed 12 months only, not 24)
      11: EHCNA 10 Jan 2025, EHCP 1 Jun 2025, specialist 1 Sep 2025 (all 12)
      12: specialist 1 Mar 2025 (12)   13: AP 20 Dec 2025 (24)
      14: permanent exclusion 1 Feb 2025 (12)   15: EHCNA 1 Apr 2025 (12)
    """
    a1, b1 = small_county["schools"]["A1"], small_county["schools"]["B1"]
    by_pupil = {}
    for n in range(1, 7):
        by_pupil[n] = pupil(
            a1, n, "closed", date(2024, 10, 15), "5000.00", submitted=SUBMITTED_2024
        )
    pupil(a1, 7, "declined", date(2024, 9, 20), submitted=SUBMITTED_2024)
    pupil(a1, 7, "approved", date(2025, 1, 10), "4000.00", submitted=SUBMITTED_2024)
    for n in range(11, 17):
        pupil(b1, n, "declined", date(2024, 11, 5), submitted=SUBMITTED_2024)
    for n, fr in by_pupil.items():
        OutcomeReview.objects.create(
            request=fr,
            result="not_met" if n == 2 else "met",
            evidence="Reviewed with the parents.",
            amount_spent=Decimal("5000.00"),
            reported_by=fr.created_by,
        )
    source = EscalationImport.objects.create(status="succeeded")
    for n, kind, on in EVENTS:
        EscalationRecord.objects.create(pupil_key=key(n), kind=kind, on=on, source=source)
    return small_county


def _result(scope=None):
    scope = scope or figures.ReportScope("county", None, "the county")
    rows = queries.impact_figures(2024, as_of=AS_OF, scope_kind=scope.kind, scope_id=scope.id)
    costs = {"specialist_placement": Decimal("25000.00"), "ap_placement": Decimal("18000.00")}
    return figures.impact(rows, scope, figures.Params(year=2024), costs)


def _rows(result, section):
    return next(s for s in result["sections"] if s["key"] == section)["rows"]


@pytest.mark.usefixtures("impact_county")
def test_escalation_against_the_comparison_group_worked_by_hand():
    result = _result()
    rows = {(r["name"], r["cohort"][:6]): r for r in _rows(result, "escalation")}
    funded_any = rows[("Any of these", "Funded")]
    # 7 funded pupils followed 12 months, 6 of them 24 (pupil 7 was funded in January).
    assert (funded_any["followed_12"], funded_any["followed_24"]) == (7, 6)
    # Pupils 1 and 7 within 12 months, pupils 1 and 2 within 24: counts under 5 are "low".
    assert (funded_any["with_12"], funded_any["rate_12"]) == ("low", "low")
    declined_any = rows[("Any of these", "Declin")]
    # Within 24 months: pupils 11, 12, 13, 14 and 15 of the 6, 5/6 = 83.3%.
    assert (declined_any["with_24"], declined_any["rate_24"]) == (5, 83.3)
    assert declined_any["with_12"] == "low"  # 11, 12, 14, 15
    no_ap = rows[("Alternative provision placement", "Funded")]
    assert (no_ap["with_12"], no_ap["rate_12"], no_ap["with_24"]) == (0, 0.0, 0)

    sustained = {r["name"][:6]: r for r in _rows(result, "sustained")}
    # Funded: 7 followed, pupil 7 excluded: 6 still in mainstream (85.7%); at 24 months
    # pupil 2's placement: 5 of 6 (83.3%). Declined: 6 - 3 = 3 and 6 - 4 = 2: low.
    assert (sustained["Funded"]["sustained_12"], sustained["Funded"]["sustained_12_pct"]) == (
        6,
        85.7,
    )
    assert (sustained["Funded"]["sustained_24"], sustained["Funded"]["sustained_24_pct"]) == (
        5,
        83.3,
    )
    assert sustained["Declin"]["sustained_12"] == "low"

    cost = {r["name"][:4]: r for r in _rows(result, "cost")}
    # See test_cost_avoidance_worked_by_hand: 7 funded, 0 placed; 6 compared, 2 placed.
    assert cost["Spec"]["saving"] == "58250.00" and cost["Spec"]["expected_placed"] == 2.33
    assert cost["Spec"]["comparison_placed"] == "low"
    # No AP placement within 12 months in either group: nothing avoided.
    assert cost["Alte"]["saving"] == "0.00"
    summary = {s[0]: s[1] for s in result["summary"]}
    assert summary["Pupils funded (first award in the year)"] == 7
    assert summary["Pupils declined and never funded (comparison group)"] == 6
    assert summary["Cost avoided a year (estimate, 12 months)"] == "58250.00"
    assert any("not a random control group" in line for line in result["method"])


@pytest.mark.usefixtures("impact_county")
def test_outcomes_by_need_band_phase_and_fund_worked_by_hand():
    outcomes = {(r["dimension"], r["name"]): r for r in _rows(_result(), "outcomes")}
    slcn = outcomes[("Primary need", "SLCN")]
    # 6 reviews: 5 met, 1 not met (shown "low"), 5/6 = 83.3% met.
    assert (slcn["met"], slcn["not_met"], slcn["reviews"], slcn["met_pct"]) == (5, "low", 6, 83.3)
    assert outcomes[("Band", "Not given")]["reviews"] == 6
    assert outcomes[("Fund", "Exceptional Needs Grant")]["met"] == 5


def test_a_cluster_report_counts_only_its_own_pupils(impact_county):
    alpha = impact_county["clusters"]["A"]
    result = _result(figures.ReportScope("cluster", alpha.pk, "Alpha cluster"))
    summary = {s[0]: s[1] for s in result["summary"]}
    # Only the funded pupils are Alpha's: no comparison group here, so no estimate.
    assert summary["Pupils funded (first award in the year)"] == 7
    assert summary["Pupils declined and never funded (comparison group)"] == 0
    assert summary["Cost avoided a year (estimate, 12 months)"] is None


def test_the_impact_report_run_writes_files_that_agree_and_never_a_upn(
    impact_county, send_officer, monkeypatch
):
    monkeypatch.setattr(services, "enqueue", lambda run_id: None)
    run = services.request_report(
        user=send_officer,
        kind="impact",
        scope_kind="county",
        scope_id=None,
        academic_year=2024,
        unit_costs={"specialist_placement": "30000"},
    )
    services.produce(run.pk)
    run = ReportRun.objects.get(pk=run.pk)
    assert run.status == RunStatus.SUCCEEDED, run.error_message
    assert run.parameters["unit_costs"]["specialist_placement"] == "30000.00"
    files = {fmt: run.open_file(fmt).read() for fmt in ("html", "csv", "xlsx", "pdf")}
    html = files["html"].decode()
    assert "Impact report: the county, 2024/25" in html
    assert "Cost of a year&#x27;s specialist placement" in html or "specialist placement" in html
    table = list(csv.DictReader(io.StringIO(files["csv"].decode("utf-8-sig"))))
    spec = next(r for r in table if r["Name"] == "Specialist placement" and r["Table"] == "cost")
    # 2.33 placements avoided at £30,000: £69,900.00, in the CSV and on the page.
    assert spec["Cost avoided a year (estimate)"] == "69900.00"
    assert "£69,900.00" in html
    for n in (1, 2, 7, 11, 15):
        for fmt, content in files.items():
            assert upn(n).encode() not in content, fmt
            assert key(n).encode() not in content, fmt


@pytest.mark.usefixtures("impact_county")
def test_support_beyond_money_is_counted_by_kind_with_and_instead_of_an_award_worked_by_hand():
    from panels.models import Decision, DecisionAction

    award = Decision.objects.filter(outcome="approved").order_by("pk")
    decline = Decision.objects.filter(outcome="declined").order_by("pk")
    officer = award[0].la_officer

    def offer(decision, kind, due):
        DecisionAction.objects.create(
            decision=decision, kind=kind, detail="Support.", owner="County team", due_by=due,
            created_by=officer,
        )  # fmt: skip

    # Two awards with an EP referral (one due before AS_OF), one with outreach; three
    # declines with advice instead (two due); and a decision of another year, not counted.
    offer(award[0], "educational_psychologist", date(2025, 1, 1))
    offer(award[1], "educational_psychologist", date(2027, 1, 1))
    offer(award[2], "outreach", date(2027, 2, 1))
    dues = (date(2025, 1, 1), date(2025, 2, 1), date(2027, 1, 1))
    for decision, due in zip(decline[:3], dues, strict=True):
        offer(decision, "advice", due)
    earlier = decline[3]
    earlier.decided_at = datetime(2023, 10, 1, 12, tzinfo=LONDON)
    earlier.save(update_fields=["decided_at"])
    offer(earlier, "specialist_teacher", date(2024, 1, 1))

    rows = {r["name"]: r for r in _rows(_result(), "support")}
    ep = rows["Referred to an educational psychologist"]
    assert (ep["with_award"], ep["without_award"], ep["follow_ups"], ep["due"]) == (2, 0, 2, 1)
    assert rows["Referred for outreach"]["with_award"] == 1
    advice = rows["Advice given"]
    assert (advice["with_award"], advice["without_award"], advice["due"]) == (0, 3, 2)
    assert rows["Referred to a specialist teacher"]["follow_ups"] == 0


def test_a_mean_award_is_to_the_penny_and_low_from_fewer_than_5_awards():
    assert im.mean_award(Decimal("10000.00"), 3) == "low"
    assert im.mean_award(Decimal("25000.00"), 6) == Decimal("4166.67")
    assert im.mean_award(Decimal("0"), 0) is None


@pytest.mark.usefixtures("impact_county")
def test_decisions_by_group_and_each_cluster_against_the_county_worked_by_hand(impact_county):
    from panels.models import AgendaItem, Meeting, ModerationView, Panel, PanelMember
    from tests.factories import make_user

    # Alpha's panel scored two of its items in 2024/25: 3+3+3+4 = 13 against 2+2+2+1 = 7
    # (a spread of 6), and 4+4+4+4 = 16 against 3+3+3+3 = 12 (4): a mean spread of 5.0. A
    # third item scored once is not a spread.
    alpha = impact_county["clusters"]["A"]
    panel = Panel.objects.create(cluster=alpha, name="Alpha panel")
    meeting = Meeting.objects.create(
        panel=panel, date=date(2024, 10, 10), closing_date=date(2024, 10, 1)
    )
    members = [
        PanelMember.objects.create(
            panel=panel, user=make_user("panel_member", cluster=alpha), role="educational_psychologist",
            start_date=date(2024, 1, 1),
        )
        for _ in range(2)
    ]  # fmt: skip
    alpha_requests = list(
        FundingRequest.objects.filter(cluster=alpha, decisions__isnull=False).distinct()[:3]
    )
    for order, (fr, scores) in enumerate(
        zip(alpha_requests, [((3, 3, 3, 4), (2, 2, 2, 1)), ((4,) * 4, (3,) * 4), ((2,) * 4,)],
            strict=True),
        start=1,
    ):  # fmt: skip
        item = AgendaItem.objects.create(meeting=meeting, request=fr, order=order)
        for member, (a, b, c, d) in zip(members, scores, strict=False):
            ModerationView.objects.create(
                item=item, member=member, evidence_of_need=a, graduated_approach=b,
                likely_impact=c, value_for_money=d, recommendation="approve",
            )  # fmt: skip

    eq = queries.equalities_figures(2024)
    sections = {
        s["key"]: s["rows"]
        for s in figures.impact(
            queries.impact_figures(2024, as_of=AS_OF),
            figures.ReportScope("county", None, "the county"),
            figures.Params(year=2024),
            {"specialist_placement": Decimal("25000.00"), "ap_placement": Decimal("18000.00")},
            equality_figures=eq,
        )["sections"]
    }
    # 14 decisions in 2024/25: Alpha's 7 awards (6 × £5,000 and £4,000) and pupil 7's
    # earlier decline; Beta's 6 declines. County: 7 of 14 approved, £34,000 / 7.
    clusters = {r["name"]: r for r in sections["consistency"]}
    assert clusters["Alpha"]["decisions"] == 8 and clusters["Alpha"]["approval_pct"] == 87.5
    assert clusters["Alpha"]["mean_award"] == "4857.14"
    assert clusters["Alpha"]["county_approval_pct"] == 50.0
    assert clusters["Alpha"]["county_mean_award"] == "4857.14"
    assert (clusters["Alpha"]["items"], clusters["Alpha"]["mean_spread"]) == (2, 5.0)
    assert clusters["Beta"]["approval_pct"] == 0.0 and clusters["Beta"]["mean_award"] is None
    # By pupil group, every decision once per dimension; a need with fewer than 5
    # decisions shows "low".
    groups = sections["equalities"]
    for dimension in ("Sex", "Year group", "Primary need", "Phase", "Need and band"):
        shown = [r["decisions"] for r in groups if r["dimension"] == dimension]
        assert sum(eq_row["decisions"] for eq_row in eq["all"]) == 14
        assert all(n == "low" or isinstance(n, int) for n in shown), dimension
    phase = {r["name"]: r for r in groups if r["dimension"] == "Phase"}
    assert phase["Primary"]["decisions"] == 14 and phase["Primary"]["approval_pct"] == 50.0
