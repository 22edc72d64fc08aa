"""The LA SEND officer's people pages in a real browser: find the leaving SENCO, end her
membership from tomorrow handing her draft to the other SENCO, a refusal on the way.
Every page passes axe (WCAG 2.2 AA)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clusters.models import Role
from funding.models import FundingRequest
from tests.browser.conftest import accessibility_violations
from tests.factories import FundingRequestFactory, SchoolFactory, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_ends_a_leavers_membership_and_hands_her_draft_over(
    new_page, sign_in, send_officer, password
):
    school = SchoolFactory(name="Larkrise Primary", urn=123456)
    ada = make_user(Role.SENCO, school=school, first_name="Ada", last_name="Lovelace")
    grace = make_user(Role.SENCO, school=school, first_name="Grace", last_name="Hopper")
    draft = FundingRequestFactory(school=school, created_by=ada)

    page = sign_in(new_page(), "send_officer", password)
    page.get_by_role("link", name="People and memberships").first.click()
    page.wait_for_load_state()
    assert page.title().startswith("People and memberships")
    assert accessibility_violations(page) == []

    page.get_by_label("Name or email", exact=True).fill("lovelace")
    page.get_by_label("School name or URN", exact=True).fill("123456")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("people-count").inner_text() == "1 person found."
    assert accessibility_violations(page) == []
    page.get_by_role("link", name="End Ada Lovelace's membership as SENCO").click()
    page.wait_for_load_state()
    assert page.title().startswith("End a membership")
    assert page.get_by_test_id("drafts").is_visible()
    assert accessibility_violations(page) == []

    # No date: refused, in words, with the GOV.UK error summary.
    page.get_by_role("button", name="End the membership").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: End a membership")
    assert page.get_by_text("Enter the date the membership ends").first.is_visible()
    assert accessibility_violations(page) == []

    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("Day").fill(str(tomorrow.day))
    page.get_by_label("Month").fill(str(tomorrow.month))
    page.get_by_label("Year").fill(str(tomorrow.year))
    page.get_by_label("Grace Hopper").check()
    page.get_by_role("button", name="End the membership").click()
    page.wait_for_load_state()
    assert page.get_by_text("Their drafts were handed over.").is_visible()
    assert accessibility_violations(page) == []
    assert FundingRequest.objects.get(pk=draft.pk).created_by_id == grace.pk
