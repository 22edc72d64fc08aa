"""A renewal: the SENCO continues a closed request. The new draft is pre-filled from the
earlier one and linked to it; the school changes what is different now, submits; the LA
triages and schedules; the panel reads the earlier review outcome by outcome beside what
changed, and decides."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from budgets.models import EntryKind, LedgerEntry
from budgets.services import budget_for
from funding import services as funding_services
from funding.models import FundingRequest, ProvisionLine
from funding.workflow import State
from panels import services as panel_services
from panels.models import OutcomeResult
from tests.factories import FundingRequestFactory
from tests.funding.helpers import date_fields
from tests.panels.factories import member

pytestmark = pytest.mark.django_db

OUTCOMES = "- Reads a book band 6 text aloud\n- Writes three sentences unaided\n- Joins class talk"


def fund(county):
    LedgerEntry.objects.create(
        budget=budget_for(county.north.pk, county.stream.pk),
        kind=EntryKind.ALLOCATION,
        amount=Decimal("50000.00"),
        reason="Formula allocation",
        created_by=county.finance_officer,
    )


def decide(county, fr, meeting, *, amount=None, outcome="approved"):
    """The LA schedules the request; the meeting's chair opens it, records who came and
    decides."""
    item = panel_services.schedule_request(fr, by=county.send_officer, meeting=meeting)
    chair = meeting.chair.user
    panel_services.open_meeting(meeting, by=chair)
    panel_services.record_attendance(
        meeting, by=chair, present=[member(county.north_panel, h) for h in county.heads]
    )
    panel_services.record_decision(
        item, by=chair, outcome=outcome, rationale="The plan is sound.", amount=amount,
        review_date=timezone.localdate() + timedelta(days=120),
    )  # fmt: skip
    return item


def closed_request(county):
    """Last year's award, reviewed outcome by outcome and closed."""
    fr = FundingRequestFactory(
        stream=county.stream, school=county.ashfield, created_by=county.senco,
        outcomes_sought=OUTCOMES, start_date=timezone.localdate() + timedelta(days=1),
    )  # fmt: skip
    ProvisionLine.objects.create(
        request=fr, order=2, kind="equipment", description="Reading pens", amount=Decimal("240")
    )
    funding_services._recalculate(fr)
    fr = funding_services.submit_request(fr, user=county.senco)
    funding_services.triage_request(fr, user=county.send_officer)
    decide(county, fr, county.north_meeting)
    for step in ("activate", "review_due"):
        funding_services.apply_transition(fr, step, user=county.send_officer)
    panel_services.report_outcomes(
        fr, by=county.senco, result="partly", evidence="Reading up two bands; writing slower.",
        amount_spent=Decimal("1500.00"),
        outcomes=[
            {"result": "met", "evidence": "Reads band 6 aloud, assessed 3 March."},
            {"result": "partly", "evidence": "Two sentences with a word bank."},
            {"result": "not_met", "evidence": "Still silent in whole-class discussion."},
        ],
    )  # fmt: skip
    fr.refresh_from_db()
    assert fr.state == State.CLOSED
    return fr


def test_a_continuation_from_a_closed_request_goes_to_a_decision_with_a_like_for_like_review(
    county, login, clock
):
    fund(county)
    earlier = closed_request(county)
    senco = login(county.senco)

    # From the closed request's page, the SENCO starts the continuation.
    page = senco.get(reverse("funding:detail", args=[earlier.pk])).content.decode()
    assert reverse("funding:continue", args=[earlier.pk]) in page
    started = senco.post(reverse("funding:continue", args=[earlier.pk]))
    draft = FundingRequest.objects.get(continues=earlier)
    assert started.url == reverse("funding:tasks", args=[draft.pk])
    assert (draft.pupil_initials, draft.primary_need, draft.outcomes_sought) == (
        earlier.pupil_initials, earlier.primary_need, OUTCOMES,
    )  # fmt: skip
    assert [(line.kind, line.description) for line in draft.provision_lines.all()] == [
        ("staffing", "Teaching assistant 1:1"), ("equipment", "Reading pens"),
    ]  # fmt: skip
    assert not draft.parental_consent and draft.start_date is None  # asked afresh
    # A second continuation while this one is open is refused.
    again = senco.post(reverse("funding:continue", args=[earlier.pk]))
    assert again.status_code == 409 and "already has a continuation" in again.content.decode()

    # The school changes what is different now: more hours, no pens; new dates and consent.
    line = draft.provision_lines.get(kind="staffing")
    senco.post(
        reverse("funding:edit_line", args=[draft.pk, line.pk]),
        {"description": "Teaching assistant 1:1", "hours_per_week": "20", "weeks": "30",
         "hourly_rate": "25.00"},
    )  # fmt: skip
    pens = draft.provision_lines.get(kind="equipment")
    senco.post(reverse("funding:remove_line", args=[draft.pk, pens.pk]))
    today = timezone.localdate()
    senco.post(
        reverse("funding:provision", args=[draft.pk]),
        {"outcomes_sought": OUTCOMES, **date_fields("start_date", today + timedelta(days=14)),
         **date_fields("end_date", today + timedelta(days=14 + 7 * 30 - 1)), "save_draft": "1"},
    )  # fmt: skip
    senco.post(
        reverse("funding:consent", args=[draft.pk]),
        {"parental_consent": "on", **date_fields("consent_date", today),
         "parent_voice": "Keen for it to go on", "pupil_voice": "I like reading now",
         "save_draft": "1"},
    )  # fmt: skip

    tasks = senco.get(reverse("funding:tasks", args=[draft.pk])).content.decode()
    assert "This request continues <strong>" + earlier.reference in tasks
    changes = senco.get(reverse("funding:changes", args=[draft.pk])).content.decode()
    assert "Provision removed" in changes and "Reading pens (equipment or resources)" in changes
    assert "£7,740.00" in changes and "£15,000.00" in changes  # the total cost, then and now
    assert "Still silent in whole-class discussion." in changes

    submitted = senco.post(reverse("funding:check", args=[draft.pk]), {"message": ""})
    assert submitted.status_code == 302, re.findall(
        r"transition-error.{0,400}|error-summary.{0,600}", submitted.content.decode(), re.S
    )
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED and draft.reference != earlier.reference

    # The LA triages it; it goes to the next meeting.
    officer = login(county.send_officer)
    triaged = officer.post(
        reverse("funding:action", args=[draft.pk, "triage"]), {"message": "A renewal."}
    )
    assert triaged.status_code == 302
    meeting = county.next_north_meeting
    item = panel_services.schedule_request(draft, by=county.send_officer, meeting=meeting)

    # A panel member reads the earlier review outcome by outcome, beside what changed.
    reader = login(county.heads[1])
    papers = reader.get(reverse("panels:item", args=[item.pk])).content.decode()
    assert f"Continues {earlier.reference}" in papers
    for outcome, result, evidence in [
        ("Reads a book band 6 text aloud", "Met", "Reads band 6 aloud, assessed 3 March."),
        ("Writes three sentences unaided", "Partly met", "Two sentences with a word bank."),
        ("Joins class talk", "Not met", "Still silent in whole-class discussion."),
    ]:
        assert outcome in papers and evidence in papers
        assert f">{result}</strong>" in papers
    assert "Provision removed" in papers

    # The meeting sits; its chair decides it.
    clock.move_to(meeting.date)
    chair = meeting.chair.user
    panel_services.open_meeting(meeting, by=chair)
    panel_services.record_attendance(
        meeting, by=chair, present=[member(county.north_panel, h) for h in county.heads]
    )
    panel_services.record_decision(
        item, by=chair, outcome="approved", rationale="Progress shown; go on for a term.",
        review_date=meeting.date + timedelta(days=150),
    )  # fmt: skip
    draft.refresh_from_db()
    assert draft.state == State.APPROVED and draft.continues_id == earlier.pk
    assert OutcomeResult.objects.filter(review__request=earlier).count() == 3
