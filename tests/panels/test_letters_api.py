"""Decision letters, letter templates and follow-ups through the API: the same rules and
scope as the pages (tests/panels/test_letters.py)."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from panels import services
from panels.models import DecisionAction, Letter
from portal.models import ViewAudit

from .factories import member, ready_request


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def school_of(user):
    return user.memberships.get().school


@pytest.fixture
def open_meeting(panel, heads, meeting, request_a, send_officer):
    chair = heads[0]
    request_d = ready_request(school_of(heads[1]))
    items = [
        services.schedule_request(fr, by=send_officer, meeting=meeting)
        for fr in (request_a, request_d)
    ]
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    return items


@pytest.mark.django_db
def test_the_chair_records_support_with_a_decision_and_the_school_reads_its_letter(
    heads, meeting, open_meeting, senco_a, senco_b, finance_officer, send_officer, today
):
    chair = heads[0]
    item_a, item_d = open_meeting
    ep_referral = {
        "kind": "educational_psychologist",
        "detail": "Observation and advice on the plan.",
        "owner": "County EP service",
        "due_by": str(today + timedelta(days=30)),
    }

    # An incomplete follow-up is refused, and so is the decision with it.
    refused = api(chair).post(
        f"/api/v1/agenda-items/{item_a.pk}/decision/",
        {
            "outcome": "declined",
            "rationale": "Met from ordinarily available provision.",
            "follow_ups": [{**ep_referral, "due_by": str(today)}],
        },
        format="json",
    )
    assert refused.status_code == 400
    assert "the follow-up date must be in the future" in refused.json()["detail"]
    assert not DecisionAction.objects.exists()

    # Declined, with the support offered instead: the answer lists it.
    decided = api(chair).post(
        f"/api/v1/agenda-items/{item_a.pk}/decision/",
        {
            "outcome": "declined",
            "rationale": "Met from ordinarily available provision.",
            "follow_ups": [
                ep_referral,
                {
                    "kind": "advice",
                    "detail": "A visual timetable.",
                    "owner": "Cluster SENCO lead",
                    "due_by": str(today + timedelta(days=7)),
                },
            ],
        },
        format="json",
    )
    assert decided.status_code == 201, decided.json()
    body = decided.json()
    assert {f["kind"] for f in body["follow_ups"]} == {"advice", "educational_psychologist"}
    decision_id = body["id"]

    # More information, then a referral added afterwards by the chair who decided it.
    more = api(chair).post(
        f"/api/v1/agenda-items/{item_d.pk}/decision/",
        {"outcome": "more_information", "rationale": "Send the provision map."},
        format="json",
    )
    assert more.status_code == 201
    added = api(chair).post(
        "/api/v1/follow-ups/",
        {**ep_referral, "kind": "outreach", "decision": more.json()["id"]},
        format="json",
    )
    assert added.status_code == 201, added.json()
    stranger = api(heads[2]).post(
        "/api/v1/follow-ups/",
        {**ep_referral, "kind": "specialist_teacher", "decision": more.json()["id"]},
        format="json",
    )
    assert stranger.status_code == 400
    assert "Only the chair who recorded the decision" in stranger.json()["detail"]

    # The school sees its follow-ups with its decision; another school none.
    mine = api(senco_a).get("/api/v1/follow-ups/", {"decision": decision_id}).json()
    assert mine["count"] == 2
    assert api(senco_b).get("/api/v1/follow-ups/").json()["count"] == 0
    assert len(api(senco_a).get(f"/api/v1/decisions/{decision_id}/").json()["follow_ups"]) == 2

    # The meeting closes; the letters are there for the school, the chair and the LA.
    assert (
        api(chair)
        .post(f"/api/v1/meetings/{meeting.pk}/close/", {"confirm": True}, format="json")
        .status_code
        == 200
    )
    letters = api(senco_a).get("/api/v1/letters/", {"meeting": meeting.pk}).json()
    assert letters["count"] == 1
    letter = letters["results"][0]
    assert letter["outcome"] == "declined" and letter["decision"] == decision_id
    assert "Met from ordinarily available provision." in letter["body"]
    assert "County EP service" in letter["body"]
    assert ViewAudit.objects.filter(user=senco_a, action="view_letter").exists()
    assert api(chair).get("/api/v1/letters/", {"meeting": meeting.pk}).json()["count"] == 2
    assert api(send_officer).get("/api/v1/letters/").json()["count"] == 2
    for outsider in (senco_b, finance_officer):
        assert api(outsider).get(f"/api/v1/letters/{letter['id']}/").status_code == 404
        assert api(outsider).get(f"/api/v1/letters/{letter['id']}/pdf/").status_code == 404
    pdf = api(senco_a).get(f"/api/v1/letters/{letter['id']}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"

    # Once the letter has gone, support is no longer added to it.
    late = api(chair).post(
        "/api/v1/follow-ups/",
        {**ep_referral, "kind": "outreach", "decision": decision_id},
        format="json",
    )
    assert late.status_code == 400 and "letter has been sent" in late.json()["detail"]
    assert Letter.objects.count() == 2


@pytest.mark.django_db
def test_the_officer_edits_letter_templates_and_unknown_placeholders_are_refused(
    send_officer, senco_a, heads
):
    listed = api(send_officer).get("/api/v1/letter-templates/")
    assert listed.status_code == 200
    assert [t["outcome"] for t in listed.json()] == [
        "approved",
        "partially_approved",
        "declined",
        "deferred",
        "more_information",
    ]
    declined = api(send_officer).get("/api/v1/letter-templates/declined/").json()
    required = {p["name"] for p in declined["placeholders"] if p["required"]}
    assert required == {"rationale", "appeal_route"}

    refused = api(send_officer).put(
        "/api/v1/letter-templates/declined/",
        {"subject": "No", "body": "{rationale} {appeal_route} {pupil.name}"},
        format="json",
    )
    assert refused.status_code == 400
    assert "“{pupil.name}” is not a placeholder letters can use" in refused.json()["body"][0]

    saved = api(send_officer).put(
        "/api/v1/letter-templates/declined/",
        {"subject": "Decision on {reference}", "body": "{rationale}\n\n{appeal_route}"},
        format="json",
    )
    assert saved.status_code == 200 and saved.json()["subject"] == "Decision on {reference}"

    assert api(send_officer).get("/api/v1/letter-templates/nonsense/").status_code == 404
    for other in (senco_a, heads[0]):
        assert api(other).get("/api/v1/letter-templates/").status_code == 404
        assert (
            api(other)
            .put("/api/v1/letter-templates/declined/", {"subject": "x", "body": "x"}, format="json")
            .status_code
            == 404
        )
