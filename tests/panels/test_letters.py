"""Decision letters and outcomes beyond money, through the pages a user opens.

A meeting is run and closed; each school with an item gets its letter for each item
(a page and a PDF it can share with parents: pseudonymised, with the rationale, the
review date, the support offered and the appeal route, never a conflict reason), all
sent together, once. The LA SEND officer rewords the letters; an unknown placeholder
is refused, clearly.
"""

import re
import subprocess
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from funding.models import FundingRequest, RequestEvent
from panels import services
from panels.models import DecisionAction, Letter, LetterRun, LetterTemplate
from portal.models import Notification, ViewAudit

from .factories import meeting_on, member, ready_request


def dated(name, day):
    return {f"{name}_0": day.day, f"{name}_1": day.month, f"{name}_2": day.year}


def follow_up(kind, detail, owner, day):
    return {f"{kind}_detail": detail, f"{kind}_owner": owner, **dated(f"{kind}_due_by", day)}


def signed_in(client, user):
    client.force_login(user)
    return client


def pdf_text(content: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()


def school_of(user):
    return user.memberships.get().school


@pytest.fixture
def story(panel, heads, meeting, next_meeting, request_a, send_officer, today):
    """Today's meeting with six items from three schools, opened, everyone present, and a
    member's declared conflict on one of them."""
    chair, head_d, head_e, head_a = heads
    school_d, school_e = school_of(head_d), school_of(head_e)
    requests = {
        "approve": ready_request(school_d, parent_voice="PARENT-SECRET-1"),
        "decline": request_a,
        "partial": ready_request(school_e, outcomes_sought="OUTCOME-SECRET-2"),
        "defer": ready_request(school_d),
        "more": ready_request(school_d),
        "unreached": ready_request(school_d),
    }
    items = {
        k: services.schedule_request(fr, by=send_officer, meeting=meeting)
        for k, fr in requests.items()
    }
    # The advisory EP declares a conflict (so the item stays quorate): its reason stays in
    # the LA's record.
    ep = panel.members.get(voting=False).user
    services.declare_conflict(
        items["approve"], by=ep, reason="CONFLICT-SECRET: my sister works there"
    )
    services.open_meeting(meeting, by=chair)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    return {"items": items, "requests": requests, "school_d": school_d, "school_e": school_e}


@pytest.mark.django_db
def test_a_closed_meeting_sends_each_school_its_letters_once(
    client,
    heads,
    meeting,
    next_meeting,
    story,
    senco_a,
    send_officer,
    finance_officer,
    senco_b,
    today,
    django_capture_on_commit_callbacks,
):
    chair, head_d, head_e, head_a = heads
    items = story["items"]
    review = today + timedelta(days=120)
    signed_in(client, chair)

    def decide(key, **post):
        response = client.post(reverse("panels:decide", args=[items[key].pk]), post)
        assert response.status_code == 302, response.content.decode()[:3000]

    # Every outcome kind, and support beyond money with and without an award.
    decide(
        "approve",
        outcome="approved",
        rationale="Two cycles of APDR with clear impact data.",
        conditions="A termly note to the cluster.",
        **dated("review_date", review),
        **follow_up(
            "educational_psychologist",
            "An observation in class and advice on the plan.",
            "County EP service",
            today + timedelta(days=30),
        ),
    )
    decide(
        "decline",
        outcome="declined",
        rationale="The need can be met from the school's ordinarily available provision.",
        **follow_up(
            "advice",
            "Use a visual timetable and a daily check-in.",
            "Cluster SENCO lead",
            today + timedelta(days=14),
        ),
    )
    decide(
        "partial",
        outcome="partially_approved",
        amount="5000.00",
        rationale="Support for the spring term only.",
        **dated("review_date", review),
        **follow_up(
            "outreach", "Outreach visit.", "Special school outreach", today + timedelta(days=21)
        ),
        **follow_up(
            "specialist_teacher",
            "Assessment by the specialist teacher for sensory needs.",
            "Sensory support service",
            today + timedelta(days=40),
        ),
    )
    decide(
        "defer",
        outcome="deferred",
        rationale="The panel wants the EP report first.",
        deferred_to=next_meeting.pk,
    )
    decide("more", outcome="more_information", rationale="Send the costed provision map.")

    # The support is on the decision's page, with the decline as support offered instead.
    decline = FundingRequest.objects.get(pk=story["requests"]["decline"].pk).decisions.get()
    page = signed_in(client, senco_a).get(reverse("panels:decision", args=[decline.pk]))
    assert "Support offered instead" in page.text
    assert "Use a visual timetable and a daily check-in." in page.text
    assert DecisionAction.objects.count() == 4
    assert RequestEvent.objects.filter(request=decline.request, kind="support_offered").exists()

    # The chair closes the meeting: one letter per item, each school told once.
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(client, chair).post(
            reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"}
        )
    run = LetterRun.objects.get(meeting=meeting)
    assert Letter.objects.filter(run=run).count() == 6
    told = Notification.objects.filter(subject__startswith="Decision letter")
    assert told.filter(user=senco_a).count() == 1
    assert told.filter(user=head_d).count() == 1 and told.filter(user=head_e).count() == 1
    assert not told.filter(user=senco_b).exists() and not told.filter(user=chair).exists()
    sent = told.count()

    # The SENCO follows the notification: their school's letter only.
    note = told.get(user=senco_a)
    signed_in(client, senco_a)
    listing = client.get(note.url)
    assert listing.status_code == 200
    assert story["requests"]["decline"].reference in listing.text
    assert story["requests"]["approve"].reference not in listing.text
    letter = Letter.objects.get(item=items["decline"])
    assert letter.get_outcome_display() == "Declined"
    page = client.get(reverse("panels:letter", args=[letter.pk]))
    assert page.status_code == 200
    assert "The need can be met from the school" in page.text
    assert "Use a visual timetable and a daily check-in." in page.text
    assert "ask the panel to reconsider it once" in page.text
    assert ViewAudit.objects.filter(
        user=senco_a, action="view_letter", object_id=str(letter.item.request_id)
    ).exists()

    # The approval's PDF: rationale, review date, support, the appeal route; pseudonymised.
    approved = Letter.objects.get(item=items["approve"])
    signed_in(client, head_d)
    pdf = client.get(reverse("panels:letter_pdf", args=[approved.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(pdf.content).split())
    assert "Two cycles of APDR with clear impact data." in text
    assert f"{review:%-d %B %Y}" in text
    assert "County EP service" in text
    assert "appeal route" in text
    assert "AB, Year 4, Female" in text
    assert "CONFLICT-SECRET" not in text and "PARENT-SECRET" not in text
    assert not re.search(r"\b[A-Z]\d{12}\b", text), "no UPN-shaped text"
    assert ViewAudit.objects.filter(user=head_d, action="download_letter").exists()

    # Each outcome's own words; the unreached item is told it goes to the next meeting.
    partial = Letter.objects.get(item=items["partial"])
    assert "£5,000.00" in partial.body and "Sensory support service" in partial.body
    deferred = Letter.objects.get(item=items["defer"])
    assert f"the meeting of {next_meeting.date:%-d %B %Y}" in deferred.body
    assert "resubmit" in Letter.objects.get(item=items["more"]).body
    unreached = Letter.objects.get(item=items["unreached"])
    assert unreached.outcome == "deferred" and "Not reached at the meeting" in unreached.body
    for letter in Letter.objects.all():
        assert "CONFLICT-SECRET" not in letter.body and "OUTCOME-SECRET" not in letter.body

    # Closing again is refused; producing again sends nothing; the database says once.
    with django_capture_on_commit_callbacks(execute=True):
        again = signed_in(client, chair).post(
            reverse("panels:close", args=[meeting.pk]), {"confirm": "yes"}
        )
        assert again.status_code == 404  # a closed meeting has no close page
        assert services.produce_letters(meeting) == run
    assert Notification.objects.filter(subject__startswith="Decision letter").count() == sent
    assert Letter.objects.count() == 6
    with pytest.raises(IntegrityError), transaction.atomic():
        LetterRun.objects.create(meeting=meeting, sent_at=run.sent_at)

    # The meeting's chair and the LA read every letter; others cannot find them.
    for reader in (chair, send_officer):
        listing = signed_in(client, reader).get(
            reverse("panels:meeting_letters", args=[meeting.pk])
        )
        assert listing.status_code == 200 and listing.text.count("Read<span") == 6
    for outsider in (senco_b, finance_officer, head_e):
        signed_in(client, outsider)
        assert client.get(reverse("panels:letter", args=[approved.pk])).status_code == 404
        assert client.get(reverse("panels:letter_pdf", args=[approved.pk])).status_code == 404
    assert (
        signed_in(client, senco_b)
        .get(reverse("panels:meeting_letters", args=[meeting.pk]))
        .status_code
        == 404
    )

    # The minutes show the support beyond money, never the conflict's reason in a letter.
    minutes = signed_in(client, senco_a).get(reverse("panels:minutes", args=[meeting.pk]))
    assert "Support offered instead" in minutes.text and "Sensory support service" in minutes.text
    assert "The decision letters" in minutes.text


@pytest.mark.django_db
def test_follow_ups_are_refused_when_incomplete_and_the_decision_with_them(
    client, heads, story, today
):
    chair = heads[0]
    item = story["items"]["approve"]
    response = signed_in(client, chair).post(
        reverse("panels:decide", args=[item.pk]),
        {
            "outcome": "declined",
            "rationale": "Not this time.",
            "advice_detail": "Use a visual timetable.",
            **dated("outreach_due_by", today - timedelta(days=1)),
        },
    )
    assert response.status_code == 200
    assert "Advice given: say who will follow it up." in response.text
    assert "Referred for outreach: say what the advice is, or what the referral is for." in (
        response.text
    )
    assert "the follow-up date must be in the future" in response.text
    assert "govuk-error-summary" in response.text
    assert FundingRequest.objects.get(pk=item.request_id).state == "on_agenda"
    assert not DecisionAction.objects.exists()


@pytest.mark.django_db
def test_the_officer_rewords_a_letter_and_an_unknown_placeholder_is_refused(
    client, send_officer, senco_a, panel, heads, today, request_a
):
    signed_in(client, send_officer)
    listing = client.get(reverse("panels:letter_templates"))
    assert listing.status_code == 200
    for label in ("Approved", "Partially approved", "Declined", "Deferred", "More information"):
        assert label in listing.text
    edit = reverse("panels:letter_template", args=["declined"])
    form = client.get(edit)
    assert "{appeal_route}" in form.text and "{rationale}" in form.text

    refused = client.post(
        edit,
        {
            "subject": "Declined: {reference}",
            "body": "Dear {pupil_name}, the panel said no: {rationale}. {appeal_route} {{ 7*7 }}",
        },
    )
    assert refused.status_code == 400
    assert "“{pupil_name}” is not a placeholder letters can use" in refused.text
    assert "govuk-error-summary" in refused.text
    missing = client.post(edit, {"subject": "Declined", "body": "No: {rationale}."})
    assert "must include {appeal_route}" in missing.text
    before = LetterTemplate.objects.get(outcome="declined").body
    assert "{pupil_name}" not in before

    saved = client.post(
        edit,
        {
            "subject": "Our decision on {reference}",
            "body": "Dear colleague,\n\nWe cannot fund this: {rationale}\n\n{appeal_route}",
        },
        follow=True,
    )
    assert "is saved" in saved.text
    template = LetterTemplate.objects.get(outcome="declined")
    assert template.subject == "Our decision on {reference}" and template.updated_by == send_officer

    # The next meeting's letter uses the new words.
    meeting = meeting_on(panel, today + timedelta(days=1), closing=today + timedelta(days=1))
    item = services.schedule_request(request_a, by=send_officer, meeting=meeting)
    chair = meeting.chair.user
    services.open_meeting(meeting, by=chair, today=meeting.date)
    services.record_attendance(meeting, by=chair, present=[member(panel, h) for h in heads])
    services.record_decision(item, by=chair, outcome="declined", rationale="Not enough evidence.")
    services.close_meeting(meeting, by=chair)
    letter = Letter.objects.get(item=item)
    assert letter.subject == f"Our decision on {request_a.reference}"
    assert letter.body.startswith("Dear colleague")

    # Only LA SEND officers find the templates.
    signed_in(client, senco_a)
    assert client.get(reverse("panels:letter_templates")).status_code == 404
    assert client.get(edit).status_code == 404
