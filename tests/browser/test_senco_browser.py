"""The SENCO's story in a real browser: a request drafted over two visits, a document
uploaded, submitted, returned by the LA with a message, answered and resubmitted.

Each page the story passes through is audited with axe (WCAG 2.2 AA).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from funding.models import FundingRequest, RequestDocument
from tests.browser.conftest import accessibility_violations
from tests.factories import FundingStreamFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def fill_date(page, name, day):
    page.locator(f'[name="{name}_0"]').fill(str(day.day))
    page.locator(f'[name="{name}_1"]').fill(str(day.month))
    page.locator(f'[name="{name}_2"]').fill(str(day.year))


def click(page, name):
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state()


def sign_out(page):
    page.get_by_test_id("sign-out").click()
    page.wait_for_load_state()


def task_status(page, title):
    item = page.locator(".govuk-task-list__item", has=page.get_by_role("link", name=title))
    return item.locator(".govuk-task-list__status").inner_text().strip()


def test_a_senco_drafts_over_two_visits_submits_and_answers_the_las_return(
    new_page, sign_in, live_server, senco_a, send_officer, password, tmp_path
):
    FundingStreamFactory()
    today = timezone.localdate()
    page = new_page()

    # Visit 1: sign in, start a request, give the pupil's details and the needs.
    sign_in(page, "senco_a", password)
    page.goto(f"{live_server.url}/requests/new/")
    page.get_by_label("Exceptional Needs Grant").check()
    page.get_by_label("Individual pupil").check()
    click(page, "Continue")
    fr = FundingRequest.objects.get()
    assert page.url.endswith(f"/requests/{fr.pk}/tasks/")
    assert task_status(page, "Pupil or group") == "Not started"
    assert accessibility_violations(page) == []

    page.get_by_role("link", name="Pupil or group").click()
    page.get_by_label("Pupil's initials").fill("J.S")
    page.get_by_label("Year group").select_option("4")
    page.get_by_label("Male", exact=True).check()
    click(page, "Save and continue")
    assert page.get_by_role("heading", name="Needs and provision in place").is_visible()

    # A date in the future is refused: the error summary links to the field.
    page.get_by_label("Primary need (SEN2 code)").select_option("SEMH")
    fill_date(page, "sen_support_since", today + timedelta(days=30))
    click(page, "Save and continue")
    assert page.title().startswith("Error:")
    summary = page.locator(".govuk-error-summary")
    assert summary.get_by_text("must be today or in the past").is_visible()
    assert accessibility_violations(page) == []

    fill_date(page, "sen_support_since", today - timedelta(days=400))
    page.get_by_label("Ordinarily available provision already in place").fill(
        "Zones of regulation, daily check-ins."
    )
    page.get_by_label("Agencies already involved").fill("Educational psychology")
    click(page, "Save as draft")
    assert page.get_by_text("Your draft has been saved").is_visible()
    assert task_status(page, "Pupil or group") == "Completed"
    sign_out(page)

    # Visit 2: the draft is still there; the task list says what is still missing.
    sign_in(page, "senco_a", password)
    page.goto(f"{live_server.url}/requests/")
    page.get_by_role("link", name="Draft", exact=True).click()
    page.get_by_role("link", name="Continue your request").click()
    assert page.get_by_test_id("task-list").is_visible()
    assert task_status(page, "Needs and provision in place") == "Completed"
    assert task_status(page, "Graduated approach evidence") != "Completed"
    missing = page.get_by_test_id("missing-count").inner_text()
    assert "still to give" in missing

    page.get_by_role("link", name="Graduated approach evidence").click()
    page.get_by_label("Assess: what did you find?").fill("Boxall profile")
    page.get_by_label("Plan and do: what was tried?").fill("Nurture group three times a week")
    page.get_by_label("For how many weeks?").fill("12")
    page.get_by_label("Review: what was the impact?").fill("Fewer incidents")
    click(page, "Save and continue")

    assert page.get_by_role("heading", name="Provision, costs and outcomes").is_visible()
    page.get_by_label("What provision?").fill("Teaching assistant 1:1")
    page.get_by_label("Hours a week").fill("15")
    page.get_by_label("Number of weeks").fill("38")
    page.get_by_label("Rate (£ an hour)").fill("22.50")
    click(page, "Add this provision")
    assert page.get_by_text("£12,825.00").first.is_visible()
    page.get_by_label("Outcomes sought").fill("Stays in class for whole lessons")
    fill_date(page, "start_date", today + timedelta(days=14))
    fill_date(page, "end_date", today + timedelta(days=14 + 7 * 38 - 1))
    click(page, "Save and continue")

    assert page.get_by_role("heading", name="Consent and voice").is_visible()
    page.get_by_label("The parent or carer has consented", exact=False).check()
    fill_date(page, "consent_date", today)
    page.get_by_label("The parent or carer's views").fill("Unhappy at lunchtimes")
    page.get_by_label("The pupil's views").fill("I like the quiet room")
    click(page, "Save and continue")

    # Upload a PDF.
    assert page.get_by_role("heading", name="Supporting documents").is_visible()
    plan = tmp_path / "support-plan.pdf"
    plan.write_bytes(PDF)
    page.get_by_label("What is it?").select_option("support_plan")
    page.get_by_label("Upload a file").set_input_files(str(plan))
    click(page, "Upload")
    assert page.get_by_text("Document uploaded").is_visible()
    assert (
        page.get_by_test_id("documents").get_by_role("link", name="support-plan.pdf").is_visible()
    )
    assert RequestDocument.objects.filter(request=fr).count() == 1
    click(page, "Continue")

    # Check answers, then submit: the reference is shown.
    assert page.get_by_role("heading", name="Check your answers before submitting").is_visible()
    assert page.get_by_test_id("still-missing").count() == 0
    assert accessibility_violations(page) == []
    click(page, "Submit request")
    fr.refresh_from_db()
    assert fr.state == "submitted"
    assert page.get_by_test_id("reference").inner_text() == fr.reference
    page.get_by_role("link", name="View your request").click()
    assert accessibility_violations(page) == []

    # An LA SEND officer, in another browser, finds it in the triage queue and returns it.
    officer = new_page()
    sign_in(officer, "send_officer", password)
    officer.goto(f"{live_server.url}/requests/triage/")
    assert accessibility_violations(officer) == []
    officer.get_by_role("link", name=fr.reference).click()
    officer.get_by_role("link", name="Return for more information").click()
    officer.get_by_label("What information do you need from the school?").fill(
        "Please add the educational psychologist's report."
    )
    click(officer, "Return for more information")
    fr.refresh_from_db()
    assert fr.state == "returned"

    # The SENCO sees the message, answers, and resubmits under the same reference.
    page.reload()
    assert page.get_by_text("educational psychologist's report").first.is_visible()
    page.get_by_role("link", name="Answer and resubmit").click()
    assert page.get_by_role("heading", name="Answer the LA's questions").is_visible()
    page.get_by_role("link", name="Supporting documents").click()
    report = tmp_path / "ep-report.pdf"
    report.write_bytes(PDF)
    page.get_by_label("What is it?").select_option("assessment")
    page.get_by_label("Upload a file").set_input_files(str(report))
    click(page, "Upload")
    click(page, "Continue")
    assert page.get_by_role("heading", name="Check your answers before resubmitting").is_visible()
    page.get_by_label("What have you changed or added?").fill("Added the EP's report.")
    click(page, "Resubmit request")
    assert page.get_by_role("heading", name="Request resubmitted").is_visible()
    assert page.get_by_test_id("reference").inner_text() == fr.reference
    fr.refresh_from_db()
    assert fr.state == "submitted"
    assert fr.documents.count() == 2


def test_a_senco_asks_for_reconsideration_of_a_declined_request(
    new_page, sign_in, live_server, senco_a, password, tmp_path
):
    from tests.funding.factories import declined_request

    FundingStreamFactory()
    fr = declined_request(senco_a)
    page = new_page()
    sign_in(page, "senco_a", password)
    page.goto(f"{live_server.url}/requests/{fr.pk}/")
    page.get_by_role("link", name="Ask for reconsideration with new evidence").click()
    click(page, "Ask for reconsideration")
    assert page.locator(".govuk-error-summary").get_by_text("Enter the new evidence").is_visible()
    assert accessibility_violations(page) == []

    report = tmp_path / "ep-report.pdf"
    report.write_bytes(PDF)
    page.get_by_label("What is the new evidence?").fill("A new report from the EP.")
    page.get_by_label("Upload a document (optional)").set_input_files(str(report))
    click(page, "Ask for reconsideration")
    assert page.get_by_text("Reconsideration asked for").first.is_visible()
    fr.refresh_from_db()
    assert (fr.state, fr.reconsideration_used) == ("submitted", True)
    assert fr.documents.get().original_name == "ep-report.pdf"
