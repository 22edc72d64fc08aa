"""A whole panel meeting, as the people in the room run it, through the pages and the API.

The LA SEND officer puts six requests on today's agenda in one action, one of them from the
chair's own school. Before the meeting two heads record their views blind; the advisory
educational psychologist declares a conflict. On the day the chair opens the meeting, ticks
who is there, hands the chair for the own-school item to a member (who decides it), reveals
the spread on another, and the panel reaches every outcome: approved with a referral,
partially approved, declined with advice offered instead, deferred to the named next
meeting, more information. The chair reads what closing will do, confirms, and the
minutes (page, API and PDF) say who chaired what, never the conflict's reason; each school
gets its letters, once.
"""

import subprocess
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import FundingRequest
from panels import services
from panels.models import AgendaItem, Decision, DecisionAction, Letter, LetterRun
from portal.models import Notification

from .factories import member, ready_request

CONFLICT = "CONFLICT-SECRET: my sister is a governor there"


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


def view(need, recommendation, comment=""):
    return {
        "evidence_of_need": need,
        "graduated_approach": 3,
        "likely_impact": 3,
        "value_for_money": 3,
        "recommendation": recommendation,
        "comment": comment,
    }


def pdf_text(content: bytes) -> str:
    return " ".join(
        subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
        )
        .stdout.decode()
        .split()
    )


@pytest.mark.django_db
def test_a_panel_runs_a_whole_meeting_from_agenda_to_letters(
    client,
    panel,
    heads,
    meeting,
    next_meeting,
    request_a,
    send_officer,
    senco_a,
    today,
    django_capture_on_commit_callbacks,
):
    chair, head_d, head_e, head_a = heads
    ep = panel.members.get(voting=False)
    requests = {
        "own": ready_request(school_of(chair)),  # the chair's own school: recused
        "approve": ready_request(school_of(head_d)),
        "partial": ready_request(school_of(head_e)),
        "decline": request_a,
        "defer": ready_request(school_of(head_d)),
        "more": ready_request(school_of(head_e)),
    }

    # The officer schedules them all in one action from the scheduling page.
    officer = signed_in(client, send_officer)
    done = officer.post(
        reverse("panels:schedule_many"),
        {"requests": [fr.pk for fr in requests.values()], "meeting": meeting.pk},
        follow=True,
    )
    assert done.status_code == 200
    items = {k: AgendaItem.objects.get(request=fr) for k, fr in requests.items()}
    assert {i.meeting_id for i in items.values()} == {meeting.pk}
    agenda = officer.get(reverse("panels:meeting", args=[meeting.pk])).text
    assert "Chair recused" in agenda

    # Before the meeting: head E records a view through the API; head A cannot see it until
    # recording their own on the page (head D, from the school, is recused from it).
    as_e, as_a = api(head_e), api(head_a)
    approve = items["approve"].pk
    assert (
        as_e.post(f"/api/v1/agenda-items/{approve}/views/", view(4, "approve"), "json").status_code
        == 201
    )
    assert api(head_d).get(f"/api/v1/agenda-items/{approve}/views/").status_code == 404
    blind = as_a.get(f"/api/v1/agenda-items/{approve}/views/")
    assert blind.status_code == 403 and "Record your own view first" in blind.json()["detail"]
    signed_in(client, head_a).post(
        reverse("panels:moderate", args=[approve]), view(2, "decline", "One APDR cycle only.")
    )
    seen = as_a.get(f"/api/v1/agenda-items/{approve}/views/")
    assert seen.status_code == 200 and len(seen.json()) == 2
    # The EP declares a conflict on the partial item, with a reason only the LA keeps.
    declared = api(ep.user).post(
        f"/api/v1/agenda-items/{items['partial'].pk}/conflict/", {"reason": CONFLICT}, "json"
    )
    assert declared.status_code == 201
    # The other members see that a conflict was declared, never why; the LA and the EP do.
    partial_item = items["partial"].pk
    for reader in (head_a, chair):
        shown = signed_in(client, reader).get(reverse("panels:meeting", args=[meeting.pk])).text
        assert "declared a conflict of interest" in shown and "sister" not in shown
        assert "sister" not in client.get(reverse("panels:item", args=[partial_item])).text
        assert "sister" not in api(reader).get(f"/api/v1/meetings/{meeting.pk}/agenda/").text
        assert "sister" not in api(reader).get(f"/api/v1/agenda-items/{partial_item}/").text
    for reader in (send_officer, ep.user):
        shown = signed_in(client, reader).get(reverse("panels:item", args=[partial_item])).text
        assert "sister is a governor" in shown

    # On the day: the chair opens the meeting on the page and ticks attendance in the API.
    chair_page = signed_in(client, chair)
    chair_page.post(reverse("panels:open", args=[meeting.pk]))
    present = [member(panel, h).pk for h in heads] + [ep.pk]
    quorum = api(chair).post(
        f"/api/v1/meetings/{meeting.pk}/attendance/", {"present": present}, "json"
    )
    assert quorum.status_code == 200 and quorum.json()["quorate"] is True

    # The chair cannot decide their own school's item: they name head E to chair it (the
    # portal refuses the advisor) and head E decides it.
    own = items["own"].pk
    refused = chair_page.post(
        reverse("panels:acting_chair", args=[own]), {"member": ep.pk}, follow=True
    )
    assert any("advis" in m.lower() or "voting" in m.lower() for m in said(refused))
    chair_page.post(
        reverse("panels:acting_chair", args=[own]), {"member": member(panel, head_e).pk}
    )
    decided = as_e.post(
        f"/api/v1/agenda-items/{own}/decision/",
        {
            "outcome": "approved",
            "rationale": "A clear need, evidenced over two terms.",
            "review_date": str(today + timedelta(days=90)),
        },
        "json",
    )
    assert decided.status_code == 201, decided.json()
    assert Decision.objects.get(item_id=own).chair == head_e

    # The chair reveals the spread on the contested item, then the panel decides each item.
    revealed = api(chair).post(f"/api/v1/agenda-items/{approve}/reveal/")
    assert revealed.status_code == 201
    page = chair_page.get(reverse("panels:item", args=[approve])).text
    assert 'data-testid="spread"' in page

    def decide(key, **post):
        response = chair_page.post(reverse("panels:decide", args=[items[key].pk]), post)
        assert response.status_code == 302, response.content.decode()[:2000]

    decide(
        "approve",
        outcome="approved",
        rationale="Strong graduated approach.",
        **dated("review_date", today + timedelta(days=120)),
        educational_psychologist_detail="An observation in class.",
        educational_psychologist_owner="County EP service",
        **dated("educational_psychologist_due_by", today + timedelta(days=30)),
    )
    partial = api(chair).post(
        f"/api/v1/agenda-items/{items['partial'].pk}/decision/",
        {
            "outcome": "partially_approved",
            "amount": "5000.00",
            "rationale": "The spring term only.",
            "review_date": str(today + timedelta(days=100)),
            "follow_ups": [
                {
                    "kind": "outreach",
                    "detail": "An outreach visit from the special school.",
                    "owner": "Special school outreach",
                    "due_by": str(today + timedelta(days=21)),
                }
            ],
        },
        "json",
    )
    assert partial.status_code == 201, partial.json()
    decide(
        "decline",
        outcome="declined",
        rationale="Ordinarily available provision meets the need.",
        advice_detail="A visual timetable and a daily check-in.",
        advice_owner="Cluster SENCO lead",
        **dated("advice_due_by", today + timedelta(days=14)),
    )
    # Deferred to the named next meeting, the item is on that agenda (refusals of a past or
    # another panel's meeting: test_meetings_on_paper.py).
    deferred = api(chair).post(
        f"/api/v1/agenda-items/{items['defer'].pk}/decision/",
        {
            "outcome": "deferred",
            "rationale": "Waiting for the EP report.",
            "deferred_to": next_meeting.pk,
        },
        "json",
    )
    assert deferred.status_code == 201, deferred.json()
    decide("more", outcome="more_information", rationale="Send the costed provision map.")
    assert DecisionAction.objects.count() == 3
    states = {k: FundingRequest.objects.get(pk=fr.pk).state for k, fr in requests.items()}
    assert states == {
        "own": "approved",
        "approve": "approved",
        "partial": "partially_approved",
        "decline": "declined",
        "defer": "on_agenda",
        "more": "returned",  # back to the school for what the panel asked
    }
    assert AgendaItem.objects.filter(meeting=next_meeting, request=requests["defer"]).exists()
    next_agenda = api(send_officer).get(f"/api/v1/meetings/{next_meeting.pk}/agenda/").json()
    assert requests["defer"].reference in str(next_agenda)

    # Closing: the API refuses without confirmation; the page shows what will happen first.
    unconfirmed = api(chair).post(
        f"/api/v1/meetings/{meeting.pk}/close/", {"confirm": False}, "json"
    )
    assert unconfirmed.status_code == 400
    preview = chair_page.get(reverse("panels:close", args=[meeting.pk]))
    assert preview.status_code == 200 and CONFLICT not in preview.text
    with django_capture_on_commit_callbacks(execute=True):
        closed = chair_page.post(reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"})
    assert closed.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == "closed"

    # The minutes, page, API and PDF: who chaired the own-school item, the conflict without
    # its reason.
    minutes = signed_in(client, senco_a).get(reverse("panels:minutes", args=[meeting.pk])).text
    acting = member(panel, head_e).name
    assert f"Chaired by {acting}" in minutes and "Support offered instead" in minutes
    assert CONFLICT not in minutes and "sister" not in minutes
    published = api(senco_a).get(f"/api/v1/minutes/{meeting.pk}/")
    assert published.status_code == 200 and "sister" not in published.text
    pdf = client.get(reverse("panels:minutes_pdf", args=[meeting.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert acting in text and "sister" not in text
    # The LA's own record keeps the reason.
    assert panel.members.get(pk=ep.pk).conflicts.get().reason == CONFLICT

    # Letters: one per item decided or deferred, each school told once; never twice.
    run = LetterRun.objects.get(meeting=meeting)
    assert Letter.objects.filter(run=run).count() == 6
    told = Notification.objects.filter(subject__startswith="Decision letter")
    assert told.filter(user=senco_a).count() == 1
    assert told.filter(user=chair).count() == 1  # their school's own item
    sent = told.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.produce_letters(meeting) == run
    assert told.count() == sent and Letter.objects.count() == 6
