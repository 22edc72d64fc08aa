"""A SENCO's mistakes are answered in plain words in a real browser: an impossible date
and over-long text on the needs step, with the error summary linking to each field and
the character count stating the limit. The page passes axe (WCAG 2.2 AA)."""

import os

import pytest

from tests.browser.conftest import accessibility_violations
from tests.factories import FundingStreamFactory
from tests.funding.factories import draft_request

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_needs_step_says_what_is_wrong_in_words_that_name_the_field(
    new_page, sign_in, live_server, senco_a, password
):
    from playwright.sync_api import expect

    FundingStreamFactory()
    fr = draft_request(senco_a)
    page = sign_in(new_page(), "senco_a", password)
    page.goto(f"{live_server.url}/requests/{fr.pk}/needs/")
    expect(page.get_by_text("You can enter up to 3000 characters").first).to_be_visible()
    page.locator('[name="sen_support_since_0"]').fill("31")
    page.locator('[name="sen_support_since_1"]').fill("2")
    page.locator('[name="sen_support_since_2"]').fill("2025")
    page.locator('[name="agencies_involved"]').fill("x" * 3001)
    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_load_state()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("The date the pupil went on SEN support must be a real date")
    expect(summary).to_contain_text(
        "The agencies already involved must be 3,000 characters or fewer"
    )
    expect(page.get_by_text("day is out of range")).to_have_count(0)
    summary.get_by_role(
        "link", name="The agencies already involved must be 3,000 characters or fewer"
    ).click()
    expect(page.locator('[name="agencies_involved"]')).to_be_focused()
    if os.environ.get("SCREENSHOTS"):
        page.screenshot(path=os.environ["SCREENSHOTS"] + "/needs_errors.png", full_page=True)
    assert accessibility_violations(page) == []
