"""The chair's own school has an item: on the meeting page the chair names who chairs it
(htmx swaps the agenda row in place, no reload), and the page passes axe."""

import os

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels import services
from tests.browser.conftest import accessibility_violations
from tests.panels.factories import (
    build_panel,
    head_of_new_school,
    meeting_on,
    member,
    ready_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_chair_names_an_acting_chair_for_their_own_schools_item(
    new_page, sign_in, live_server, school_a, head_a, send_officer, password
):
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d", "head_e")]
    heads.append(head_a)
    panel = build_panel(cluster, send_officer, heads, extra_members=1)
    meeting = meeting_on(panel, timezone.localdate())
    chair = heads[0]
    own = ready_request(chair.memberships.get().school)
    item = services.schedule_request(own, by=send_officer, meeting=meeting)
    services.schedule_request(ready_request(school_a), by=send_officer, meeting=meeting)
    services.open_meeting(meeting, by=chair)
    services.record_attendance(
        meeting,
        by=chair,
        present=[member(panel, h) for h in heads] + list(panel.members.filter(voting=False)),
    )

    page = sign_in(new_page(), chair.username, password)
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/")
    expect(page.get_by_test_id("chair-recused-warning")).to_contain_text("The chair is recused")
    row = page.locator(f"#item-{item.pk}")
    expect(row).to_contain_text("Needs an acting chair")
    page.evaluate("window.__not_reloaded = true")
    row.get_by_label("Who chairs item 1").select_option(label=member(panel, heads[2]).name)
    row.get_by_role("button", name="Name acting chair").click()
    expect(page.locator(f"#item-{item.pk}")).to_contain_text(
        f"Chaired by {member(panel, heads[2]).name}"
    )
    assert page.evaluate("window.__not_reloaded") is True
    assert accessibility_violations(page) == []
    if shot := os.environ.get("ACTING_CHAIR_SCREENSHOT"):
        page.screenshot(path=shot, full_page=True)
