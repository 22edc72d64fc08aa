"""No lost work, in a real browser: the same draft open in two tabs, a session that
expires while the SENCO types, and the long text saving itself. Each page the story
passes through is audited with axe (WCAG 2.2 AA)."""

import re

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from funding.models import FundingRequest
from tests.browser.conftest import accessibility_violations
from tests.funding.factories import draft_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def click(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def saved(fr) -> FundingRequest:
    return FundingRequest.objects.get(pk=fr.pk)


def test_the_same_draft_in_two_tabs_the_second_save_is_refused_with_both_values(
    browser, sign_in, live_server, senco_a, password
):
    fr = draft_request(senco_a, parent_voice="")
    context = browser.new_context()
    try:
        first = context.new_page()
        sign_in(first, "senco_a", password)
        second = context.new_page()  # the same session: a second tab
        url = f"{live_server.url}/requests/{fr.pk}/consent/"
        first.goto(url)
        second.goto(url)
        views = "The parent or carer's views"

        first.get_by_label(views).fill("Mornings are the hardest part of her day.")
        click(first, "Save as draft")
        assert saved(fr).parent_voice == "Mornings are the hardest part of her day."

        second.get_by_label(views).fill("Lunchtimes in the hall are too loud for her.")
        click(second, "Save as draft")
        conflict = second.get_by_test_id("version-conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("Someone else changed this request")
        row = conflict.locator('tr[data-field="parent_voice"]')
        expect(row).to_contain_text("Lunchtimes in the hall are too loud for her.")
        expect(row).to_contain_text("Mornings are the hardest part of her day.")
        # Nothing lost: the first tab's save stands, the second tab keeps what was typed.
        assert saved(fr).parent_voice == "Mornings are the hardest part of her day."
        expect(second.get_by_label(views)).to_have_value(
            "Lunchtimes in the hall are too loud for her."
        )
        assert accessibility_violations(second) == []

        # Keep mine: the second tab's text is saved over the version now saved.
        second.get_by_test_id("keep-mine").click()
        second.wait_for_load_state()
        assert saved(fr).parent_voice == "Lunchtimes in the hall are too loud for her."
    finally:
        context.close()


def test_the_session_expires_while_she_types_and_after_signing_in_the_text_is_there(
    new_page, sign_in, live_server, senco_a, password
):
    fr = draft_request(senco_a)
    page = new_page()
    sign_in(page, "senco_a", password)
    page.goto(f"{live_server.url}/requests/{fr.pk}/needs/")
    typed = "Daily check-ins with a key adult; a quiet space at lunch; visual timetable."
    page.get_by_label("Ordinarily available provision already in place").fill(typed)
    Session.objects.all().delete()  # the session expires on the server meanwhile
    click(page, "Save as draft")

    # Asked to sign in; nothing saved yet.
    assert "/sign-in/" in page.url
    assert saved(fr).ordinarily_available_provision != typed
    page.get_by_label("Username").fill("senco_a")
    page.get_by_label("Password").fill(password)
    click(page, "Sign in")

    # Back on the same step, with what she typed, to check and save.
    assert re.search(rf"/requests/{fr.pk}/needs/", page.url)
    expect(page.get_by_label("Ordinarily available provision already in place")).to_have_value(
        typed
    )
    expect(page.get_by_text("You were signed out before this was saved")).to_be_visible()
    assert saved(fr).ordinarily_available_provision != typed
    assert accessibility_violations(page) == []
    click(page, "Save as draft")
    assert saved(fr).ordinarily_available_provision == typed


def test_the_long_text_saves_itself_and_says_saved_at(
    new_page, sign_in, live_server, senco_a, password
):
    fr = draft_request(senco_a)
    page = new_page()
    sign_in(page, "senco_a", password)
    page.goto(f"{live_server.url}/requests/{fr.pk}/needs/")
    page.get_by_label("Agencies already involved").fill("Educational psychology since May")
    status = page.get_by_test_id("autosave-status")
    expect(status).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"))
    assert saved(fr).agencies_involved == "Educational psychology since May"
    assert accessibility_violations(page) == []
    # The page's own save goes on from the version the autosave left (not refused).
    click(page, "Save as draft")
    assert page.url.endswith(f"/requests/{fr.pk}/tasks/")
    assert saved(fr).version == 3
