"""The API: same scope and rules as the pages."""

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from funding.models import FundingRequest
from panels import services
from panels.models import ModerationView

from .factories import build_panel, head_of_new_school, member

VIEW = {
    "evidence_of_need": 3,
    "graduated_approach": 3,
    "likely_impact": 2,
    "value_for_money": 4,
    "recommendation": "approve",
    "comment": "Sound plan.",
}


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_the_panel_story_through_the_api(panel, meeting, heads, send_officer, request_a, today):
    chair, head_d, head_e, head_a = heads
    created = api(send_officer).post(
        "/api/v1/agenda-items/schedule/", {"request": request_a.pk}, format="json"
    )
    assert created.status_code == 201, created.json()
    item_id = created.json()["id"]

    agenda = api(head_d).get(f"/api/v1/meetings/{meeting.pk}/agenda/").json()
    assert [i["request"]["reference"] for i in agenda["items"]] == [request_a.reference]
    assert agenda["items"][0]["recused"][0]["name"] == member(panel, head_a).name
    assert (
        api(head_d).post(f"/api/v1/agenda-items/{item_id}/views/", VIEW, format="json").status_code
        == 201
    )

    # The recused head can neither read the views nor record one.
    assert api(head_a).get(f"/api/v1/agenda-items/{item_id}/views/").status_code == 404
    refused = api(head_a).post(f"/api/v1/agenda-items/{item_id}/views/", VIEW, format="json")
    assert refused.status_code == 400 and "recused" in refused.json()["detail"]
    # Moderation is independent: head_e sees nobody's scores until recording their own.
    blind = api(head_e).get(f"/api/v1/agenda-items/{item_id}/views/")
    assert blind.status_code == 403 and "Record your own view first" in blind.json()["detail"]
    api(head_e).post(
        f"/api/v1/agenda-items/{item_id}/views/", VIEW | {"comment": "Agree."}, format="json"
    )
    assert {
        v["comment"] for v in api(head_e).get(f"/api/v1/agenda-items/{item_id}/views/").json()
    } == {"Sound plan.", "Agree."}

    # Open, attend (inquorate), refused; attend (quorate), decide.
    chair_api = api(chair)
    assert chair_api.post(f"/api/v1/meetings/{meeting.pk}/open/").status_code == 200
    q = chair_api.post(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        {"present": [member(panel, chair).pk, member(panel, head_a).pk]},
        format="json",
    ).json()
    assert q["quorate"] is False
    decision = {
        "outcome": "partially_approved",
        "amount": "5000.00",
        "rationale": "The TA hours, not the resources.",
        "review_date": str(today + timedelta(days=100)),
    }
    refused = chair_api.post(f"/api/v1/agenda-items/{item_id}/decision/", decision, format="json")
    assert refused.status_code == 400 and "not quorate" in refused.json()["detail"]
    chair_api.post(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        {"present": [member(panel, h).pk for h in heads]},
        format="json",
    )
    # A recused member cannot decide either (they are not the chair, and are recused).
    assert (
        api(head_a)
        .post(f"/api/v1/agenda-items/{item_id}/decision/", decision, format="json")
        .status_code
        == 400
    )
    made = chair_api.post(f"/api/v1/agenda-items/{item_id}/decision/", decision, format="json")
    assert made.status_code == 201, made.json()
    fr = FundingRequest.objects.get(pk=request_a.pk)
    assert fr.state == "partially_approved" and str(fr.amount_awarded) == "5000.00"
    assert api(send_officer).get("/api/v1/decisions/").json()["count"] == 1


@pytest.mark.django_db
def test_the_api_is_scoped(
    panel, meeting, send_officer, request_d, school_b, finance_officer, senco_a
):
    item = services.schedule_request(request_d, by=send_officer)
    outsider = head_of_new_school(school_b.cluster, "outsider")
    build_panel(school_b.cluster, send_officer, [outsider])
    client = api(outsider)
    assert client.get(f"/api/v1/meetings/{meeting.pk}/").status_code == 404
    assert client.get(f"/api/v1/meetings/{meeting.pk}/agenda/").status_code == 404
    assert client.get(f"/api/v1/agenda-items/{item.pk}/").status_code == 404
    assert client.get(f"/api/v1/agenda-items/{item.pk}/views/").status_code == 404
    assert (
        client.post(f"/api/v1/agenda-items/{item.pk}/views/", VIEW, format="json").status_code
        == 404
    )
    assert [p["id"] for p in client.get("/api/v1/panels/").json()["results"]] != [panel.pk]
    assert api(senco_a).get("/api/v1/meetings/").json()["count"] == 0

    # Finance sees the agenda's totals, never pupil fields, and no moderation views.
    agenda = api(finance_officer).get(f"/api/v1/meetings/{meeting.pk}/agenda/").json()
    assert "pupil_initials" not in agenda["items"][0]["request"]
    assert api(finance_officer).get(f"/api/v1/agenda-items/{item.pk}/views/").status_code == 404
    assert not ModerationView.objects.exists()


@pytest.mark.django_db
def test_the_schema_documents_the_panel_endpoints(client, send_officer):
    client.force_login(send_officer)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    for path in ("/api/v1/meetings/{id}/agenda/", "/api/v1/agenda-items/{id}/decision/"):
        assert path in schema.text
