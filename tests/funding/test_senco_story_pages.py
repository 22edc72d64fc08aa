"""A SENCO asks for support without an EHCP, through the pages, over several visits."""

from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from funding.models import FundingRequest, RequestEvent
from portal.models import Notification

from .helpers import date_fields, text


def test_senco_drafts_over_several_visits_submits_answers_a_return_and_resubmits(
    senco_a, send_officer, stream, login, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    senco = login(senco_a)

    # Visit 1: start a request and give the pupil's details, then stop.
    response = senco.post(
        reverse("funding:start"),
        {"school": senco_a.memberships.get().school_id, "stream": stream.pk,
         "request_type": "individual"},
    )  # fmt: skip
    fr = FundingRequest.objects.get()
    assert response.url == reverse("funding:tasks", args=[fr.pk])
    page = senco.get(response.url)
    assert "Not started" in text(page)
    response = senco.post(
        reverse("funding:pupil", args=[fr.pk]),
        {"request_type": "individual", "pupil_initials": "j.s", "year_group": "4", "sex": "M",
         "number_of_pupils": "", "project_summary": "", "save_draft": "1"},
    )  # fmt: skip
    assert response.url == reverse("funding:tasks", args=[fr.pk])
    fr.refresh_from_db()
    assert (fr.pupil_initials, fr.year_group, fr.state) == ("JS", "4", "draft")

    # The task list says what is still missing, and check-answers refuses to submit.
    page = text(senco.get(reverse("funding:tasks", args=[fr.pk])))
    assert "Select the primary need" in page
    response = senco.post(reverse("funding:check", args=[fr.pk]), {})
    assert response.status_code == 400
    assert "not complete" in text(response)
    fr.refresh_from_db()
    assert fr.state == "draft" and fr.reference is None

    # Visit 2: needs, one assess-plan-do-review cycle, and the costed provision.
    response = senco.post(
        reverse("funding:needs", args=[fr.pk]),
        {"primary_need": "SEMH", "secondary_need": "SLCN",
         **date_fields("sen_support_since", today - timedelta(days=400)),
         "band": "", "ordinarily_available_provision": "Zones of regulation, check-ins.",
         "agencies_involved": "Educational psychology", "continue": "1"},
    )  # fmt: skip
    assert response.url == reverse("funding:evidence", args=[fr.pk])
    response = senco.post(
        reverse("funding:evidence", args=[fr.pk]),
        {"assess": "Boxall profile", "plan": "Nurture group 3x weekly", "duration_weeks": "12",
         "impact": "Fewer incidents, still dysregulated at transitions", "continue": "1"},
    )  # fmt: skip
    assert response.url == reverse("funding:provision", args=[fr.pk])
    senco.post(
        reverse("funding:provision", args=[fr.pk]),
        {"line-description": "Teaching assistant 1:1", "line-hours_per_week": "15",
         "line-weeks": "38", "line-hourly_rate": "22.50", "add_line": "1"},
    )  # fmt: skip
    page = text(senco.get(reverse("funding:provision", args=[fr.pk])))
    # 15 h x 38 weeks x £22.50 = £12,825; the school pays the first £6,000.
    assert "£12,825.00" in page and "£6,000.00" in page and "£6,825.00" in page
    assert "Not yet set" in page  # cluster budget and next panel, until those apps say
    response = senco.post(
        reverse("funding:provision", args=[fr.pk]),
        {"outcomes_sought": "Stays in class for whole lessons",
         **date_fields("start_date", today + timedelta(days=14)),
         **date_fields("end_date", today + timedelta(days=14 + 7 * 38 - 1)), "save_draft": "1"},
    )  # fmt: skip
    assert response.url == reverse("funding:tasks", args=[fr.pk])
    fr.refresh_from_db()
    assert (fr.total_cost, fr.school_contribution, fr.amount_requested) == (
        Decimal("12825.00"), Decimal("6000.00"), Decimal("6825.00"))  # fmt: skip

    # Visit 3: consent and voice, then check answers and submit.
    senco.post(
        reverse("funding:consent", args=[fr.pk]),
        {"parental_consent": "on", **date_fields("consent_date", today),
         "parent_voice": "He is unhappy at lunchtimes", "pupil_voice": "I like the quiet room",
         "continue": "1"},
    )  # fmt: skip
    page = text(senco.get(reverse("funding:check", args=[fr.pk])))
    assert "You cannot submit yet" not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = senco.post(reverse("funding:check", args=[fr.pk]), {}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("funding:submitted", args=[fr.pk])
    assert "Request submitted" in text(response)
    fr.refresh_from_db()
    assert fr.state == "submitted"
    assert fr.reference == f"ENG-{today.year}-00001"
    assert fr.reference in text(response)
    # The LA hears of it, in the app and by email.
    assert Notification.objects.filter(user=send_officer, url__contains=str(fr.pk)).exists()
    assert any(send_officer.email in m.to for m in mail.outbox)

    # The LA officer sees it in the triage queue and returns it with a message.
    officer = login(send_officer)
    assert fr.reference in text(officer.get(reverse("funding:triage")))
    response = officer.post(reverse("funding:action", args=[fr.pk, "return"]), {"message": ""})
    assert response.status_code == 400  # a return needs a message
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(
            reverse("funding:action", args=[fr.pk, "return"]),
            {"message": "Please add the EP's report and a second APDR cycle."},
        )
    assert response.status_code == 302
    fr.refresh_from_db()
    assert fr.state == "returned"
    assert Notification.objects.filter(user=senco_a, subject__contains="more information").exists()
    assert any("second APDR cycle" in m.body for m in mail.outbox if senco_a.email in m.to)

    # The SENCO answers: adds a cycle, and resubmits with a message.
    page = text(senco.get(reverse("funding:timeline", args=[fr.pk])))
    assert "second APDR cycle" in page
    senco.post(
        reverse("funding:evidence", args=[fr.pk]),
        {"assess": "EP assessment", "plan": "Emotional literacy support", "duration_weeks": "8",
         "impact": "Some improvement", "add": "1"},
    )  # fmt: skip
    assert fr.cycles.count() == 2
    response = senco.post(reverse("funding:check", args=[fr.pk]), {"message": ""})
    assert "What have you changed or added?" in text(response)
    fr.refresh_from_db()
    assert fr.state == "returned"  # a resubmission says what changed
    senco.post(reverse("funding:check", args=[fr.pk]), {"message": "Added the EP cycle."})
    fr.refresh_from_db()
    assert fr.state == "submitted"
    assert fr.reference == f"ENG-{today.year}-00001"  # same reference

    # The officer triages it: ready for panel. The SENCO is told.
    officer.post(reverse("funding:action", args=[fr.pk, "triage"]), {"message": ""})
    fr.refresh_from_db()
    assert fr.state == "ready"
    assert Notification.objects.filter(user=senco_a, subject__contains="ready for panel").exists()

    kinds = list(RequestEvent.objects.filter(request=fr).values_list("kind", flat=True))
    assert kinds == ["created", "submit", "return", "resubmit", "triage"]
    page = text(senco.get(reverse("funding:detail", args=[fr.pk])))
    assert "Ready for panel" in page and "Added the EP cycle." in page
