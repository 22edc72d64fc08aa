"""No lost work: an edit based on an out-of-date version of a request is refused.

The SENCO has the draft open in two tabs (or a colleague has it open): whatever the
other saved first stays, the stale save answers 409 naming what differs, field by
field, with the user's own input still on the page, and nothing of it is saved.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from funding import services
from funding.models import FundingRequest, ProvisionLine, RequestDocument, ReviewCycle
from portal.versions import StaleVersion, changes, shown
from tests.funding.factories import PDF, draft_request, stored_document
from tests.funding.helpers import date_fields, text

pytestmark = pytest.mark.django_db


def snapshot(fr: FundingRequest) -> dict:
    """Everything a stale save could have touched."""
    fr = FundingRequest.objects.get(pk=fr.pk)
    return {
        "row": {f.attname: getattr(fr, f.attname) for f in fr._meta.concrete_fields},
        "lines": list(ProvisionLine.objects.filter(request=fr).values().order_by("pk")),
        "cycles": list(ReviewCycle.objects.filter(request=fr).values().order_by("pk")),
        "documents": list(RequestDocument.objects.filter(request=fr).values().order_by("pk")),
    }


def saved_meanwhile(fr: FundingRequest, user, **fields) -> FundingRequest:
    """The other tab saves first."""
    return services.update_request(fr, user=user, version=fr.version, **fields)


# --- The rule, in the service ------------------------------------------------------------


def test_every_save_moves_the_version_on_and_a_stale_one_is_refused_naming_the_change(senco_a):
    fr = draft_request(senco_a, pupil_initials="AB")
    assert fr.version == 1
    first = saved_meanwhile(fr, senco_a, pupil_initials="AA")
    assert first.version == 2
    before = snapshot(fr)
    with pytest.raises(StaleVersion) as refused:
        services.update_request(fr, user=senco_a, version=1, pupil_initials="TQ", year_group="4")
    exc = refused.value
    assert exc.status == 409 and (exc.based_on, exc.current) == (1, 2)
    # Only what differs is named: the year group the user sent is the one saved.
    assert [c.sentence for c in exc.changes] == [
        "Pupil initials: you entered TQ; saved meanwhile: AA"
    ]
    assert "Pupil initials: you entered TQ; saved meanwhile: AA" in exc.message
    assert snapshot(fr) == before
    # Keep mine: the same input on the saved version goes through.
    kept = services.update_request(fr, user=senco_a, version=2, pupil_initials="TQ")
    assert (kept.pupil_initials, kept.version) == ("TQ", 3)


def test_a_stale_save_of_exactly_what_is_saved_goes_through_as_it_loses_nothing(senco_a):
    fr = draft_request(senco_a, pupil_initials="AB")
    saved_meanwhile(fr, senco_a, pupil_initials="AA")
    again = services.update_request(fr, user=senco_a, version=1, pupil_initials="AA")
    assert (again.pupil_initials, again.version) == ("AA", 3)


def test_every_editing_service_checks_the_version_and_changes_nothing_when_stale(senco_a):
    fr = draft_request(senco_a)
    line = ProvisionLine.objects.filter(request=fr).first()
    cycle = ReviewCycle.objects.filter(request=fr).first()
    document = stored_document(fr, senco_a)
    saved_meanwhile(fr, senco_a, outcomes_sought="Reads a page aloud.")
    line_fields = {"description": "TA", "hours_per_week": Decimal("5"), "weeks": Decimal("10"),
                   "hourly_rate": Decimal("20.00")}  # fmt: skip
    cycle_fields = {"assess": "a", "plan": "p", "duration_weeks": 6, "impact": "i"}
    upload = SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf")
    stale = [
        lambda: services.save_provision_line(fr, user=senco_a, version=1, **line_fields),
        lambda: services.save_provision_line(fr, user=senco_a, line=line, version=1, **line_fields),
        lambda: services.remove_provision_line(fr, user=senco_a, line_id=line.pk, version=1),
        lambda: services.save_cycle(fr, user=senco_a, version=1, **cycle_fields),
        lambda: services.save_cycle(fr, user=senco_a, cycle=cycle, version=1, **cycle_fields),
        lambda: services.remove_cycle(fr, user=senco_a, cycle_id=cycle.pk, version=1),
        lambda: services.upload_document(fr, user=senco_a, upload=upload, kind="other", version=1),
        lambda: services.remove_document(fr, user=senco_a, document_id=document.pk, version=1),
        lambda: services.save_request(
            fr,
            user=senco_a,
            fields={"pupil_initials": "ZZ"},
            provision_lines=[line_fields],
            version=1,
        ),  # fmt: skip
    ]
    before = snapshot(fr)
    for save in stale:
        with pytest.raises(StaleVersion):
            save()
        assert snapshot(fr) == before


def test_a_stale_change_of_a_line_names_what_differs_from_the_line_as_saved(senco_a):
    fr = draft_request(senco_a)
    line = ProvisionLine.objects.filter(request=fr).first()
    fields = {"description": line.description, "hours_per_week": line.hours_per_week,
              "weeks": line.weeks, "hourly_rate": line.hourly_rate}  # fmt: skip
    services.save_provision_line(fr, user=senco_a, line=line, version=1,
                                 **{**fields, "weeks": Decimal("20")})  # fmt: skip
    with pytest.raises(StaleVersion) as refused:
        services.save_provision_line(fr, user=senco_a, line=line, version=1,
                                     **{**fields, "weeks": Decimal("38")})  # fmt: skip
    assert [(c.field, c.yours, c.saved) for c in refused.value.changes] == [("weeks", "38", "20")]


def test_a_state_change_moves_the_version_on_so_an_edit_from_before_it_is_refused(senco_a):
    fr = draft_request(senco_a)
    services.update_request(fr, user=senco_a, version=1, pupil_initials="CD")
    fr = services.submit_request(fr, user=senco_a)
    assert fr.version == 3


def test_values_are_shown_as_people_read_them(senco_a):
    fr = draft_request(senco_a, year_group="4", parental_consent=True)
    fr.consent_date = timezone.localdate().replace(year=2026, month=3, day=1)
    found = changes(fr, {"year_group": "R", "parental_consent": False, "consent_date": None})
    assert [(c.label, c.yours, c.saved) for c in found] == [
        ("Year group", "Reception", "Year 4"),
        ("Parental consent", "no", "yes"),
        ("Consent date", "nothing", "1 March 2026"),
    ]
    assert shown(Decimal("15.50")) == "15.5" and shown("") == "nothing"


# --- Pages -------------------------------------------------------------------------------

PUPIL = {"request_type": "individual", "pupil_initials": "TQ", "year_group": "4", "sex": "F",
         "number_of_pupils": "", "project_summary": "", "save_draft": "1"}  # fmt: skip


def test_the_second_tab_is_refused_with_both_values_and_the_users_input_kept(senco_a, login):
    fr = draft_request(senco_a, pupil_initials="AB")
    client = login(senco_a)
    url = reverse("funding:pupil", args=[fr.pk])
    page = text(client.get(url))
    assert 'name="version" value="1"' in page
    # Tab 1 saves AA; tab 2, opened at version 1, saves TQ.
    assert client.post(url, {**PUPIL, "pupil_initials": "AA", "version": "1"}).status_code == 302
    before = snapshot(fr)
    response = client.post(url, {**PUPIL, "version": "1"})
    assert response.status_code == 409
    body = text(response)
    assert "Someone else changed this request" in body
    assert "Pupil initials" in body and ">TQ<" in body and ">AA<" in body
    assert 'value="TQ"' in body  # the user's own input is still in the form
    assert 'name="version" value="2"' in body  # resubmitting keeps theirs on the new version
    assert "Keep mine" in body and "Take the saved version" in body
    assert snapshot(fr) == before
    assert response["Cache-Control"] == "no-store"
    # Keep mine: the conflict's form posts the same input on the saved version.
    kept = client.post(url, {**PUPIL, "version": "2"})
    assert kept.status_code == 302
    fr.refresh_from_db()
    assert fr.pupil_initials == "TQ"


def _page_edits(fr, client):
    """Every page that edits a request: (what, url, posted data without the version)."""
    today = timezone.localdate()
    line = ProvisionLine.objects.filter(request=fr).first()
    cycle = ReviewCycle.objects.filter(request=fr).first()
    document = RequestDocument.objects.filter(request=fr).first()
    url = lambda name, *a: reverse(f"funding:{name}", args=[fr.pk, *a])  # noqa: E731
    return [
        ("pupil", url("pupil"), PUPIL),
        ("needs", url("needs"), {"primary_need": "SEMH", "secondary_need": "SLCN",
                                 **date_fields("sen_support_since", today - timedelta(days=400)),
                                 "band": "", "ordinarily_available_provision": "Check-ins.",
                                 "agencies_involved": "EP", "continue": "1"}),
        ("provision dates", url("provision"), {"outcomes_sought": "Whole lessons",
                                               **date_fields("start_date", today + timedelta(14)),
                                               **date_fields("end_date", today + timedelta(200)),
                                               "save_draft": "1"}),
        ("consent", url("consent"), {"parental_consent": "on",
                                     **date_fields("consent_date", today),
                                     "parent_voice": "Lunchtimes", "pupil_voice": "Quiet room",
                                     "continue": "1"}),
        ("add line", url("provision"), {"line-description": "TA", "line-hours_per_week": "5",
                                        "line-weeks": "10", "line-hourly_rate": "20",
                                        "add_line": "1"}),
        ("add cost", url("provision"), {"cost-kind": "equipment", "cost-description": "Slope",
                                        "cost-amount": "86.40", "add_cost": "1"}),
        ("change line", url("edit_line", line.pk), {"description": "TA 1:1",
                                                    "hours_per_week": "12", "weeks": "30",
                                                    "hourly_rate": "25"}),
        ("remove line", url("remove_line", line.pk), {}),
        ("add cycle", url("evidence"), {"assess": "Boxall", "plan": "Nurture",
                                        "duration_weeks": "12", "impact": "Calmer"}),
        ("change cycle", url("cycle", cycle.pk), {"assess": "Boxall", "plan": "Nurture",
                                                  "duration_weeks": "12", "impact": "Calmer"}),
        ("remove cycle", url("remove_cycle", cycle.pk), {}),
        ("upload", url("documents"), {"kind": "other", "upload": "1",
                                      "file": SimpleUploadedFile("p.pdf", PDF)}),
        ("remove document", url("remove_document", document.pk), {}),
    ]  # fmt: skip


def test_every_editing_page_refuses_a_stale_version_with_409_and_changes_nothing(senco_a, login):
    fr = draft_request(senco_a)
    stored_document(fr, senco_a)
    client = login(senco_a)
    saved_meanwhile(fr, senco_a, agencies_involved="Outreach")
    before = snapshot(fr)
    for what, url, data in _page_edits(fr, client):
        if "file" in data:
            data["file"].seek(0)
        response = client.post(url, {**data, "version": "1"})
        assert response.status_code == 409, what
        assert "Someone else changed this request" in text(response), what
        assert snapshot(fr) == before, what


def test_every_editing_page_saves_on_the_current_version(senco_a, login):
    fr = draft_request(senco_a)
    stored_document(fr, senco_a)
    client = login(senco_a)
    for what, url, data in _page_edits(fr, client):
        version = FundingRequest.objects.get(pk=fr.pk).version
        response = client.post(url, {**data, "version": str(version)})
        assert response.status_code == 302, (what, text(response)[:3000])
        assert FundingRequest.objects.get(pk=fr.pk).version > version, what


def test_a_stale_funding_stream_edit_is_refused_by_the_page(send_officer, stream, login):
    client = login(send_officer)
    url = reverse("funding:stream_edit", args=[stream.pk])
    data = {"code": stream.code, "name": stream.name, "description": "", "max_award": "9000",
            "max_duration_weeks": "52", "eligible_phases": ["primary"], "is_open": "on"}  # fmt: skip
    assert client.post(url, {**data, "version": "1"}).status_code == 302
    response = client.post(url, {**data, "max_award": "12000", "version": "1"})
    assert response.status_code == 409
    body = text(response)
    assert "Someone else changed this funding stream" in body
    assert ">12000<" in body and ">9000<" in body
    stream.refresh_from_db()
    assert (stream.max_award, stream.version) == (Decimal("9000.00"), 2)


# --- API ---------------------------------------------------------------------------------


@pytest.fixture
def api():
    def _api(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


def test_the_api_gives_the_version_and_refuses_a_stale_one_with_409(senco_a, api):
    fr = draft_request(senco_a, pupil_initials="AB")
    client = api(senco_a)
    url = f"/api/v1/requests/{fr.pk}/"
    assert client.get(url).json()["version"] == 1
    first = client.patch(url, {"pupil_initials": "AA", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    before = snapshot(fr)
    stale = client.patch(
        url,
        {"pupil_initials": "TQ", "version": 1, "provision_lines": [
            {"description": "TA", "hours_per_week": "5", "weeks": "10", "hourly_rate": "20"}]},
        format="json",
    )  # fmt: skip
    assert stale.status_code == 409
    body = stale.json()
    assert body["saved_version"] == 2
    assert {"field": "pupil_initials", "label": "Pupil initials", "yours": "TQ",
            "saved": "AA"} in body["changes"]  # fmt: skip
    assert "Pupil initials: you entered TQ; saved meanwhile: AA" in body["detail"]
    assert snapshot(fr) == before


def test_a_stale_upload_through_the_api_is_refused_and_stores_nothing(senco_a, api):
    fr = draft_request(senco_a)
    saved_meanwhile(fr, senco_a, pupil_initials="AA")
    before = snapshot(fr)
    response = api(senco_a).post(
        f"/api/v1/requests/{fr.pk}/documents/",
        {"kind": "other", "file": SimpleUploadedFile("p.pdf", PDF), "version": 1},
        format="multipart",
    )
    assert response.status_code == 409
    assert snapshot(fr) == before


def test_the_schema_declares_the_version_and_the_409(senco_a, api):
    schema = api(senco_a).get("/api/schema/", {"format": "json"}).json()
    request = schema["components"]["schemas"]["Request"]["properties"]
    assert "version" in request and "409" in request["version"]["description"]
    patch = schema["paths"]["/api/v1/requests/{id}/"]["patch"]
    assert "409" in patch["responses"]
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert {"saved_version", "changes"} <= set(error)
