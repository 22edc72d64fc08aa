"""A panel member reads an item's papers in a real browser and downloads its document;
the page passes WCAG 2.2 AA (axe). Set PAPERS_SCREENSHOT=<path> to keep a screenshot."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from funding.models import RequestEvent
from panels import services
from tests.browser.conftest import accessibility_violations
from tests.funding.factories import stored_document
from tests.panels.factories import build_panel, head_of_new_school, meeting_on, ready_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_reads_the_papers_and_downloads_the_support_plan(
    new_page, sign_in, live_server, school_a, senco_a, head_a, send_officer, password
):
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d", "head_e")]
    panel = build_panel(cluster, send_officer, [*heads, head_a], extra_members=1)
    today = timezone.localdate()
    meeting = meeting_on(panel, today + timedelta(days=1), closing=today)
    fr = ready_request(school_a, created_by=senco_a)
    stored_document(fr, senco_a, name="support-plan-ab.pdf")
    RequestEvent.objects.create(
        request=fr, actor=send_officer, kind="return", message="Please add the APDR notes."
    )
    RequestEvent.objects.create(
        request=fr, actor=senco_a, kind="resubmit", message="Review notes added."
    )
    RequestEvent.objects.create(
        request=fr, actor=send_officer, kind="triage", message="Two full cycles; EP agrees."
    )
    item = services.schedule_request(fr, by=send_officer, meeting=meeting)

    page = sign_in(new_page(), heads[1].username, password)
    page.goto(f"{live_server.url}/panels/items/{item.pk}/")
    expect(page.get_by_role("heading", name="Supporting documents")).to_be_visible()
    expect(page.get_by_test_id("triage-note")).to_contain_text("Two full cycles")
    expect(page.get_by_test_id("returns")).to_contain_text("Review notes added.")
    assert accessibility_violations(page) == []
    if os.environ.get("PAPERS_SCREENSHOT"):
        page.set_viewport_size({"width": 1100, "height": 900})
        page.screenshot(path=os.environ["PAPERS_SCREENSHOT"], full_page=True)
    with page.expect_download() as got:
        page.get_by_role("link", name="support-plan-ab.pdf").click()
    assert got.value.suggested_filename == "support-plan-ab.pdf"
