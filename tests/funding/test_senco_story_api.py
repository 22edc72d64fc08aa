"""The same story through the API, with the same rules."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from funding.models import FundingRequest

URL = "/api/v1/requests/"


@pytest.fixture
def api():
    def _api(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return _api


def complete_payload(stream, **overrides):
    today = timezone.localdate()
    payload = {
        "stream": stream.pk,
        "request_type": "individual",
        "pupil_initials": "AB",
        "year_group": "5",
        "sex": "F",
        "primary_need": "ASD",
        "secondary_need": "SLCN",
        "sen_support_since": str(today - timedelta(days=300)),
        "ordinarily_available_provision": "Visual timetable, ear defenders",
        "agencies_involved": "Autism outreach",
        "outcomes_sought": "Attends full days",
        "start_date": str(today + timedelta(days=7)),
        "end_date": str(today + timedelta(days=7 + 7 * 30)),
        "parental_consent": True,
        "consent_date": str(today),
        "parent_voice": "Mornings are hard",
        "pupil_voice": "I like lego club",
        "cycles": [
            {
                "assess": "Sensory profile",
                "plan": "Movement breaks",
                "duration_weeks": 10,
                "impact": "Calmer mornings",
            },
        ],  # fmt: skip
        "provision_lines": [
            {
                "description": "TA support",
                "hours_per_week": "12",
                "weeks": "30",
                "hourly_rate": "25.00",
            },
        ],  # fmt: skip
    }
    payload.update(overrides)
    return payload


def test_senco_drafts_submits_is_returned_and_resubmits_through_the_api(
    senco_a, send_officer, stream, api
):
    senco = api(senco_a)
    # A first visit: a partial draft.
    response = senco.post(
        URL, {"stream": stream.pk, "pupil_initials": "ab", "year_group": "5"}, format="json"
    )
    assert response.status_code == 201, response.data
    pk = response.data["id"]
    assert response.data["state"] == "draft"
    assert response.data["pupil_initials"] == "AB"
    assert "Select the primary need" in response.data["missing"]["needs"]

    refused = senco.post(f"{URL}{pk}/submit/", {}, format="json")
    assert refused.status_code == 400
    assert "not complete" in refused.data["detail"]

    # A second visit completes it; the totals are computed, not typed.
    body = complete_payload(stream)
    body.pop("stream")
    response = senco.patch(f"{URL}{pk}/", body, format="json")
    assert response.status_code == 200, response.data
    assert response.data["total_cost"] == "9000.00"  # 12 h x 30 weeks x £25
    assert response.data["school_contribution"] == "6000.00"
    assert response.data["amount_requested"] == "3000.00"
    assert "submit" in response.data["actions"]

    response = senco.post(f"{URL}{pk}/submit/", {}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == "submitted"
    assert response.data["reference"].startswith("ENG-")
    again = senco.post(f"{URL}{pk}/submit/", {}, format="json")
    assert again.status_code == 400 and "submitted" in again.data["detail"]

    officer = api(send_officer)
    queue = officer.get(URL, {"state": "submitted"})
    assert [r["id"] for r in queue.data["results"]] == [pk]
    assert officer.post(f"{URL}{pk}/return/", {}, format="json").status_code == 400
    response = officer.post(f"{URL}{pk}/return/", {"message": "Add the EP report"}, format="json")
    assert response.data["state"] == "returned"

    # The SENCO answers and resubmits.
    response = senco.patch(
        f"{URL}{pk}/", {"agencies_involved": "Autism outreach; EP (report attached)"}, format="json"
    )
    assert response.status_code == 200
    assert senco.post(f"{URL}{pk}/resubmit/", {}, format="json").status_code == 400
    response = senco.post(f"{URL}{pk}/resubmit/", {"message": "EP report added"}, format="json")
    assert response.data["state"] == "submitted"

    response = officer.post(f"{URL}{pk}/triage/", {}, format="json")
    assert response.data["state"] == "ready"
    timeline = senco.get(f"{URL}{pk}/timeline/").data
    assert [e["kind"] for e in timeline] == ["created", "submit", "return", "resubmit", "triage"]
    assert timeline[2]["message"] == "Add the EP report"

    # A ready request can no longer be edited by the school, but can be withdrawn.
    assert senco.patch(f"{URL}{pk}/", {"pupil_voice": "x"}, format="json").status_code == 400
    assert senco.post(f"{URL}{pk}/withdraw/", {}, format="json").status_code == 400
    response = senco.post(f"{URL}{pk}/withdraw/", {"message": "Moved school"}, format="json")
    assert response.data["state"] == "withdrawn"
    assert FundingRequest.objects.get(pk=pk).state == "withdrawn"


def test_the_api_validates_like_the_form(senco_a, stream, api):
    senco = api(senco_a)
    today = timezone.localdate()
    bad = complete_payload(
        stream, pupil_initials="John Smith", sen_support_since=str(today + timedelta(days=3))
    )
    response = senco.post(URL, bad, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"pupil_initials", "sen_support_since"}
    bad = complete_payload(
        stream,
        secondary_need="ASD",
        end_date=str(today),
        start_date=str(today + timedelta(days=10)),
    )
    response = senco.post(URL, bad, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"secondary_need", "end_date"}
    assert not FundingRequest.objects.exists()
    line = {"description": "x", "hours_per_week": "0", "weeks": "30", "hourly_rate": "20"}
    response = senco.post(URL, complete_payload(stream, provision_lines=[line]), format="json")
    assert response.status_code == 400 and "provision_lines" in response.data


def test_the_schema_documents_the_transitions(senco_a, api):
    schema = api(senco_a).get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for name in ("submit", "withdraw", "return", "resubmit", "triage"):
        assert f"/api/v1/requests/{{id}}/{name}/" in paths
