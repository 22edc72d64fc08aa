"""The LA SEND officer schedules many ready requests onto one meeting from one page,
filtered by cluster, stream and need: all of them or none, warned when the meeting's
chair is from a requesting school; the page costs the same queries at 2 and 25."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding.models import FundingRequest
from panels.models import AgendaItem

from .factories import ready_request
from .test_api import api
from .test_pages import signed_in


def state_of(fr) -> str:
    return FundingRequest.objects.get(pk=fr.pk).state


@pytest.mark.django_db
def test_the_officer_filters_selects_many_and_schedules_them_in_one_action(
    client, panel, meeting, next_meeting, heads, send_officer, request_a, request_d
):
    chairs_own = ready_request(next_meeting.chair.school, primary_need="ASD")
    FundingRequest.objects.filter(pk=request_d.pk).update(primary_need="ASD")
    signed_in(client, send_officer)
    # Linked from where officers schedule one at a time.
    assert 'data-testid="schedule-many-link"' in client.get(reverse("panels:schedule")).text
    url = reverse("panels:schedule_many")
    page = client.get(url, {"cluster": panel.cluster_id, "need": "ASD"})
    assert page.status_code == 200
    assert chairs_own.reference in page.text and request_d.reference in page.text
    assert request_a.reference not in page.text  # another need

    done = client.post(
        f"{url}?cluster={panel.cluster_id}&need=ASD",
        {"requests": [request_d.pk, chairs_own.pk], "meeting": next_meeting.pk},
        follow=True,
    )
    assert done.status_code == 200 and "2 requests are on the agenda" in done.text
    assert [i.request_id for i in next_meeting.items.order_by("order")] == [
        request_d.pk,
        chairs_own.pk,
    ]
    assert state_of(request_d) == state_of(chairs_own) == "on_agenda"
    # Where the meeting's chair is from the requesting school: the single-request warning.
    chair_school = next_meeting.chair.school_id
    for fr in (request_d, chairs_own):
        warned = f"{fr.reference}: The chair" in done.text
        assert warned == (fr.school_id == chair_school), fr.reference
    assert "is recused from this item" in done.text


@pytest.mark.django_db
def test_one_request_that_cannot_go_on_the_meeting_stops_them_all(
    client, panel, meeting, next_meeting, send_officer, request_a, request_d, school_b
):
    elsewhere = ready_request(school_b)  # another cluster: no panel of its own
    signed_in(client, send_officer)
    refused = client.post(
        reverse("panels:schedule_many"),
        {"requests": [request_a.pk, elsewhere.pk, request_d.pk], "meeting": next_meeting.pk},
    )
    assert refused.status_code == 200 and "There is a problem" in refused.text
    error = refused.text.split('data-testid="bulk-error"', 1)[1].split("</li>", 1)[0]
    assert "Nothing was scheduled" in error and elsewhere.reference in error
    assert request_a.reference not in error
    assert not AgendaItem.objects.filter(meeting=next_meeting).exists()
    assert {state_of(f) for f in (request_a, request_d, elsewhere)} == {"ready"}
    # Nothing chosen, or no meeting: said plainly.
    none = client.post(reverse("panels:schedule_many"), {"meeting": next_meeting.pk})
    assert "Choose at least one request" in none.text
    no_meeting = client.post(reverse("panels:schedule_many"), {"requests": [request_a.pk]})
    assert "Choose the meeting" in no_meeting.text


@pytest.mark.django_db
def test_the_api_lists_and_schedules_many_all_or_none(
    panel, meeting, next_meeting, heads, send_officer, request_a, request_d, school_b
):
    listed = api(send_officer).get(
        "/api/v1/agenda-items/schedulable/", {"cluster": panel.cluster_id}
    )
    assert listed.status_code == 200
    assert {r["reference"] for r in listed.json()} == {request_a.reference, request_d.reference}
    assert api(heads[0]).get("/api/v1/agenda-items/schedulable/").status_code == 403

    elsewhere = ready_request(school_b)
    body = {"requests": [request_a.pk, elsewhere.pk], "meeting": next_meeting.pk}
    refused = api(send_officer).post("/api/v1/agenda-items/schedule-many/", body, format="json")
    assert refused.status_code == 400 and elsewhere.reference in refused.json()["detail"]
    assert state_of(request_a) == "ready"
    assert api(heads[0]).post(
        "/api/v1/agenda-items/schedule-many/",
        {"requests": [request_a.pk], "meeting": next_meeting.pk},
        format="json",
    ).status_code in (400, 404)

    body = {"requests": [request_a.pk, request_d.pk], "meeting": next_meeting.pk}
    done = api(send_officer).post("/api/v1/agenda-items/schedule-many/", body, format="json")
    assert done.status_code == 201, done.json()
    assert [i["request"] for i in done.json()["items"]] == [request_a.pk, request_d.pk]
    assert state_of(request_a) == state_of(request_d) == "on_agenda"


def _count(client, url) -> int:
    client.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_page_costs_the_same_queries_at_2_and_25_requests(
    client, panel, meeting, next_meeting, send_officer, heads, django_assert_max_num_queries
):
    schools = [h.memberships.get().school for h in heads]
    for i in range(2):
        ready_request(schools[i % 4])
    signed_in(client, send_officer)
    url = reverse("panels:schedule_many")
    small = _count(client, url)
    for i in range(23):
        ready_request(schools[i % 4])
    assert FundingRequest.objects.filter(state="ready").count() == 25
    with django_assert_max_num_queries(small):
        page = client.get(url)
    assert page.text.count('name="requests"') == 25
