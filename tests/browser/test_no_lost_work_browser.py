"""No lost work, in a real browser: the same draft open in two tabs, a session that
expires while the SENCO types, the long text saving itself, and two LA officers setting
up the same panel and budget. Each page the story
passes through is audited with axe (WCAG 2.2 AA)."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import UserSession as Session
from budgets.models import FinancialYear
from budgets.services import adjust
from funding.models import FundingRequest
from panels import services as panel_services
from panels.models import Panel
from tests.browser.conftest import accessibility_violations
from tests.budgets.factories import ClusterBudgetFactory, allocate
from tests.funding.factories import draft_request
from tests.panels.factories import build_panel, head_of_new_school

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


def test_two_officers_set_up_the_same_panel_and_budget_the_second_sees_both_changes(
    browser, sign_in, live_server, school_a, head_a, send_officer, finance_officer, password
):
    cluster = school_a.cluster
    heads = [head_of_new_school(cluster, n) for n in ("chair_head", "head_d")] + [head_a]
    panel = build_panel(cluster, send_officer, heads)
    context = browser.new_context()
    try:
        page = sign_in(context.new_page(), send_officer.username, password)
        page.goto(f"{live_server.url}/panels/{panel.pk}/")
        page.get_by_test_id("panel-setup-link").click()
        page.wait_for_load_state()
        # Meanwhile another officer needs four voting members.
        panel_services.update_panel(
            panel, by=send_officer, version=Panel.objects.get(pk=panel.pk).version,
            quorum_voting=4,
        )  # fmt: skip
        page.get_by_label("Voting members needed for a quorum").fill("2")
        click(page, "Save")
        conflict = page.get_by_test_id("version-conflict")
        expect(conflict).to_contain_text("Someone else changed this panel")
        row = conflict.locator('tr[data-field="quorum_voting"]')
        expect(row).to_contain_text("2")
        expect(row).to_contain_text("4")
        assert Panel.objects.get(pk=panel.pk).quorum_voting == 4
        assert accessibility_violations(page) == []
    finally:
        context.close()

    budget = ClusterBudgetFactory(
        cluster=cluster, year=FinancialYear.for_date(timezone.localdate())
    )
    allocate(budget, Decimal("20000.00"), user=finance_officer)
    context = browser.new_context()
    try:
        page = sign_in(context.new_page(), finance_officer.username, password)
        page.goto(f"{live_server.url}/budgets/adjust/?budget={budget.pk}")
        adjust(budget, Decimal("2500"), user=finance_officer, reason="New pupil", version=1)
        page.get_by_label("Amount (£)").fill("2500")
        page.get_by_label("Reason").fill("The same new pupil")
        click(page, "Record on the ledger")
        conflict = page.get_by_test_id("version-conflict")
        expect(conflict).to_contain_text("£2,500.00, The same new pupil")
        expect(conflict).to_contain_text("£2,500.00, New pupil")
        assert accessibility_violations(page) == []
    finally:
        context.close()
