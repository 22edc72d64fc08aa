"""Every rule a request must meet, each with the message the SENCO reads."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Phase
from funding import services
from funding.models import FundingRequest, NeedBand, ProvisionLine
from funding.services import EditError, TransitionError

from .factories import draft_request, submitted_request
from .helpers import date_fields, text

TODAY = timezone.localdate


def post_section(client, fr, name, data):
    return client.post(reverse(f"funding:{name}", args=[fr.pk]), {**data, "save_draft": "1"})


# --- The form sections refuse bad input, field by field --------------------------------


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"request_type": "individual", "pupil_initials": "John Smith"}, "pupil_initials",
         "Enter initials as 1 to 3 letters"),
        ({"request_type": "individual", "pupil_initials": "A1"}, "pupil_initials",
         "Enter initials as 1 to 3 letters"),
        ({"request_type": "individual", "pupil_initials": "Anna"}, "pupil_initials",
         "Enter initials as 1 to 3 letters"),
        ({"request_type": "group", "number_of_pupils": "1"}, "number_of_pupils",
         "A group request is for at least 2 pupils"),
        ({"request_type": "individual", "number_of_pupils": "0"}, "number_of_pupils",
         "between 1 and 500"),
        ({"request_type": ""}, "request_type", "Select the kind of request"),
    ],
)  # fmt: skip
def test_the_pupil_section_refuses(senco_a, stream, login, data, field, message):
    fr = draft_request(senco_a, pupil_initials="AB")
    response = post_section(login(senco_a), fr, "pupil", data)
    assert response.status_code == 400
    assert message in text(response)
    assert "govuk-error-summary" in text(response)
    fr.refresh_from_db()
    assert fr.pupil_initials == "AB"  # nothing saved


def test_the_needs_section_refuses_a_repeated_need_a_future_date_and_a_foreign_band(
    senco_a, stream, login
):
    fr = draft_request(senco_a)
    band = NeedBand.objects.create(need="ASD", band=2, descriptor="Moderate")
    client = login(senco_a)
    response = post_section(
        client, fr, "needs",
        {"primary_need": "SEMH", "secondary_need": "SEMH", "band": band.pk,
         **date_fields("sen_support_since", TODAY() + timedelta(days=1)),
         "ordinarily_available_provision": "x", "agencies_involved": "x"},
    )  # fmt: skip
    page = text(response)
    assert response.status_code == 400
    assert "The secondary need must differ from the primary need" in page
    assert "Choose a band for the primary need" in page
    assert "must be today or in the past" in page
    response = post_section(
        client, fr, "needs",
        {"primary_need": "SEMH", **date_fields("sen_support_since", None),
         "sen_support_since_0": "31", "sen_support_since_1": "2", "sen_support_since_2": "2025"},
    )  # fmt: skip
    assert response.status_code == 400


def test_the_provision_section_refuses_bad_lines_and_backwards_dates(senco_a, stream, login):
    fr = draft_request(senco_a)
    client = login(senco_a)
    url = reverse("funding:provision", args=[fr.pk])
    for line, message in [
        ({"line-hours_per_week": "0", "line-weeks": "10", "line-hourly_rate": "20"},
         "Hours a week must be more than 0"),
        ({"line-hours_per_week": "5", "line-weeks": "0", "line-hourly_rate": "20"},
         "Number of weeks must be more than 0"),
        ({"line-hours_per_week": "5", "line-weeks": "10", "line-hourly_rate": "-1"},
         "The hourly rate must be between £0.00 and £500.00"),
        ({"line-hours_per_week": "five", "line-weeks": "10", "line-hourly_rate": "20"},
         "Enter the hours a week as a number"),
    ]:  # fmt: skip
        response = client.post(url, {"line-description": "TA", **line, "add_line": "1"})
        assert message in text(response), message
    assert ProvisionLine.objects.filter(request=fr).count() == 1  # the factory's line only
    response = post_section(
        client, fr, "provision",
        {"outcomes_sought": "x", **date_fields("start_date", TODAY() + timedelta(days=30)),
         **date_fields("end_date", TODAY() + timedelta(days=10))},
    )  # fmt: skip
    assert "The end date must be on or after the start date" in text(response)


def test_the_consent_section_needs_a_date_with_consent_and_no_future_date(senco_a, stream, login):
    fr = draft_request(senco_a, parental_consent=False, consent_date=None)
    client = login(senco_a)
    response = post_section(
        client, fr, "consent", {"parental_consent": "on", **date_fields("consent_date", None)}
    )
    assert "Enter the date consent was given" in text(response)
    response = post_section(
        client, fr, "consent",
        {"parental_consent": "on", **date_fields("consent_date", TODAY() + timedelta(days=2))},
    )  # fmt: skip
    assert "The date of consent must be today or in the past" in text(response)
    response = post_section(client, fr, "consent", date_fields("consent_date", TODAY()))
    assert "Confirm consent, or remove the date" in text(response)
    fr.refresh_from_db()
    assert not fr.parental_consent


# --- Submitting checks the stream's rules; a refused submit changes nothing ----------


def refused(fr, user, contains):
    with pytest.raises(TransitionError) as exc:
        services.submit_request(fr, user=user)
    assert contains in exc.value.message
    fr.refresh_from_db()
    assert fr.state == "draft" and fr.reference is None and fr.submitted_at is None
    assert not fr.events.filter(kind="submit").exists()


def test_submit_refuses_a_phase_the_stream_does_not_fund(senco_a, stream):
    school = senco_a.memberships.get().school
    school.phase = Phase.SPECIAL
    school.save()
    refused(draft_request(senco_a), senco_a, "not open to special schools")


def test_submit_refuses_more_than_the_maximum_award(senco_a, stream):
    fr = draft_request(senco_a)
    services.save_provision_line(
        fr, user=senco_a, description="Outreach", hours_per_week=Decimal("30"),
        weeks=Decimal("30"), hourly_rate=Decimal("50"),
    )  # fmt: skip
    refused(fr, senco_a, "more than the Exceptional Needs Grant maximum of £15,000.00")


def test_submit_refuses_nothing_to_ask_for(senco_a, stream):
    fr = draft_request(senco_a)
    fr.provision_lines.update(hours_per_week=Decimal("1"))  # £750, within the school's £6,000
    services._recalculate(fr)
    refused(fr, senco_a, "nothing to ask for")


def test_submit_refuses_a_duration_over_the_maximum(senco_a, stream):
    start = TODAY() + timedelta(days=7)
    fr = draft_request(senco_a, start_date=start, end_date=start + timedelta(weeks=60))
    refused(fr, senco_a, "more than the Exceptional Needs Grant maximum of 52 weeks")


def test_submit_refuses_dates_in_the_past(senco_a, stream):
    fr = draft_request(
        senco_a,
        start_date=TODAY() - timedelta(days=90),
        end_date=TODAY() - timedelta(days=1),
    )
    refused(fr, senco_a, "The end date has already passed")


def test_submit_refuses_support_starting_before_sen_support(senco_a, stream):
    start = TODAY() + timedelta(days=7)
    fr = draft_request(senco_a, start_date=start, sen_support_since=start + timedelta(days=1))
    refused(fr, senco_a, "must be on SEN support before the provision starts")


def test_submit_refuses_without_consent(senco_a, stream):
    refused(
        draft_request(senco_a, parental_consent=False, consent_date=None, parent_voice=""),
        senco_a,
        "Record that the parent or carer has consented",
    )


def test_submit_refuses_a_closed_stream(senco_a, stream):
    fr = draft_request(senco_a)
    stream.is_open = False
    stream.save()
    refused(fr, senco_a, "closed to new requests")


def test_submit_refuses_without_an_apdr_cycle(senco_a, stream):
    refused(draft_request(senco_a, evidence=False), senco_a, "Add at least one assess-plan")


def test_a_group_pays_the_school_share_per_pupil(senco_a, stream):
    fr = draft_request(senco_a)
    services.update_request(
        fr, user=senco_a, request_type="group", number_of_pupils=2, project_summary="Nurture"
    )
    fr.refresh_from_db()
    # One line of £7,500; two pupils' £12,000 share covers it all.
    assert fr.school_contribution == Decimal("7500.00") and fr.amount_requested == 0


def test_a_project_needs_no_consent_and_has_no_per_pupil_share(senco_a, stream):
    fr = draft_request(senco_a, parental_consent=False, consent_date=None, parent_voice="")
    services.update_request(
        fr, user=senco_a, request_type="project", number_of_pupils=40,
        project_summary="A nurture base",
    )  # fmt: skip
    fr = services.submit_request(fr, user=senco_a)
    assert fr.state == "submitted" and fr.amount_requested == Decimal("7500.00")


# --- Illegal transitions and edits are refused, with a reason, changing nothing -------


def test_illegal_transitions_are_refused_with_a_clear_message(
    senco_a, senco_b, send_officer, stream
):
    fr = submitted_request(senco_a)
    with pytest.raises(TransitionError, match="submitted, so you cannot"):
        services.submit_request(fr, user=senco_a)
    with pytest.raises(TransitionError, match="You cannot"):
        services.triage_request(fr, user=senco_a)  # only the LA triages
    with pytest.raises(TransitionError, match="You cannot"):
        services.withdraw_request(fr, user=senco_b, message="not mine")
    with pytest.raises(TransitionError, match="Enter a message"):
        services.return_request(fr, user=send_officer, message="   ")
    with pytest.raises(EditError, match="cannot be changed"):
        services.update_request(fr, user=senco_a, pupil_voice="changed")
    with pytest.raises(EditError, match="cannot be changed here"):
        services.update_request(fr, user=senco_a, amount_requested=Decimal("1"))
    fr.refresh_from_db()
    assert fr.state == "submitted"
    assert list(fr.events.values_list("kind", flat=True)) == ["submit"]


def test_a_withdrawn_request_stays_withdrawn(senco_a, send_officer, stream):
    fr = submitted_request(senco_a)
    services.withdraw_request(fr, user=senco_a, message="Pupil left")
    with pytest.raises(TransitionError, match="withdrawn"):
        services.triage_request(fr, user=send_officer)
    assert FundingRequest.objects.get(pk=fr.pk).state == "withdrawn"


def test_the_start_page_refuses_a_stream_the_school_cannot_use(senco_a, stream, login):
    stream.eligible_phases = ["secondary"]
    stream.save()
    response = login(senco_a).post(
        reverse("funding:start"),
        {"school": senco_a.memberships.get().school_id, "stream": stream.pk,
         "request_type": "individual"},
    )  # fmt: skip
    assert "Choose a fund that is open to your school" in text(response)
    assert not FundingRequest.objects.exists()


def test_submit_refuses_a_consent_dated_in_the_future(senco_a, stream):
    # The form refuses it too; the guard holds whatever path wrote it.
    refused(
        draft_request(senco_a, consent_date=TODAY() + timedelta(days=1)),
        senco_a,
        "The date of consent cannot be in the future",
    )


def test_submit_refuses_sen_support_dated_in_the_future(senco_a, stream):
    refused(
        draft_request(senco_a, sen_support_since=TODAY() + timedelta(days=1)),
        senco_a,
        "cannot be in the future",
    )


def test_a_cycle_lasts_between_1_and_104_weeks(senco_a, stream, login):
    fr = draft_request(senco_a, evidence=False)
    client = login(senco_a)
    for weeks in ("0", "105", "ten"):
        response = client.post(
            reverse("funding:evidence", args=[fr.pk]),
            {"assess": "a", "plan": "p", "duration_weeks": weeks, "impact": "i", "add": "1"},
        )
        assert response.status_code == 400 and "govuk-error-summary" in text(response), weeks
    assert not fr.cycles.exists()


def test_the_provision_cannot_end_in_the_past(senco_a, stream, login):
    fr = draft_request(senco_a)
    response = post_section(
        login(senco_a), fr, "provision",
        {"outcomes_sought": "x", **date_fields("start_date", TODAY() - timedelta(days=30)),
         **date_fields("end_date", TODAY() - timedelta(days=1))},
    )  # fmt: skip
    assert "The end date must be in the future" in text(response)
