"""A SENCO tells the LA a request is coming; the LA plans with it; the notice becomes the draft."""

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from funding.models import FundingRequest, IntentionNotice, RequestEvent

from .helpers import text

API = "/api/v1/notices/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def next_month() -> date:
    return (timezone.localdate().replace(day=1) + timedelta(days=32)).replace(day=1)


def test_senco_gives_notice_the_la_plans_with_it_and_it_becomes_the_draft(
    senco_a, senco_b, send_officer, finance_officer, stream, login
):
    senco = login(senco_a)
    month = next_month()
    # Bad input first: each answer refused in the portal's words, nothing recorded.
    response = senco.post(
        reverse("funding:notice_new"),
        {"school": senco_a.memberships.get().school_id, "pupil_initials": "John Smith",
         "year_group": "", "stream": "", "expected_month": "1999-01", "reports_awaited": ""},
    )  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    for message in ("Enter initials as 1 to 3 letters, like AB", "Choose the pupil&#x27;s year group",
                    "Choose the fund you will ask", "Choose a month from this month to a year ahead",
                    "Enter whose reports you are waiting for"):  # fmt: skip
        assert message in page
    assert not IntentionNotice.objects.exists()

    response = senco.post(
        reverse("funding:notice_new"),
        {"school": senco_a.memberships.get().school_id, "pupil_initials": "t.r",
         "year_group": "5", "stream": stream.pk, "expected_month": f"{month:%Y-%m}",
         "reports_awaited": "Educational psychologist (due in 4 weeks)"},
    )  # fmt: skip
    notice = IntentionNotice.objects.get()
    assert response.url == reverse("funding:notice", args=[notice.pk])
    assert (notice.pupil_initials, notice.expected_month, notice.request) == ("TR", month, None)

    # The LA SEND officer's planning page: by cluster and expected month.
    planning = text(login(send_officer).get(reverse("funding:notices")))
    assert f"{notice.cluster.name}: {month:%B %Y}" in planning
    assert "Educational psychologist (due in 4 weeks)" in planning
    # Another school's SENCO and a finance officer do not see it.
    assert "Educational psychologist" not in text(login(senco_b).get(reverse("funding:notices")))
    assert login(senco_b).get(reverse("funding:notice", args=[notice.pk])).status_code == 404
    assert login(finance_officer).get(reverse("funding:notices")).status_code == 404

    # The SENCO turns it into the draft: pre-filled, and the notice records it.
    response = senco.post(reverse("funding:notice_start", args=[notice.pk]))
    fr = FundingRequest.objects.get()
    assert response.url == reverse("funding:tasks", args=[fr.pk])
    assert (fr.state, fr.stream, fr.pupil_initials, fr.year_group) == ("draft", stream, "TR", "5")
    assert "Educational psychologist (due in 4 weeks)" in fr.agencies_involved
    notice.refresh_from_db()
    assert notice.request == fr
    assert RequestEvent.objects.filter(request=fr, kind="from_notice").exists()
    assert "Started as draft" in text(senco.get(reverse("funding:notice", args=[notice.pk])))
    # Off the planning list (it is a request now), unless every notice is asked for.
    assert "Educational psychologist" not in text(
        login(send_officer).get(reverse("funding:notices"))
    )
    assert "Educational psychologist" in text(
        login(send_officer).get(reverse("funding:notices"), {"show": "all"})
    )

    # Only once.
    response = senco.post(reverse("funding:notice_start", args=[notice.pk]), follow=True)
    assert "already a request" in text(response)
    assert FundingRequest.objects.count() == 1


def test_notices_through_the_api(senco_a, senco_b, send_officer, finance_officer, stream):
    month = next_month()
    answer = api(senco_a).post(
        API,
        {"stream": stream.pk, "pupil_initials": "ab", "year_group": "7",
         "expected_month": month.replace(day=15).isoformat(),
         "reports_awaited": "Speech and language therapist"},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 201, answer.json()
    notice = answer.json()
    assert (notice["pupil_initials"], notice["expected_month"], notice["request"]) == (
        "AB", month.isoformat(), None)  # fmt: skip

    assert [n["id"] for n in api(send_officer).get(API).json()["results"]] == [notice["id"]]
    assert api(senco_b).get(API).json()["results"] == []
    assert api(finance_officer).get(API).json()["results"] == []
    assert api(senco_b).post(f"{API}{notice['id']}/start/").status_code == 404
    assert api(send_officer).post(f"{API}{notice['id']}/start/").status_code == 404
    assert api(send_officer).post(API, {}, format="json").status_code == 403

    started = api(senco_a).post(f"{API}{notice['id']}/start/")
    assert started.status_code == 201
    assert (started.json()["state"], started.json()["pupil_initials"]) == ("draft", "AB")
    assert api(senco_a).get(f"{API}{notice['id']}/").json()["request"] == started.json()["id"]
    again = api(senco_a).post(f"{API}{notice['id']}/start/")
    assert again.status_code == 409 and "already a request" in again.json()["detail"]


def test_bad_notices_are_refused_through_the_api_and_nothing_is_kept(senco_a, stream):
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    answer = api(senco_a).post(
        API,
        {"stream": stream.pk, "pupil_initials": "Jo Smith", "year_group": "99",
         "expected_month": last_month.isoformat(), "reports_awaited": "   "},
        format="json",
    )  # fmt: skip
    assert answer.status_code == 400
    errors = answer.json()
    assert errors["pupil_initials"] == ["Enter initials as 1 to 3 letters, like AB."]
    assert "this month or later" in errors["expected_month"][0]
    assert set(errors) >= {"year_group", "reports_awaited"}
    assert not IntentionNotice.objects.exists()


def test_a_notice_whose_draft_was_deleted_can_be_started_again(senco_a, stream, login):
    from funding import services

    notice = services.give_notice(
        user=senco_a, school=senco_a.memberships.get().school, stream=stream,
        pupil_initials="DD", year_group="2", expected_month=next_month(),
        reports_awaited="Occupational therapist",
    )  # fmt: skip
    first = services.start_request_from_notice(notice, user=senco_a)
    services.delete_draft(first, user=senco_a)
    senco = login(senco_a)
    assert "Not yet" in text(senco.get(reverse("funding:notices")))
    response = senco.post(reverse("funding:notice_start", args=[notice.pk]))
    second = FundingRequest.objects.get()
    assert second != first and response.url == reverse("funding:tasks", args=[second.pk])
    notice.refresh_from_db()
    assert notice.request == second
