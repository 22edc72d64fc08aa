"""Independent moderation and a chair's action in a real browser: a member sees nobody's
scores until recording their own, the chair reveals the spread with totals and means,
and the LA SEND officer the chair named confirms the chair's action on their own page.
Each page passes axe."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funding.models import FundingRequest
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


def shot(page, name: str) -> None:
    # Screenshots for a reviewer to look at, only when asked for (a folder to write to).
    if folder := os.environ.get("MODERATION_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def score(page, need: str, graduated: str, impact: str, value: str) -> None:
    for label, value_ in (
        ("Evidence of need", need),
        ("Graduated approach followed", graduated),
        ("Likely impact", impact),
        ("Value for money", value),
    ):
        page.get_by_role("group", name=label).get_by_label(value_, exact=True).check()


@pytest.fixture
def story(school_a, head_a, send_officer):
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d", "head_e")]
    heads.append(head_a)
    panel = build_panel(cluster, send_officer, heads, extra_members=1)
    today = timezone.localdate()
    meeting = meeting_on(panel, today)
    meeting_on(panel, today + timedelta(days=28), closing=today + timedelta(days=18))
    item = services.schedule_request(ready_request(school_a), by=send_officer, meeting=meeting)
    return panel, meeting, heads, item


def test_a_member_is_blind_until_recording_and_the_chair_reveals_totals_and_means(
    new_page, sign_in, live_server, story, password
):
    panel, meeting, heads, item = story
    chair, head_d, head_e, _ = heads
    services.record_moderation(
        item,
        by=head_e,
        scores={
            "evidence_of_need": 2,
            "graduated_approach": 1,
            "likely_impact": 3,
            "value_for_money": 2,
        },
        recommendation="decline",
        comment="Only one cycle of support.",
    )
    url = f"{live_server.url}/panels/items/{item.pk}/"

    page = sign_in(new_page(), head_d.username, password)
    page.goto(url)
    expect(page.get_by_test_id("blind")).to_contain_text("Record your own view first")
    expect(page.get_by_text("Only one cycle of support.")).to_have_count(0)
    assert accessibility_violations(page) == []
    shot(page, "1-member-before-recording")

    score(page, "4 – strongly met", "3 – met", "3 – met", "3 – met")
    page.get_by_role("group", name="Recommendation").get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Save your view").click()
    expect(page.get_by_test_id("views")).to_contain_text("Only one cycle of support.")
    expect(page.get_by_test_id("spread")).to_be_visible()
    expect(page.get_by_test_id("total")).to_have_count(0)
    assert accessibility_violations(page) == []
    shot(page, "2-member-after-recording")

    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    page = sign_in(new_page(), chair.username, password)
    page.goto(url)
    expect(page.get_by_test_id("blind")).to_be_visible()
    page.get_by_role("button", name="Reveal the members' views to the panel").click()
    expect(page.get_by_test_id("revealed")).to_contain_text("showed the panel every view")
    expect(page.get_by_test_id("total")).to_have_count(4)
    expect(page.get_by_role("columnheader", name="Total (of 2)")).to_be_visible()
    assert accessibility_violations(page) == []
    shot(page, "3-chair-spread-with-totals")


def test_the_named_officer_confirms_the_chairs_action_on_their_own_page(
    new_page, sign_in, live_server, story, password, send_officer
):
    panel, meeting, heads, _ = story
    chair = heads[0]
    fr = ready_request(heads[1].memberships.get().school, request_type="urgent")
    proposal = services.propose_chairs_action(
        fr,
        by=chair,
        officer=send_officer,
        outcome="partially_approved",
        amount="4000.00",
        rationale="Interim 1:1 support until the panel meets: the placement is at risk.",
        conditions="Reviewed with the educational psychologist after a term.",
        review_date=timezone.localdate() + timedelta(days=90),
    )

    page = sign_in(new_page(), send_officer.username, password)
    page.goto(f"{live_server.url}/")
    page.get_by_test_id("chairs-action-to-confirm").get_by_role("link").click()
    expect(page.get_by_test_id("proposal")).to_contain_text("£4,000.00")
    expect(page.get_by_test_id("status")).to_contain_text("Awaiting")
    assert accessibility_violations(page) == []
    shot(page, "4-officer-confirmation-page")
    page.get_by_role("button", name="Confirm the chair's action").click()
    expect(page.get_by_test_id("two-people")).to_contain_text("confirmed by")
    assert FundingRequest.objects.get(pk=fr.pk).state == "partially_approved"
    proposal.refresh_from_db()
    assert proposal.decision is not None
