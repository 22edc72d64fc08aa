"""The chair runs the meeting from its page, in a real browser, without a reload: each
attendance tick moves the quorum, and recording an approval from the agenda moves the
budget in the room and the item's row. The meeting page (with the decision form open,
with its errors, and after the decision), the close confirmation and the decision letters
pass axe (WCAG 2.2 AA)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels import services
from panels.models import Letter
from tests.browser.conftest import accessibility_violations
from tests.panels.factories import (
    build_panel,
    head_of_new_school,
    meeting_on,
    member,
    ready_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def todays_meeting(school_a, senco_a, head_a, send_officer):
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d", "head_e")]
    heads.append(head_a)
    panel = build_panel(cluster, send_officer, heads, extra_members=1)
    meeting = meeting_on(panel, timezone.localdate())
    # One request of £7,500 from head_d's school: its cluster's pot is £100,000.
    request = ready_request(heads[1].memberships.get().school)
    item = services.schedule_request(request, by=send_officer, meeting=meeting)
    services.open_meeting(meeting, by=heads[0])
    return {"panel": panel, "meeting": meeting, "item": item, "heads": heads}


def test_the_chair_ticks_attendance_and_records_an_approval_and_nothing_reloads(
    new_page, sign_in, live_server, todays_meeting, password
):
    panel, meeting, item, heads = (todays_meeting[k] for k in ("panel", "meeting", "item",
                                                                 "heads"))  # fmt: skip
    chair = heads[0]
    console = []
    page = sign_in(new_page(), chair.username, password)
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/")
    expect(page.get_by_test_id("quorum")).to_contain_text("Not quorate")
    remains = page.get_by_test_id("room-remains")
    expect(remains).to_have_text("£92,500.00")  # if the one item were granted in full
    page.evaluate("window.stillThisPage = true")

    # Each tick is saved as it is made and the quorum follows it.
    ids = [member(panel, h).pk for h in heads]
    page.check(f'input[name="present"][value="{ids[0]}"]')
    expect(page.locator("#quorum")).to_contain_text("1 voting member")
    page.check(f'input[name="present"][value="{ids[1]}"]')
    expect(page.locator("#quorum")).to_contain_text("2 voting members present")
    expect(page.get_by_test_id("quorum")).to_have_text("Not quorate")
    page.check(f'input[name="present"][value="{ids[2]}"]')
    expect(page.get_by_test_id("quorum")).to_have_text("Quorate")
    # head_d is recused from the item (it is their school's): it needs a fourth.
    expect(page.get_by_test_id("agenda")).to_contain_text("Inquorate for this item")
    page.check(f'input[name="present"][value="{ids[3]}"]')
    expect(page.get_by_test_id("agenda")).not_to_contain_text("Inquorate for this item")

    # The agenda row now offers the decision; its form opens on this page.
    page.get_by_test_id(f"decide-{item.pk}").click()
    expect(page.get_by_test_id("decide-heading")).to_contain_text(item.request.reference)
    assert accessibility_violations(page) == []
    # Nothing filled in: the errors come back in the form's place, with the summary.
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert page.title().startswith("Error:")
    assert accessibility_violations(page) == []

    page.get_by_label("Approved", exact=True).check()
    page.get_by_label("Rationale").fill("Two cycles with measured impact.")
    review = timezone.localdate() + timedelta(days=90)
    slot = page.locator("#decide-slot")
    slot.get_by_label("Day").first.fill(str(review.day))
    slot.get_by_label("Month").first.fill(str(review.month))
    slot.get_by_label("Year").first.fill(str(review.year))
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_test_id("decided")).to_contain_text("Approved (£7,500.00)")
    # The budget in the room and the agenda's row follow, and the quorum is still there.
    expect(page.get_by_test_id("room-available")).to_have_text("£92,500.00")
    expect(page.get_by_test_id("room-awarded")).to_contain_text("£7,500.00")
    expect(page.get_by_test_id("agenda")).to_contain_text("Approved (£7,500.00)")
    expect(page.get_by_test_id("quorum")).to_have_text("Quorate")
    assert page.get_by_test_id(f"decide-{item.pk}").count() == 0
    assert not page.title().startswith("Error:")
    # The same page all along: the marker set before the first tick is still there.
    assert page.evaluate("window.stillThisPage") is True
    assert accessibility_violations(page) == []

    # Closing shows what will happen and asks to confirm (audited), then the letters.
    page.get_by_test_id("close-meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close")
    assert accessibility_violations(page) == []
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Minutes")
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/letters/")
    expect(page.locator("main")).to_contain_text(item.request.reference)
    assert accessibility_violations(page) == []
    letter = Letter.objects.get(item=item)
    page.goto(f"{live_server.url}/panels/letters/{letter.pk}/")
    expect(page.locator("main")).to_contain_text("Two cycles with measured impact.")
    assert accessibility_violations(page) == []
    assert [e for e in console if "htmx" not in e] == []
