"""The appeal route: after the one reconsideration, the LA hears one appeal. Upheld, the
request goes back to its cluster's panel at the next open meeting; dismissed, it stays
declined and the route is closed. Through the pages and the API."""

from datetime import timedelta

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import FundingRequest, RequestEvent
from panels.models import AgendaItem, Appeal, MeetingStatus
from portal.models import Notification

from .factories import ready_request


def dated(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def declined_after_reconsideration(school):
    return ready_request(school, state="declined", reconsideration_used=True)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_an_upheld_appeal_sends_the_request_back_to_the_next_panel_meeting(
    client, panel, meeting, next_meeting, send_officer, school_a, senco_a, today
):
    fr = declined_after_reconsideration(school_a)
    client.force_login(send_officer)
    form = client.get(reverse("panels:appeal", args=[fr.pk]))
    assert form.status_code == 200 and "next open meeting" in form.text

    done = client.post(
        reverse("panels:appeal", args=[fr.pk]),
        {
            "outcome": "upheld",
            "notes": "The panel did not weigh the EP's report.",
            **dated("heard_on", today),
        },
        follow=True,
    )
    assert "Appeal upheld" in done.text

    fr.refresh_from_db()
    # Back to ready, then straight onto today's meeting (the next still open for requests).
    assert fr.state == "on_agenda"
    item = AgendaItem.objects.get(request=fr)
    assert item.meeting == meeting and item.kind == "decision"
    appeal = Appeal.objects.get(request=fr)
    assert appeal.outcome == "upheld" and appeal.meeting == meeting
    kinds = list(RequestEvent.objects.filter(request=fr).values_list("kind", "to_state"))
    assert kinds[-2:] == [("appeal_upheld", "ready"), ("schedule", "on_agenda")]
    assert "did not weigh" in RequestEvent.objects.get(request=fr, kind="appeal_upheld").message

    told = Notification.objects.get(user=senco_a, subject__startswith="Appeal outcome")
    assert "upheld" in told.subject.lower() and str(meeting.date.year) in told.body

    # The request's timeline says why it is back.
    timeline = client.get(reverse("funding:detail", args=[fr.pk]))
    assert "Appeal upheld: back to the panel" in timeline.text


@pytest.mark.django_db
def test_an_upheld_appeal_waits_for_the_schedule_when_no_meeting_is_open(
    client, panel, send_officer, school_a, today
):
    fr = declined_after_reconsideration(school_a)
    client.force_login(send_officer)
    client.post(
        reverse("panels:appeal", args=[fr.pk]),
        {"outcome": "upheld", "notes": "New evidence.", **dated("heard_on", today)},
    )
    fr.refresh_from_db()
    assert fr.state == "ready" and Appeal.objects.get(request=fr).meeting is None
    # The LA sees it waiting to be scheduled.
    assert fr.reference in client.get(reverse("panels:schedule")).text


@pytest.mark.django_db
def test_a_dismissed_appeal_leaves_the_decline_and_closes_the_route(
    client, panel, meeting, send_officer, school_a, senco_a, today
):
    fr = declined_after_reconsideration(school_a)
    client.force_login(send_officer)
    client.post(
        reverse("panels:appeal", args=[fr.pk]),
        {"outcome": "dismissed", "notes": "Criteria applied fairly.", **dated("heard_on", today)},
    )
    fr.refresh_from_db()
    assert fr.state == "declined" and not AgendaItem.objects.filter(request=fr).exists()
    assert RequestEvent.objects.filter(request=fr, kind="appeal_dismissed").exists()
    told = Notification.objects.get(user=senco_a, subject__startswith="Appeal outcome")
    assert "decision stands" in told.body

    # A second appeal is refused and changes nothing.
    again = client.post(
        reverse("panels:appeal", args=[fr.pk]),
        {"outcome": "upheld", "notes": "Try again.", **dated("heard_on", today)},
        follow=True,
    )
    assert "appeal route is closed" in again.text
    fr.refresh_from_db()
    assert fr.state == "declined" and Appeal.objects.filter(request=fr).count() == 1


@pytest.mark.django_db
def test_the_appeal_is_only_for_a_request_declined_after_its_reconsideration(
    client, panel, meeting, send_officer, school_a, today
):
    fr = ready_request(school_a, state="declined")
    client.force_login(send_officer)
    refused = client.post(
        reverse("panels:appeal", args=[fr.pk]),
        {"outcome": "upheld", "notes": "x", **dated("heard_on", today)},
        follow=True,
    )
    assert "declined after its reconsideration" in refused.text
    fr.refresh_from_db()
    assert fr.state == "declined" and not Appeal.objects.exists()


@pytest.mark.django_db
def test_appeals_through_the_api(
    panel, meeting, send_officer, school_a, school_b, senco_a, senco_b, today
):
    upheld = declined_after_reconsideration(school_a)
    dismissed = declined_after_reconsideration(school_a)

    # Only the LA records an appeal.
    refused = api(senco_a).post(
        "/api/v1/appeals/",
        {"request": upheld.pk, "outcome": "upheld", "notes": "x", "heard_on": str(today)},
        format="json",
    )
    assert refused.status_code == 400 and "LA SEND officer" in refused.json()["detail"]

    made = api(send_officer).post(
        "/api/v1/appeals/",
        {"request": upheld.pk, "outcome": "upheld", "notes": "Fresh EP report.",
         "heard_on": str(today)},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["request_state"] == "on_agenda" and body["meeting"] == meeting.pk
    assert body["meeting_date"] == str(meeting.date)

    kept = api(send_officer).post(
        "/api/v1/appeals/",
        {"request": dismissed.pk, "outcome": "dismissed", "notes": "Stands.",
         "heard_on": str(today)},
        format="json",
    )  # fmt: skip
    assert kept.status_code == 201 and kept.json()["request_state"] == "declined"
    again = api(send_officer).post(
        "/api/v1/appeals/",
        {"request": dismissed.pk, "outcome": "upheld", "notes": "Again.",
         "heard_on": str(today)},
        format="json",
    )  # fmt: skip
    assert again.status_code == 400 and "closed" in again.json()["detail"]
    assert FundingRequest.objects.get(pk=dismissed.pk).state == "declined"

    # The school reads its own appeals; another school reads none and gets 404 on one.
    mine = api(senco_a).get("/api/v1/appeals/").json()
    rows = mine["results"] if isinstance(mine, dict) else mine
    assert {r["reference"] for r in rows} == {upheld.reference, dismissed.reference}
    theirs = api(senco_b).get("/api/v1/appeals/").json()
    assert (theirs["results"] if isinstance(theirs, dict) else theirs) == []
    appeal_id = rows[0]["id"]
    assert api(senco_b).get(f"/api/v1/appeals/{appeal_id}/").status_code == 404


@pytest.mark.django_db
def test_the_upheld_request_is_decided_again_at_the_meeting(
    panel, meeting, send_officer, school_a, heads, today
):
    """The second hearing is a normal agenda item: the chair decides it at the meeting."""
    from panels import services

    from .factories import member

    fr = declined_after_reconsideration(school_a)
    appeal = services.record_appeal(
        fr, by=send_officer, outcome="upheld", notes="Reheard.", heard_on=today
    )
    item = AgendaItem.objects.get(request=fr, meeting=appeal.meeting)
    services.open_meeting(meeting, by=heads[0])
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads])
    services.record_decision(
        item, by=heads[0], outcome="approved", rationale="On appeal: the EP report shows need.",
        review_date=today + timedelta(days=90),
    )  # fmt: skip
    assert FundingRequest.objects.get(pk=fr.pk).state == "approved"
