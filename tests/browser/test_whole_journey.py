"""Two people, two browsers, one decision: an LA officer keeps the county budget
dashboard open while a chair runs the panel meeting and approves a request in part.
The officer's figures change by themselves within five seconds. Every page either
of them passes through is checked against WCAG 2.2 AA with axe."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from budgets import services as budget_services
from budgets.allocation import Weights
from budgets.models import FinancialYear
from panels import services as panel_services
from panels.models import PanelMember
from tests.browser.conftest import accessibility_violations
from tests.factories import FundingRequestFactory
from tests.journey.conftest import county  # noqa: F401 -- the journeys' county fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def on_the_agenda(county):  # noqa: F811 -- the imported fixture
    """The county's budgets allocated, and a ready request from Ashfield on today's agenda."""
    today = timezone.localdate()
    budget_services.allocate_by_formula(
        stream=county.stream,
        year=FinancialYear.for_date(today),
        pot=Decimal("60000.00"),
        weights=Weights(Decimal("0.4"), Decimal("0.3"), Decimal("0.3")),
        user=county.finance_officer,
    )
    fr = FundingRequestFactory(
        stream=county.stream,
        school=county.ashfield,
        created_by=county.senco,
        state="ready",
        reference=f"ENG-{today.year}-00042",
        submitted_at=timezone.now(),
        total_cost=Decimal("11025.00"),
        school_contribution=Decimal("6000.00"),
        amount_requested=Decimal("5025.00"),
    )
    item = panel_services.schedule_request(fr, by=county.send_officer)
    assert item.meeting == county.north_meeting
    return item


# htmx logs a request it aborted for a newer one (hx-sync "replace", as the live quorum
# and the budget in the room do) as an error; a failed request still shows by its status.
REPLACED_BY_NEWER = ("htmx:sendAbort", "htmx:afterRequest")


def watch_for_errors(page, problems):
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and not m.text.startswith(REPLACED_BY_NEWER)
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )


def test_the_officers_dashboard_shows_the_chairs_decision_within_five_seconds(
    new_page,
    sign_in,
    live_server,
    password,
    county,  # noqa: F811
    on_the_agenda,
):
    from playwright.sync_api import expect

    item, meeting = on_the_agenda, county.north_meeting
    problems: list[str] = []

    # The LA officer opens the county dashboard and leaves it open.
    officer = sign_in(new_page(), county.send_officer.username, password)
    watch_for_errors(officer, problems)
    officer.goto(f"{live_server.url}/budgets/")
    committed = officer.get_by_test_id("tile-committed")
    expect(committed).to_have_text("£0.00")
    expect(officer.get_by_test_id("tile-available")).to_have_text("£60,000.00")
    assert accessibility_violations(officer) == []

    # The chair, in another browser, starts from their dashboard and opens the meeting.
    chair = sign_in(new_page(), county.chair.username, password)
    watch_for_errors(chair, problems)
    expect(chair.get_by_test_id("panel-meetings")).to_contain_text("You chair")
    assert accessibility_violations(chair) == []
    chair.get_by_test_id("panel-meetings").get_by_role("link").first.click()
    expect(chair.get_by_role("heading", level=1)).to_contain_text("Meeting on")
    chair.get_by_role("button", name="Open the meeting").click()
    for m in PanelMember.objects.filter(panel=meeting.panel, user__in=county.heads):
        chair.check(f'input[name="present"][value="{m.pk}"]')
    chair.get_by_role("button", name="Record attendance").click()
    expect(chair.get_by_test_id("quorum")).to_have_text("Quorate")
    assert accessibility_violations(chair) == []

    # The item's papers, then the decision: approved in part, with its reasons.
    chair.get_by_test_id("agenda").get_by_role("link", name=item.request.reference).click()
    expect(chair.get_by_role("button", name="Record decision")).to_be_visible()
    assert accessibility_violations(chair) == []
    chair.get_by_label("Partially approved").check()
    chair.get_by_label("Amount approved (£), for a partial approval").fill("3333.33")
    chair.get_by_label("Rationale").fill("The need is clear; ten hours a week meets it.")
    chair.get_by_label("Conditions").fill("A termly note to the cluster.")
    review = timezone.localdate() + timedelta(days=90)
    chair.get_by_label("Day").first.fill(str(review.day))
    chair.get_by_label("Month").first.fill(str(review.month))
    chair.get_by_label("Year").first.fill(str(review.year))
    chair.evaluate("window.stillThisPage = true")
    chair.get_by_role("button", name="Record decision").click()
    # The item page stays (htmx): the decision and the budget in the room are swapped in.
    expect(chair.get_by_test_id("decided")).to_contain_text(
        "Recorded: Partially approved (£3,333.33)."
    )
    expect(chair.get_by_test_id("room-awarded")).to_contain_text("£3,333.33")
    assert chair.evaluate("window.stillThisPage") is True
    assert accessibility_violations(chair) == []

    # The officer did nothing: the open dashboard catches up by itself.
    expect(committed).to_have_text("£3,333.33")
    expect(officer.get_by_test_id("tile-available")).to_have_text("£56,666.67")
    assert accessibility_violations(officer) == []
    assert problems == []
