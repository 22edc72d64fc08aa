"""An item from the chair's own school: the vice-chair (or a member the chair names) takes
the chair for it, decides it, and the minutes and the timeline say who and why."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from budgets.selectors import request_totals
from funding.models import FundingRequest, RequestEvent
from panels import services
from panels.models import AgendaItem, Decision
from panels.services import PanelError
from tests.factories import ClusterFactory

from .factories import build_panel, head_of_new_school, member, ready_request


def dated(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def signed_in(client, user):
    client.force_login(user)
    return client


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def school_of(user):
    return user.memberships.get().school


@pytest.mark.django_db
def test_the_vice_chair_chairs_the_chairs_own_schools_item_through_the_pages(
    client, panel, meeting, heads, send_officer, today
):
    chair, head_d, head_e, head_a = heads
    vice = member(panel, head_d)
    # The LA officer makes head D the vice-chair where the panel's members are managed.
    page = signed_in(client, send_officer).post(
        reverse("panels:vice_chair", args=[panel.pk]), {"member": vice.pk}, follow=True
    )
    assert f"{vice.name} is the panel&#x27;s vice-chair." in page.content.decode()
    panel.refresh_from_db()
    assert panel.vice_chair == vice

    # Scheduling the chair's own school's request warns the officer.
    fr = ready_request(school_of(chair))
    offered = client.get(reverse("panels:schedule")).content.decode()
    assert "chair from this school: recused" in offered
    response = client.post(reverse("panels:schedule"), {"request": fr.pk, "meeting": meeting.pk})
    chair_name = member(panel, chair).name
    assert any(
        f"The chair, {chair_name}, is from the requesting school, so is recused" in m
        for m in said(response)
    )
    item = AgendaItem.objects.get(request=fr)

    # The chair opens the meeting; everyone is there. The agenda shows the chair is recused
    # and the vice-chair has taken the chair for this item.
    signed_in(client, chair)
    client.post(reverse("panels:open", args=[meeting.pk]))
    client.post(
        reverse("panels:attendance", args=[meeting.pk]),
        {"present": [m.pk for m in panel.members.all()]},
    )
    agenda = client.get(reverse("panels:meeting", args=[meeting.pk])).content.decode()
    assert "Chair recused" in agenda and "The chair is recused from 1 item" in agenda
    assert f"Chaired by {vice.name}" in agenda
    assert "Inquorate for this item" not in agenda

    # The recused chair cannot decide it; the vice-chair can.
    refused = client.post(
        reverse("panels:decide", args=[item.pk]),
        {"outcome": "declined", "rationale": "No."},
    )
    assert f"{vice.name} is chairing this item" in refused.content.decode()
    assert FundingRequest.objects.get(pk=fr.pk).state == "on_agenda"

    signed_in(client, head_d)
    assert (
        "Record the decision" in client.get(reverse("panels:item", args=[item.pk])).content.decode()
    )
    client.post(
        reverse("panels:decide", args=[item.pk]),
        {
            "outcome": "approved",
            "rationale": "Clear need, well evidenced.",
            **dated("review_date", today + timedelta(days=90)),
        },
    )
    fr.refresh_from_db()
    assert fr.state == "approved"
    decision = Decision.objects.get(item=item)
    assert decision.chair == head_d
    assert request_totals(fr).committed == fr.amount_requested

    # The timeline names who chaired and why.
    note = RequestEvent.objects.get(request=fr, kind="acting_chair")
    assert note.actor == head_d
    assert vice.name in note.message and "vice-chair takes the chair" in note.message
    timeline = signed_in(client, send_officer).get(reverse("funding:timeline", args=[fr.pk]))
    assert escape(note.message) in timeline.content.decode()

    # Closed, the minutes (page and PDF) say it too.
    signed_in(client, chair).post(reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"})
    minutes = client.get(reverse("panels:minutes", args=[meeting.pk])).content.decode()
    reason = (
        f"Chaired by {vice.name}: The chair, {chair_name}, is from the requesting school; "
        "the vice-chair takes the chair for this item."
    )
    assert escape(reason) in minutes
    pdf = client.get(reverse("panels:minutes_pdf", args=[meeting.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    from django.template.loader import render_to_string

    from panels import selectors

    body = render_to_string(
        "panels/minutes_pdf.html", {"meeting": meeting, "minutes": selectors.minutes(meeting)}
    )
    assert escape(reason) in body


@pytest.mark.django_db
def test_without_a_vice_chair_the_chair_names_one_through_the_api(
    panel, meeting, heads, send_officer, today
):
    chair, head_d, head_e, head_a = heads
    fr = ready_request(school_of(chair))
    scheduled = api(send_officer).post(
        "/api/v1/agenda-items/schedule/", {"request": fr.pk, "meeting": meeting.pk}, format="json"
    )
    assert scheduled.status_code == 201
    item_id = scheduled.json()["id"]
    assert "is from the requesting school" in scheduled.json()["chair_recused"]

    as_chair = api(chair)
    assert as_chair.post(f"/api/v1/meetings/{meeting.pk}/open/").status_code == 200
    present = [member(panel, h).pk for h in heads] + [
        m.pk for m in panel.members.filter(voting=False)
    ]
    as_chair.post(f"/api/v1/meetings/{meeting.pk}/attendance/", {"present": present}, "json")

    row = as_chair.get(f"/api/v1/agenda-items/{item_id}/").json()
    assert row["acting_chair"] is None
    # Only voting members present and not recused are offered: not the chair, not the advisor.
    assert {c["member"] for c in row["eligible_chairs"]} == {
        member(panel, h).pk for h in (head_d, head_e, head_a)
    }
    refused = as_chair.post(
        f"/api/v1/agenda-items/{item_id}/decision/",
        {"outcome": "declined", "rationale": "No."},
        format="json",
    )
    assert refused.status_code == 400 and "recused" in refused.json()["detail"]

    named = as_chair.post(
        f"/api/v1/agenda-items/{item_id}/acting-chair/",
        {"member": member(panel, head_e).pk},
        format="json",
    )
    assert named.status_code == 200, named.json()
    assert named.json()["acting_chair"]["name"] == member(panel, head_e).name
    assert named.json()["quorate_for_item"] is True

    decided = api(head_e).post(
        f"/api/v1/agenda-items/{item_id}/decision/",
        {
            "outcome": "partially_approved",
            "amount": "5000.00",
            "rationale": "The adult support, not the resources.",
            "review_date": str(today + timedelta(days=90)),
        },
        format="json",
    )
    assert decided.status_code == 201, decided.json()
    fr.refresh_from_db()
    assert fr.state == "partially_approved" and str(fr.amount_awarded) == "5000.00"

    timeline = api(send_officer).get(f"/api/v1/requests/{fr.pk}/timeline/").json()
    acting = [e for e in timeline if e["kind"] == "acting_chair"]
    assert len(acting) == 1
    assert f"named {member(panel, head_e).name} to chair this item" in acting[0]["message"]


@pytest.mark.django_db
def test_an_ineligible_acting_chair_is_refused_and_nothing_changes(
    panel, meeting, heads, send_officer, request_a, cluster
):
    """The chair declares a conflict on head A's school's item: head A (the requesting
    school), head E (conflicted too), the advisor and an absent member are all refused."""
    chair, head_d, head_e, head_a = heads
    absent = head_of_new_school(cluster, "head_absent")
    services.add_member(
        panel, by=send_officer, user=absent, role="headteacher", start_date=meeting.date
    )
    item = services.schedule_request(request_a, by=send_officer, meeting=meeting)
    services.open_meeting(meeting, by=chair)
    advisor = panel.members.get(voting=False)
    services.record_attendance(
        meeting, by=chair, present=[*(member(panel, h) for h in heads), advisor]
    )
    services.declare_conflict(item, by=chair, reason="My daughter's friend.")
    services.declare_conflict(item, by=head_e, reason="I taught the pupil.")

    cases = {
        member(panel, head_a): "is from the requesting school",
        member(panel, head_e): "has declared a conflict on this item",
        advisor: "is an advisory member",
        member(panel, absent): "is not recorded as present",
        member(panel, chair): "chairs the meeting and is recused",
    }
    for who, message in cases.items():
        with pytest.raises(PanelError, match=message):
            services.name_acting_chair(item, by=chair, member=who)
    # Nobody else at the meeting names the chair for an item.
    with pytest.raises(PanelError, match="Only the meeting's chair"):
        services.name_acting_chair(item, by=head_d, member=member(panel, head_d))
    # The API refuses as plainly: a member of another panel, then the advisor.
    elsewhere = ClusterFactory()
    other = build_panel(elsewhere, send_officer, [head_of_new_school(elsewhere, "elsewhere")])
    for member_id, message in (
        (other.members.get().pk, "Choose a member of this panel"),
        (advisor.pk, "is an advisory member"),
    ):
        response = api(chair).post(
            f"/api/v1/agenda-items/{item.pk}/acting-chair/", {"member": member_id}, format="json"
        )
        assert response.status_code == 400 and message in response.json()["detail"]
    item.refresh_from_db()
    assert item.acting_chair is None and item.acting_chair_reason == ""
    assert not RequestEvent.objects.filter(request=request_a, kind="acting_chair").exists()

    # Head D may: the item's quorum then counts without the three recused members.
    named = services.name_acting_chair(item, by=chair, member=member(panel, head_d))
    assert "declared a conflict of interest" in named.acting_chair_reason
    assert "My daughter" not in named.acting_chair_reason  # the reason stays in the LA's record
    q = services.item_quorum(named)
    assert (q.voting, q.chair_present) == (1, True) and not q.quorate
    # Too few left to decide: the acting chair's attempt defers it, in their name.
    deferred = services.record_decision(
        named, by=head_d, outcome="declined", rationale="Would have declined."
    )
    assert deferred.outcome == "deferred" and deferred.chair == head_d
    assert RequestEvent.objects.get(request=request_a, kind="acting_chair").actor == head_d


@pytest.mark.django_db
def test_the_vice_chair_steps_in_only_when_present_and_not_recused(
    panel, meeting, heads, send_officer
):
    chair, head_d, head_e, head_a = heads
    services.set_vice_chair(panel, by=send_officer, member=member(panel, head_a))
    from_chairs_school = services.schedule_request(
        ready_request(school_of(chair)), by=send_officer, meeting=meeting
    )
    from_vices_school = services.schedule_request(
        ready_request(school_of(head_a)), by=send_officer, meeting=meeting
    )
    services.declare_conflict(from_vices_school, by=chair, reason="Governor there.")
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    from_chairs_school.refresh_from_db()
    from_vices_school.refresh_from_db()
    assert from_chairs_school.acting_chair == member(panel, head_a)
    # The vice-chair is recused from their own school's item: the chair names someone.
    assert from_vices_school.acting_chair is None

    # Attendance retaken without the vice-chair: they step down from the item.
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads[:3]])
    from_chairs_school.refresh_from_db()
    assert from_chairs_school.acting_chair is None
    with pytest.raises(PanelError, match="advisory"):
        services.set_vice_chair(panel, by=send_officer, member=panel.members.get(voting=False))
    with pytest.raises(PanelError, match="LA SEND officer"):
        services.set_vice_chair(panel, by=chair, member=None)


@pytest.mark.django_db
def test_the_officer_sets_the_vice_chair_through_the_api_and_no_one_else_can(
    panel, heads, send_officer
):
    chair, head_d, head_e, head_a = heads
    url = f"/api/v1/panels/{panel.pk}/vice-chair/"
    refused = api(chair).post(url, {"member": member(panel, chair).pk}, format="json")
    assert refused.status_code == 400 and "LA SEND officer" in refused.json()["detail"]
    advisor = panel.members.get(voting=False)
    refused = api(send_officer).post(url, {"member": advisor.pk}, format="json")
    assert refused.status_code == 400 and "advisory" in refused.json()["detail"]
    panel.refresh_from_db()
    assert panel.vice_chair is None

    done = api(send_officer).post(url, {"member": member(panel, head_e).pk}, format="json")
    assert done.status_code == 200 and done.json()["vice_chair"] == member(panel, head_e).pk
    cleared = api(send_officer).post(url, {"member": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["vice_chair"] is None
