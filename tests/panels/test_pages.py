"""The panel's story through its pages: schedule, agenda, attend, quorum, moderation,
recusal, decision, minutes, notification, review."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils.html import escape

from funding.models import FundingRequest
from panels import services
from panels.models import AgendaItem, ModerationView
from portal.models import Notification, ViewAudit
from tests.text import has_word

from .factories import build_panel, head_of_new_school, member, ready_request


def dated(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def view_post(need=4, graduated=3, impact=3, value=3, recommendation="approve", comment=""):
    return {
        "evidence_of_need": need,
        "graduated_approach": graduated,
        "likely_impact": impact,
        "value_for_money": value,
        "recommendation": recommendation,
        "comment": comment,
    }


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_the_panels_story_through_the_pages(
    client, panel, meeting, heads, send_officer, request_a, request_d, senco_a, senco_b, today,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    chair, head_d, head_e, head_a = heads

    # The LA officer schedules ready requests: the next open meeting of the cluster's panel.
    signed_in(client, send_officer)
    page = client.get(reverse("panels:schedule"))
    assert request_a.reference in page.text and request_d.reference in page.text
    for fr in (request_a, request_d):
        client.post(reverse("panels:schedule"), {"request": fr.pk, "meeting": ""})
    assert FundingRequest.objects.get(pk=request_a.pk).state == "on_agenda"
    item_a = AgendaItem.objects.get(request=request_a, meeting=meeting)
    item_d = AgendaItem.objects.get(request=request_d, meeting=meeting)

    # Members read the agenda in advance, pupils pseudonymised; each read is audited.
    signed_in(client, head_d)
    agenda = client.get(reverse("panels:meeting", args=[meeting.pk]))
    assert agenda.status_code == 200
    assert request_a.reference in agenda.text and "Year 4" in agenda.text
    assert "Ashfield Primary" in agenda.text
    papers = client.get(reverse("panels:item", args=[item_a.pk]))
    assert "Teaching assistant 1:1" in papers.text
    assert ViewAudit.objects.filter(
        user=head_d, action="view_papers", object_id=str(request_a.pk)
    ).exists()

    # Peer moderation before the meeting: two members disagree.
    client.post(reverse("panels:moderate", args=[item_a.pk]), view_post(comment="Strong APDR."))
    signed_in(client, head_e)
    client.post(
        reverse("panels:moderate", args=[item_a.pk]),
        view_post(need=2, graduated=1, recommendation="decline", comment="Only one cycle."),
    )
    assert ModerationView.objects.filter(item=item_a).count() == 2

    # head_a is from the requesting school: recused, shown why, and cannot read or add views.
    signed_in(client, head_a)
    own = client.get(reverse("panels:item", args=[item_a.pk]))
    assert "You are recused from this item" in own.text
    assert "Strong APDR." not in own.text and "Only one cycle." not in own.text
    refused = client.post(reverse("panels:moderate", args=[item_a.pk]), view_post(), follow=True)
    assert "recused" in refused.text
    assert ModerationView.objects.filter(item=item_a).count() == 2
    assert (
        "From the requesting school (Ashfield Primary)"
        in client.get(reverse("panels:meeting", args=[meeting.pk])).text
    )

    # The chair opens the meeting and records attendance: two present is not quorate.
    signed_in(client, chair)
    client.post(reverse("panels:open", args=[meeting.pk]))
    ids = {h: member(panel, h).pk for h in heads}
    client.post(
        reverse("panels:attendance", args=[meeting.pk]), {"present": [ids[chair], ids[head_d]]}
    )
    page = client.get(reverse("panels:meeting", args=[meeting.pk]))
    assert "Not quorate" in page.text
    refused = client.post(
        reverse("panels:decide", args=[item_d.pk]),
        {"outcome": "declined", "rationale": "No."},
        follow=True,
    )
    assert "not quorate" in refused.text
    assert FundingRequest.objects.get(pk=request_d.pk).state == "on_agenda"

    # Everyone arrives: quorate. The chair sees the spread and the disagreement.
    client.post(
        reverse("panels:attendance", args=[meeting.pk]),
        {"present": [ids[chair], ids[head_d], ids[head_e], ids[head_a]]},
    )
    assert "Quorate" in client.get(reverse("panels:meeting", args=[meeting.pk])).text
    # The chair has recorded no view, so sees nobody's scores until revealing them.
    blind = client.get(reverse("panels:item", args=[item_a.pk]))
    assert "Only one cycle." not in blind.text and "2 views recorded" in blind.text
    client.post(reverse("panels:reveal", args=[item_a.pk]))
    item_page = client.get(reverse("panels:item", args=[item_a.pk]))
    assert "Members disagree" in client.get(reverse("panels:meeting", args=[meeting.pk])).text
    assert "members disagree" in item_page.text and "Only one cycle." in item_page.text

    # The chair decides: the approval commits money and the SENCO is told the rationale.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("panels:decide", args=[item_a.pk]),
            {
                "outcome": "approved",
                "rationale": "Two cycles with clear impact data.",
                "conditions": "Termly note to the cluster.",
                **dated("review_date", today + timedelta(days=90)),
            },
        )
    fr = FundingRequest.objects.get(pk=request_a.pk)
    assert fr.state == "approved" and fr.amount_awarded == fr.amount_requested
    note = Notification.objects.get(user=senco_a, subject__startswith="Panel decision")
    assert "Two cycles with clear impact data." in note.body
    signed_in(client, senco_a)
    assert "Two cycles with clear impact data." in client.get(note.url).text

    # Closing defers what was not reached and publishes the minutes to the cluster.
    signed_in(client, chair)
    client.post(reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"})
    assert FundingRequest.objects.get(pk=request_d.pk).state == "deferred"
    signed_in(client, senco_a)
    minutes = client.get(reverse("panels:minutes", args=[meeting.pk]))
    assert minutes.status_code == 200
    assert "Two cycles with clear impact data." in minutes.text
    assert "From the requesting school (Ashfield Primary)" in minutes.text
    assert "Quorate" in minutes.text
    assert not has_word(minutes.text.split("<main", 1)[1], fr.pupil_initials)
    pdf = client.get(reverse("panels:minutes_pdf", args=[meeting.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    # Minutes go to the cluster's schools, not to other clusters.
    signed_in(client, senco_b)
    assert client.get(reverse("panels:minutes", args=[meeting.pk])).status_code == 404

    # Funding starts; at the review date the SENCO reports and the request closes.
    services.activate_due(today=fr.start_date)
    services.reviews_due(today=today + timedelta(days=90))
    assert FundingRequest.objects.get(pk=fr.pk).state == "review_due"
    signed_in(client, senco_a)
    form = client.get(reverse("panels:review", args=[fr.pk]))
    assert "Report the outcomes" in form.text
    client.post(
        reverse("panels:review", args=[fr.pk]),
        {"result": "met", "evidence": "Uses full sentences in class.", "amount_spent": "7000.00"},
    )
    assert FundingRequest.objects.get(pk=fr.pk).state == "closed"


@pytest.mark.django_db
def test_members_of_another_panel_and_outsiders_get_404(
    client, panel, meeting, send_officer, request_d, school_b, senco_a
):
    item = services.schedule_request(request_d, by=send_officer)
    other_head = head_of_new_school(school_b.cluster, "other_head")
    build_panel(school_b.cluster, send_officer, [other_head])
    for user in (other_head, senco_a):
        signed_in(client, user)
        for url in (
            reverse("panels:meeting", args=[meeting.pk]),
            reverse("panels:item", args=[item.pk]),
            reverse("panels:panel", args=[panel.pk]),
        ):
            assert client.get(url).status_code == 404, (user, url)
        assert (
            client.post(reverse("panels:moderate", args=[item.pk]), view_post()).status_code == 404
        )


@pytest.mark.django_db
def test_a_finance_officer_sees_the_agenda_without_pupil_detail(
    client, meeting, send_officer, request_d, finance_officer
):
    item = services.schedule_request(request_d, by=send_officer)
    signed_in(client, finance_officer)
    agenda = client.get(reverse("panels:meeting", args=[meeting.pk]))
    assert agenda.status_code == 200 and request_d.reference in agenda.text
    assert "Year 4" not in agenda.text
    papers = client.get(reverse("panels:item", args=[item.pk]))
    assert "Teaching assistant" not in papers.text and "We want her" not in papers.text
    assert not ViewAudit.objects.filter(user=finance_officer).exists()


@pytest.mark.django_db
def test_a_declared_conflict_shows_on_the_item(
    client, panel, meeting, send_officer, request_d, heads
):
    item = services.schedule_request(request_d, by=send_officer)
    signed_in(client, heads[2])
    client.post(reverse("panels:conflict", args=[item.pk]), {"reason": "My sister teaches there."})
    page = client.get(reverse("panels:item", args=[item.pk]))
    assert "My sister teaches there." in page.text and "You are recused" in page.text


@pytest.mark.django_db
def test_the_la_builds_a_panel_and_a_fair_rota_through_the_pages(
    client, cluster, send_officer, heads, today
):
    panel = build_panel(cluster, send_officer, heads[:3])
    signed_in(client, send_officer)
    first = today + timedelta(days=14)
    client.post(
        reverse("panels:generate_year", args=[panel.pk]),
        {**dated("first_date", first), "every_weeks": 4, "location": "Town hall", "confirm": "yes"},
    )
    published = panel.meetings.count()
    assert published >= 11
    joining = {
        "user": heads[3].username,
        "role": "headteacher",
        "voting": "on",
        **dated("start_date", today),
    }
    # A new member re-balances the rota: the published meetings whose chair changes are
    # listed first, and nothing is saved until the officer confirms.
    chairs_before = list(panel.meetings.order_by("date").values_list("chair_id", flat=True))
    asked = client.post(reverse("panels:add_member", args=[panel.pk]), joining)
    assert asked.status_code == 409 and 'data-testid="chair-change-table"' in asked.text
    assert "Confirm the changes of chair" in asked.text
    assert not panel.members.filter(user=heads[3]).exists()
    assert list(panel.meetings.order_by("date").values_list("chair_id", flat=True)) == chairs_before
    resent = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', asked.text))
    assert resent["confirm_chair_changes"] == "yes" and resent["user"] == heads[3].username
    client.post(reverse("panels:add_member", args=[panel.pk]), resent)
    assert panel.members.filter(user=heads[3]).exists()
    page = client.get(reverse("panels:panel", args=[panel.pk]))
    assert page.status_code == 200
    for head in heads:
        # Escaped as the page shows it: a name like O'Neill.
        name = escape(head.get_full_name())
        assert f"{name}: 3 meetings" in page.text or f"{name}: 4 meetings" in page.text
    meeting = panel.meetings.order_by("date").first()
    swap_to = member(panel, heads[3])
    client.post(
        reverse("panels:swap_chair", args=[meeting.pk]),
        {"member": swap_to.pk, "reason": "The rota chair is on a course."},
    )
    meeting.refresh_from_db()
    assert (
        meeting.chair == swap_to
        and "on a course" in client.get(reverse("panels:panel", args=[panel.pk])).text
    )
    # A head cannot manage the rota.
    signed_in(client, heads[0])
    client.post(reverse("panels:generate_year", args=[panel.pk]), dated("first_date", first))
    assert panel.meetings.count() == published


@pytest.mark.django_db
def test_the_la_sees_schools_that_never_take_part(client, panel, meeting, heads, send_officer):
    services.open_meeting(meeting, by=heads[0])
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads[:3]])
    services.close_meeting(meeting, by=heads[0])
    signed_in(client, send_officer)
    page = client.get(reverse("panels:participation", args=[panel.pk]))
    never = heads[3].memberships.get().school.name
    assert page.status_code == 200
    assert page.text.index(never) < page.text.index(heads[0].memberships.get().school.name)
    assert "Never" in page.text


@pytest.mark.django_db
def test_members_watching_the_agenda_see_the_quorum_change_live(client, panel, meeting, heads):
    services.open_meeting(meeting, by=heads[0])
    client.force_login(heads[1])
    url = reverse("panels:meeting", args=[meeting.pk]) + "?part=quorum"
    before = client.get(url, headers={"HX-Request": "true"})
    assert 'data-testid="quorum"' in before.text and "<html" not in before.text
    assert "Not quorate" in before.text
    services.record_attendance(meeting, by=heads[0], present=[member(panel, h) for h in heads])
    assert "Quorate" in client.get(url, headers={"HX-Request": "true"}).text
    # Polling the quorum is not a read of pupil data.
    assert not ViewAudit.objects.filter(user=heads[1]).exists()


@pytest.mark.django_db
def test_the_chair_ticks_attendance_and_the_quorum_panel_answers_in_place(
    client, panel, meeting, heads
):
    chair = heads[0]
    services.open_meeting(meeting, by=chair)
    client.force_login(chair)
    url = reverse("panels:attendance", args=[meeting.pk])
    ids = [member(panel, h).pk for h in heads]
    two = client.post(url, {"present": ids[:2]}, headers={"HX-Request": "true"})
    # Only the quorum panel comes back (htmx swaps it in); the page is not reloaded.
    assert two.status_code == 200 and "<html" not in two.text
    assert ">Not quorate<" in two.text
    four = client.post(url, {"present": ids}, headers={"HX-Request": "true"})
    assert ">Quorate<" in four.text
    # Without JavaScript the same form posts and comes back to the meeting page.
    plain = client.post(url, {"present": ids[:3]})
    assert plain.status_code == 302


@pytest.mark.django_db
def test_an_urgent_request_is_decided_by_chairs_action_and_ratified(
    client, panel, meeting, heads, send_officer, today
):
    chair = heads[0]
    school = heads[1].memberships.get().school
    fr = ready_request(school, request_type="urgent")
    # Only the rota's current chair may take chair's action.
    client.force_login(heads[2])
    assert client.get(reverse("panels:chairs_action", args=[fr.pk])).status_code == 404
    client.force_login(chair)
    page = client.get(reverse("panels:chairs_action", args=[fr.pk]))
    assert "Propose a decision by chair&#x27;s action" in page.text
    client.post(
        reverse("panels:chairs_action", args=[fr.pk]),
        {
            "outcome": "approved",
            "officer": send_officer.pk,
            "rationale": "Placement at risk this week.",
            **dated("review_date", today + timedelta(days=60)),
        },
    )
    # Nothing is decided until the officer confirms it in their own session.
    assert FundingRequest.objects.get(pk=fr.pk).state == "ready"
    proposal = fr.chairs_action_proposals.get()
    client.force_login(send_officer)
    client.post(reverse("panels:confirm_proposal", args=[proposal.pk]))
    assert FundingRequest.objects.get(pk=fr.pk).state == "approved"
    client.force_login(chair)
    item = AgendaItem.objects.get(request=fr)
    assert item.kind == "ratification" and item.meeting == meeting
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    client.post(reverse("panels:ratify", args=[item.pk]))
    item.refresh_from_db()
    assert item.ratified_at is not None
    services.close_meeting(meeting, by=chair)
    minutes = client.get(reverse("panels:minutes", args=[meeting.pk]))
    assert "for ratification: ratified" in minutes.text
    assert "Placement at risk this week." in minutes.text


@pytest.mark.django_db
def test_the_la_records_an_appeal_after_the_one_reconsideration(
    client, send_officer, school_a, senco_a
):
    fr = ready_request(school_a, state="declined", reconsideration_used=True)
    client.force_login(senco_a)
    assert client.get(reverse("panels:appeal", args=[fr.pk])).status_code == 404
    client.force_login(send_officer)
    client.post(
        reverse("panels:appeal", args=[fr.pk]),
        {
            "outcome": "dismissed",
            "notes": "The panel followed its criteria.",
            **dated("heard_on", fr.created_at.date()),
        },
    )
    assert fr.appeals.get().outcome == "dismissed"
    assert Notification.objects.filter(user=senco_a, subject__startswith="Appeal outcome").exists()


@pytest.mark.django_db
def test_a_decision_with_errors_keeps_what_the_chair_typed_and_summarises_the_errors(
    client, panel, meeting, heads, send_officer, request_d
):
    item = services.schedule_request(request_d, by=send_officer)
    chair = heads[0]
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    client.force_login(chair)
    page = client.post(
        reverse("panels:decide", args=[item.pk]),
        {"outcome": "partially_approved", "amount": "999999", "rationale": "Half the hours."},
    )
    assert page.status_code == 200
    assert "<title>Error:" in page.text and "There is a problem" in page.text
    assert "A partial approval is more than £0" in page.text
    assert "Half the hours." in page.text
    assert FundingRequest.objects.get(pk=request_d.pk).state == "on_agenda"
