"""Meetings run as on paper: a deferral to a named meeting puts the item on its agenda;
closing shows what will happen and asks to confirm; a declared conflict's reason stays in
the LA's record and never reaches the published minutes."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from funding.models import FundingRequest, RequestEvent
from panels import services
from panels.models import AgendaItem, Decision, MeetingStatus
from portal.models import Notification

from .factories import build_panel, head_of_new_school, meeting_on, member
from .test_api import api
from .test_pages import signed_in
from .test_papers import pdf_text

REASON = "My daughter is in the same class and I coach her football team."


def run(meeting, chair, panel, heads):
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])


def on_agenda(meeting, fr) -> bool:
    return AgendaItem.objects.filter(meeting=meeting, request=fr).exists()


def deferral_options(page) -> set[str]:
    """The meetings offered in the decision form's "Defer to meeting" list."""
    select = page.text.split('name="deferred_to"', 1)[1].split("</select>", 1)[0]
    return set(re.findall(r'value="(\d+)"', select))


def state_of(fr) -> str:
    return FundingRequest.objects.get(pk=fr.pk).state


@pytest.fixture
def later_meeting(panel, today, next_meeting):
    """Eight weeks on: the meeting the chair names, past the next one."""
    return meeting_on(panel, today + timedelta(days=56), closing=today + timedelta(days=46))


@pytest.fixture
def item_d(meeting, send_officer, request_d):
    return services.schedule_request(request_d, by=send_officer, meeting=meeting)


@pytest.mark.django_db
def test_the_chair_defers_an_item_to_a_named_meeting_and_it_is_on_that_agenda(
    client, panel, meeting, next_meeting, later_meeting, heads, item_d, request_d,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    chair = heads[0]
    run(meeting, chair, panel, heads)
    signed_in(client, chair)
    form = client.get(reverse("panels:item", args=[item_d.pk]))
    # The chair picks from the panel's later meetings, this one not among them.
    assert deferral_options(form) == {str(next_meeting.pk), str(later_meeting.pk)}

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            reverse("panels:decide", args=[item_d.pk]),
            {
                "outcome": "deferred",
                "rationale": "Waiting for the EP report.",
                "deferred_to": later_meeting.pk,
            },
        )
    assert done.status_code == 302
    assert state_of(request_d) == "on_agenda"
    assert on_agenda(later_meeting, request_d) and not on_agenda(next_meeting, request_d)
    assert Decision.objects.get(item=item_d).deferred_to == later_meeting
    # The timeline says the portal put it there, and the school is told which meeting.
    event = RequestEvent.objects.filter(request=request_d, kind="schedule").latest("pk")
    assert event.actor is None and "meeting of" in event.message
    told = Notification.objects.get(subject__startswith=f"Panel decision on {request_d.reference}")
    assert f"{later_meeting.date:%d %B %Y}" in told.body
    # The later meeting's agenda shows it, for the members to read in advance.
    agenda = signed_in(client, heads[1]).get(reverse("panels:meeting", args=[later_meeting.pk]))
    assert request_d.reference in agenda.text


@pytest.mark.django_db
def test_a_deferral_to_a_past_meeting_or_another_panels_is_refused_and_changes_nothing(
    client, panel, meeting, next_meeting, heads, item_d, request_d, send_officer, school_b, today
):
    chair = heads[0]
    past = meeting_on(panel, today - timedelta(days=28))
    other_panel = build_panel(
        school_b.cluster, send_officer, [head_of_new_school(school_b.cluster, "head_x")]
    )
    elsewhere = meeting_on(other_panel, today + timedelta(days=14))
    run(meeting, chair, panel, heads)

    # Through the page: a past meeting is not offered, and a forged choice is refused.
    signed_in(client, chair)
    offered = deferral_options(client.get(reverse("panels:item", args=[item_d.pk])))
    assert offered == {str(next_meeting.pk)}
    refused = client.post(
        reverse("panels:decide", args=[item_d.pk]),
        {"outcome": "deferred", "rationale": "Later.", "deferred_to": past.pk},
    )
    assert refused.status_code == 200 and "govuk-error-summary" in refused.text
    assert "Select a valid choice" not in refused.text  # in the portal's own words

    # Through the API: each refusal says why, in words the chair can act on.
    for target, why in (
        (past, "is not after this one: defer to a later meeting of"),
        (elsewhere, "is another panel's: defer to a later meeting of"),
    ):
        answer = api(chair).post(
            f"/api/v1/agenda-items/{item_d.pk}/decision/",
            {"outcome": "deferred", "rationale": "Later.", "deferred_to": target.pk},
            format="json",
        )
        if answer.status_code == 404:
            # Another panel's meeting is out of the chair's sight: not found, nothing done.
            assert target is elsewhere
        else:
            assert answer.status_code == 400 and why in answer.json()["detail"], answer.json()
    # The LA SEND officer, who sees every panel, is refused in words too.
    answer = api(send_officer).post(
        f"/api/v1/agenda-items/{item_d.pk}/decision/",
        {"outcome": "deferred", "rationale": "Later.", "deferred_to": elsewhere.pk},
        format="json",
    )
    assert answer.status_code in (400, 403)
    assert state_of(request_d) == "on_agenda" and not Decision.objects.filter(item=item_d).exists()
    assert not on_agenda(past, request_d) and not on_agenda(elsewhere, request_d)


@pytest.mark.django_db
def test_a_deferral_through_the_api_puts_the_item_on_the_named_meeting(
    panel, meeting, next_meeting, later_meeting, heads, item_d, request_d
):
    chair = heads[0]
    run(meeting, chair, panel, heads)
    answer = api(chair).post(
        f"/api/v1/agenda-items/{item_d.pk}/decision/",
        {"outcome": "deferred", "rationale": "EP report due.", "deferred_to": later_meeting.pk},
        format="json",
    )
    assert answer.status_code == 201 and answer.json()["deferred_to"] == later_meeting.pk
    agenda = api(heads[1]).get(f"/api/v1/meetings/{later_meeting.pk}/agenda/").json()
    assert [i["request"]["reference"] for i in agenda["items"]] == [request_d.reference]


@pytest.mark.django_db
def test_closing_shows_what_will_happen_and_only_the_confirmation_closes(
    client, panel, meeting, next_meeting, heads, item_d, request_d, request_a, send_officer
):
    chair = heads[0]
    item_a = services.schedule_request(request_a, by=send_officer, meeting=meeting)
    run(meeting, chair, panel, heads)
    services.record_decision(item_a, by=chair, outcome="declined", rationale="Not enough evidence.")

    signed_in(client, chair)
    meeting_page = client.get(reverse("panels:meeting", args=[meeting.pk]))
    assert 'data-testid="close-meeting"' in meeting_page.text
    preview = client.get(reverse("panels:close", args=[meeting.pk]))
    assert preview.status_code == 200
    deferrals = preview.text.split('data-testid="close-deferrals"', 1)[1].split("</dd>", 1)[0]
    assert request_d.reference in deferrals and f"{next_meeting.date:%-d %B %Y}" in deferrals
    assert "Not enough evidence." in preview.text  # the minutes as they will be published
    assert "headteachers and SENCOs of the" in preview.text
    # Looking changes nothing; a post without the confirmation changes nothing.
    unconfirmed = client.post(reverse("panels:close", args=[meeting.pk]), {})
    assert unconfirmed.status_code == 200 and "There is a problem" in unconfirmed.text
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN and state_of(request_d) == "on_agenda"
    assert on_agenda(meeting, request_d) and not on_agenda(next_meeting, request_d)

    closed = client.post(reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"})
    assert closed.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED and meeting.minutes_published_at
    # The item not reached is on the next meeting's agenda, as the preview said.
    assert state_of(request_d) == "on_agenda" and on_agenda(next_meeting, request_d)
    assert Decision.objects.get(item=item_d).deferred_to == next_meeting
    # Closed: the page is gone for everyone.
    assert client.get(reverse("panels:close", args=[meeting.pk])).status_code == 404


@pytest.mark.django_db
def test_closing_with_no_later_meeting_says_the_items_go_back_to_the_la(
    client, panel, meeting, heads, item_d, request_d
):
    chair = heads[0]
    run(meeting, chair, panel, heads)
    preview = signed_in(client, chair).get(reverse("panels:close", args=[meeting.pk]))
    assert "no later meeting is published" in preview.text
    client.post(reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"})
    assert state_of(request_d) == "deferred"


@pytest.mark.django_db
def test_the_api_closes_only_on_confirmation_after_its_preview(
    panel, meeting, next_meeting, heads, item_d, request_d, senco_b
):
    chair = heads[0]
    run(meeting, chair, panel, heads)
    preview = api(chair).get(f"/api/v1/meetings/{meeting.pk}/close-preview/")
    assert preview.status_code == 200, preview.json()
    body = preview.json()
    assert [d["reference"] for d in body["deferred"]] == [request_d.reference]
    assert body["deferred_to"]["id"] == next_meeting.pk and body["minutes_to_schools"] >= 4
    assert api(senco_b).get(f"/api/v1/meetings/{meeting.pk}/close-preview/").status_code == 404

    for refused in ({}, {"confirm": False}):
        answer = api(chair).post(f"/api/v1/meetings/{meeting.pk}/close/", refused, format="json")
        assert answer.status_code == 400
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN
    answer = api(chair).post(
        f"/api/v1/meetings/{meeting.pk}/close/", {"confirm": True}, format="json"
    )
    assert answer.status_code == 200 and answer.json()["status"] == "closed"
    assert on_agenda(next_meeting, request_d)


@pytest.mark.django_db
def test_a_declared_conflicts_reason_is_in_no_published_output(
    client, panel, meeting, heads, item_d, request_d, send_officer, senco_a,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    chair, head_d, head_e, head_a = heads
    services.declare_conflict(item_d, by=head_e, reason=REASON)
    run(meeting, chair, panel, heads)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_decision(item_d, by=chair, outcome="declined", rationale="Not yet.")
        services.close_meeting(meeting, by=chair)

    # The LA's record keeps the reason.
    la_view = signed_in(client, send_officer).get(reverse("panels:item", args=[item_d.pk]))
    assert REASON in la_view.text
    # The published minutes (page, PDF, API) say a conflict was declared, never why.
    signed_in(client, senco_a)
    page = client.get(reverse("panels:minutes", args=[meeting.pk]))
    assert page.status_code == 200 and "declared a conflict of interest" in page.text
    pdf = pdf_text(client.get(reverse("panels:minutes_pdf", args=[meeting.pk])).content)
    assert "declared a conflict of interest" in pdf
    minutes_api = api(senco_a).get(f"/api/v1/minutes/{meeting.pk}/")
    assert minutes_api.status_code == 200
    assert "declared a conflict of interest" in minutes_api.content.decode()
    told = Notification.objects.filter(user__memberships__school__isnull=False)
    assert told.exists()
    for text in (page.text, pdf, minutes_api.content.decode(), *[n.body + n.subject for n in told]):
        assert REASON not in text
        assert "coach her football" not in text
