"""A panel meeting in a real browser: the agenda the day before, the chair running the
meeting (live quorum through htmx), the moderation spread, a decision form with errors
then a decision, the minutes; and a recused member who never sees the other views.
Every page is checked against WCAG 2.2 AA with axe."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels import services
from panels.models import Meeting
from tests.browser.conftest import accessibility_violations
from tests.panels.factories import (
    build_panel,
    head_of_new_school,
    meeting_on,
    member,
    ready_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCORES = {
    # Two members think the evidence strong, one weak: the spread shows the disagreement.
    "head_d": dict(evidence_of_need=4, graduated_approach=4, likely_impact=3, value_for_money=3),
    "head_e": dict(evidence_of_need=1, graduated_approach=2, likely_impact=2, value_for_money=2),
    "chair_head": dict(
        evidence_of_need=3, graduated_approach=3, likely_impact=3, value_for_money=3
    ),
}


@pytest.fixture
def tomorrows_meeting(school_a, senco_a, head_a, send_officer):
    """Four heads (the chair first) and tomorrow's meeting with a request from head_a's school."""
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d", "head_e")]
    heads.append(head_a)
    panel = build_panel(cluster, send_officer, heads, extra_members=1)
    today = timezone.localdate()
    meeting = meeting_on(panel, today + timedelta(days=1), closing=today)
    request_a = ready_request(school_a, created_by=senco_a)
    item = services.schedule_request(request_a, by=send_officer, meeting=meeting)
    for head in heads[:3]:
        services.record_moderation(
            item,
            by=head,
            scores=SCORES[head.username],
            recommendation="approve" if head.username != "head_e" else "decline",
            comment=f"View of {head.username}.",
        )
    return {"panel": panel, "meeting": meeting, "item": item, "heads": heads}


def test_the_chair_runs_tomorrows_meeting_and_a_recused_member_sees_no_views(
    new_page, sign_in, live_server, tomorrows_meeting, password
):
    panel, meeting, item, heads = (tomorrows_meeting[k] for k in ("panel", "meeting", "item",
                                                                  "heads"))  # fmt: skip
    chair, head_d, head_e, head_a = heads
    meeting_url = f"{live_server.url}/panels/meetings/{meeting.pk}/"
    item_url = f"{live_server.url}/panels/items/{item.pk}/"

    # The chair reads tomorrow's agenda.
    page = sign_in(new_page(), chair.username, password)
    page.goto(meeting_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Meeting on")
    expect(page.get_by_test_id("agenda")).to_contain_text(item.request.reference)
    expect(page.get_by_test_id("agenda")).to_contain_text("Members disagree")
    assert accessibility_violations(page) == []

    # A member recused from the item (it comes from their school), in another browser.
    recused = sign_in(new_page(), head_a.username, password)
    recused.goto(meeting_url)
    expect(recused.get_by_test_id("agenda")).to_contain_text("You are recused")
    recused.goto(item_url)
    expect(recused.get_by_test_id("recused-notice")).to_be_visible()
    expect(recused.get_by_test_id("recusals")).to_contain_text("From the requesting school")
    assert recused.get_by_test_id("views").count() == 0
    assert recused.get_by_test_id("spread").count() == 0
    for other in ("head_d", "head_e", "chair_head"):
        assert f"View of {other}." not in recused.content()
    assert accessibility_violations(recused) == []

    # The day comes (the test moves the meeting, not the clock): the chair opens it.
    Meeting.objects.filter(pk=meeting.pk).update(date=timezone.localdate())
    page.goto(meeting_url)
    page.get_by_role("button", name="Open the meeting").click()
    expect(page.get_by_test_id("quorum")).to_contain_text("Not quorate")

    # Ticking who is present updates the quorum in place: no page load in between.
    page.evaluate("window.stillThisPage = true")
    ids = {h: member(panel, h).pk for h in heads}
    page.check(f'input[name="present"][value="{ids[chair]}"]')
    page.check(f'input[name="present"][value="{ids[head_d]}"]')
    page.get_by_role("button", name="Record attendance").click()
    expect(page.locator("#quorum")).to_contain_text("2 voting members present")
    expect(page.get_by_test_id("quorum")).to_have_text("Not quorate")
    page.check(f'input[name="present"][value="{ids[head_e]}"]')
    page.check(f'input[name="present"][value="{ids[head_a]}"]')
    page.get_by_role("button", name="Record attendance").click()
    expect(page.get_by_test_id("quorum")).to_have_text("Quorate")
    assert page.evaluate("window.stillThisPage") is True
    assert accessibility_violations(page) == []

    # The chair reads the spread of views, then records the decision; a first try with
    # nothing filled in shows the errors.
    page.goto(item_url)
    expect(page.get_by_test_id("spread")).to_contain_text("members disagree")
    expect(page.get_by_test_id("views")).to_contain_text("View of head_e.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    assert page.title().startswith("Error:")
    assert accessibility_violations(page) == []

    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Rationale").fill("Two cycles with measured impact; head_a recused.")
    review = timezone.localdate() + timedelta(days=90)
    page.get_by_label("Day").first.fill(str(review.day))
    page.get_by_label("Month").first.fill(str(review.month))
    page.get_by_label("Year").first.fill(str(review.year))
    page.evaluate("window.stillThisPage = true")
    page.get_by_role("button", name="Record decision").click()
    # The chair stays on the item (htmx swaps the decision and the budget in).
    expect(page.get_by_test_id("decided")).to_contain_text("Recorded: Approved")
    expect(page.get_by_test_id("room-awarded")).to_contain_text("1 decided")
    assert page.evaluate("window.stillThisPage") is True
    page.get_by_role("link", name="Back to the meeting").click()
    expect(page.get_by_test_id("agenda")).to_contain_text("Approved")

    # The recused member still sees no views, and cannot be shown the decision form.
    recused.goto(item_url)
    expect(recused.get_by_test_id("recused-notice")).to_be_visible()
    assert recused.get_by_test_id("views").count() == 0
    assert recused.get_by_role("button", name="Record decision").count() == 0

    # Closing shows what will happen first; the confirmation publishes the minutes.
    page.get_by_role("button", name="Close the meeting").click()
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Minutes")
    expect(page.locator("main")).to_contain_text("Two cycles with measured impact")
    assert accessibility_violations(page) == []
