"""The LA officer's and the chair's calendar pages in a real browser, each passing axe:
closing a meeting shows what will happen before it is confirmed. Set
MEETINGS_SCREENSHOTS=<dir> to keep a screenshot of each page."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from panels import services
from panels.models import MeetingStatus
from tests.browser.conftest import accessibility_violations
from tests.panels.factories import (
    build_panel,
    head_of_new_school,
    meeting_on,
    member,
    ready_request,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shoot(page, name: str) -> None:
    if folder := os.environ.get("MEETINGS_SCREENSHOTS"):
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def county(school_a, head_a, send_officer):
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d", "head_e")]
    heads.append(head_a)
    panel = build_panel(cluster, send_officer, heads, extra_members=1)
    today = timezone.localdate()
    meeting = meeting_on(panel, today)
    onward = meeting_on(panel, today + timedelta(days=28), closing=today + timedelta(days=18))
    return panel, heads, meeting, onward


def test_the_chair_sees_what_closing_will_do_and_confirms(
    new_page, sign_in, live_server, county, school_a, send_officer, password
):
    panel, heads, meeting, onward = county
    chair, head_d, head_e, _ = heads
    decided = services.schedule_request(ready_request(school_a), by=send_officer, meeting=meeting)
    waiting = services.schedule_request(
        ready_request(head_d.memberships.get().school), by=send_officer, meeting=meeting
    )
    services.declare_conflict(waiting, by=head_e, reason="Governor at the school")
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    services.record_decision(decided, by=chair, outcome="declined", rationale="Only one cycle.")

    page = sign_in(new_page(), chair.username, password)
    page.goto(f"{live_server.url}/panels/meetings/{meeting.pk}/")
    page.get_by_test_id("close-meeting").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Close the meeting of")
    expect(page.get_by_test_id("close-deferrals")).to_contain_text(waiting.request.reference)
    expect(page.get_by_test_id("close-deferrals")).to_contain_text(f"{onward.date:%-d %B %Y}")
    expect(page.get_by_test_id("minutes-preview")).to_contain_text(
        "declared a conflict of interest"
    )
    expect(page.get_by_test_id("minutes-preview")).not_to_contain_text("Governor at the school")
    assert accessibility_violations(page) == []
    shoot(page, "close-confirmation")
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Minutes:")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    assert onward.items.filter(request=waiting.request).exists()


def _school_day(after):
    from panels.calendar import why_closed

    day = after + timedelta(days=1)
    while why_closed(day):
        day += timedelta(days=1)
    return day


def test_the_officer_previews_a_year_before_publishing_it(
    new_page, sign_in, live_server, county, send_officer, password
):
    panel, *_ = county
    first = _school_day(timezone.localdate() + timedelta(days=40))
    page = sign_in(new_page(), send_officer.username, password)
    page.goto(f"{live_server.url}/panels/{panel.pk}/")
    page.get_by_label("Day").first.fill(str(first.day))
    page.get_by_label("Month").first.fill(str(first.month))
    page.get_by_label("Year").first.fill(str(first.year))
    page.get_by_role("button", name="Preview the meetings").click()
    expect(page.get_by_test_id("year-plan")).to_be_visible()
    assert accessibility_violations(page) == []
    shoot(page, "publish-preview")
    page.get_by_test_id("publish-year").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(panel.name)


def test_the_officer_cancels_or_moves_a_meeting(
    new_page, sign_in, live_server, county, school_a, send_officer, password
):
    panel, heads, meeting, onward = county
    services.schedule_request(ready_request(school_a), by=send_officer, meeting=onward)
    later = meeting_on(panel, onward.date + timedelta(days=28))
    page = sign_in(new_page(), send_officer.username, password)
    page.goto(f"{live_server.url}/panels/meetings/{onward.pk}/")
    page.get_by_test_id("cancel-or-move-link").click()
    expect(page.get_by_test_id("cancel-effect")).to_contain_text(f"{later.date:%-d %B %Y}")
    page.get_by_test_id("move-meeting").click()  # nothing filled in: the errors are summarised
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert accessibility_violations(page) == []
    shoot(page, "cancel-or-move")
    page.get_by_label("Why is the meeting cancelled?").fill("The hall is flooded.")
    page.get_by_test_id("cancel-meeting").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is cancelled")
    onward.refresh_from_db()
    assert onward.status == MeetingStatus.CANCELLED
    assert later.items.count() == 1


def test_the_officer_schedules_many_requests_at_once(
    new_page, sign_in, live_server, county, school_a, send_officer, password
):
    panel, heads, meeting, onward = county
    waiting = [ready_request(h.memberships.get().school) for h in heads]
    page = sign_in(new_page(), send_officer.username, password)
    page.goto(f"{live_server.url}/panels/schedule/")
    page.get_by_test_id("schedule-many-link").click()
    page.get_by_label("Cluster").select_option(label=panel.cluster.name)
    page.get_by_role("button", name="Apply filters").click()
    for fr in waiting[:3]:
        page.get_by_label(f"Select {fr.reference}").check()
    page.get_by_label("Meeting").select_option(value=str(onward.pk))
    assert accessibility_violations(page) == []
    shoot(page, "bulk-scheduling")
    page.get_by_test_id("schedule-selected").click()
    expect(page.locator(".govuk-notification-banner").first).to_contain_text(
        "3 requests are on the agenda"
    )
    assert onward.items.count() == 3
