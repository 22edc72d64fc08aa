"""Who sees what: another school's request is simply not there (404), everywhere."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from funding import selectors
from funding.models import FundingRequest
from portal.models import ViewAudit
from tests.text import has_word

from .factories import draft_request, stored_document, submitted_request


@pytest.fixture
def b_request(senco_b, stream):
    return submitted_request(senco_b)


def test_a_senco_of_school_a_gets_404_for_school_bs_request_everywhere(
    senco_a, senco_b, b_request, login
):
    doc = stored_document(b_request, senco_b)
    client = login(senco_a)
    for url in [
        reverse("funding:detail", args=[b_request.pk]),
        reverse("funding:timeline", args=[b_request.pk]),
        reverse("funding:tasks", args=[b_request.pk]),
        reverse("funding:pupil", args=[b_request.pk]),
        reverse("funding:check", args=[b_request.pk]),
        reverse("funding:download", args=[b_request.pk, doc.pk]),
        reverse("funding:action", args=[b_request.pk, "withdraw"]),
    ]:
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("funding:action", args=[b_request.pk, "withdraw"]), {"message": "x"}
    )
    assert response.status_code == 404
    b_request.refresh_from_db()
    assert b_request.state == "submitted"

    api = APIClient()
    api.force_authenticate(senco_a)
    base = f"/api/v1/requests/{b_request.pk}/"
    for url in [base, base + "timeline/", base + "documents/"]:
        assert api.get(url).status_code == 404, url
    assert api.patch(base, {"pupil_voice": "x"}, format="json").status_code == 404
    assert api.post(base + "withdraw/", {"message": "x"}, format="json").status_code == 404
    assert api.get("/api/v1/requests/").data["count"] == 0

    # Lists and exports leave school B's request out, whatever the filters.
    mine = draft_request(senco_a, pupil_initials="QQ")
    page = client.get(reverse("funding:list"), {"cluster": b_request.cluster_id}).content.decode()
    assert b_request.reference not in page
    export = b"".join(client.get(reverse("funding:export")).streaming_content).decode()
    assert b_request.reference not in export and has_word(export, "QQ")
    assert client.get(reverse("funding:triage")).status_code == 404
    assert mine.pk in selectors.visible_requests(senco_a).values_list("pk", flat=True)


def test_a_headteacher_sees_their_schools_requests(head_a, senco_a, stream, login):
    fr = submitted_request(senco_a)
    assert login(head_a).get(reverse("funding:detail", args=[fr.pk])).status_code == 200


def test_the_la_sees_submitted_requests_but_not_a_schools_drafts(
    senco_a, send_officer, stream, login
):
    draft = draft_request(senco_a)
    client = login(send_officer)
    assert client.get(reverse("funding:detail", args=[draft.pk])).status_code == 404
    submitted = submitted_request(senco_a)
    assert client.get(reverse("funding:detail", args=[submitted.pk])).status_code == 200


def test_a_finance_officer_sees_totals_and_no_pupil_fields(senco_a, finance_officer, stream, login):
    fr = submitted_request(
        senco_a, pupil_initials="ZQX", parent_voice="VOICE-OF-PARENT", primary_need="HI"
    )
    doc = stored_document(fr, senco_a)
    # The selector itself keeps pupil fields out of the row it loads.
    row = selectors.visible_requests(finance_officer).get(pk=fr.pk)
    assert set(selectors.PUPIL_FIELDS) - {"band"} <= row.get_deferred_fields()

    client = login(finance_officer)
    page = client.get(reverse("funding:detail", args=[fr.pk])).content.decode()
    assert fr.reference in page and "£" in page
    # Whole words: the page's random CSRF token may contain "ZQX" by chance.
    for private in ("ZQX", "VOICE-OF-PARENT", "Hearing"):
        assert not has_word(page, private), private
    listing = client.get(reverse("funding:list")).content.decode()
    assert fr.reference in listing and not has_word(listing, "ZQX")
    export = b"".join(client.get(reverse("funding:export")).streaming_content).decode()
    assert fr.reference in export and not has_word(export, "ZQX")
    assert "Pupil initials" not in export
    assert client.get(reverse("funding:download", args=[fr.pk, doc.pk])).status_code == 404
    # Filtering by need would reveal pupil detail: it is ignored.
    by_need = client.get(reverse("funding:list"), {"need": "ASD"}).content.decode()
    assert fr.reference in by_need

    api = APIClient()
    api.force_authenticate(finance_officer)
    data = api.get(f"/api/v1/requests/{fr.pk}/").data
    assert data["amount_requested"] == str(fr.amount_requested)
    assert not {"pupil_initials", "primary_need", "parent_voice", "cycles"} & set(data)
    listed = api.get("/api/v1/requests/").data["results"][0]
    assert "pupil_initials" not in listed
    assert api.get(f"/api/v1/requests/{fr.pk}/documents/").status_code == 404
    timeline = api.get(f"/api/v1/requests/{fr.pk}/timeline/").data
    assert all(e["message"] == "" for e in timeline)


def test_every_view_of_a_request_and_download_is_audited(senco_a, stream, login):
    fr = submitted_request(senco_a)
    doc = stored_document(fr, senco_a)
    client = login(senco_a)
    client.get(reverse("funding:detail", args=[fr.pk]))
    response = client.get(reverse("funding:download", args=[fr.pk, doc.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment")
    actions = set(ViewAudit.objects.filter(user=senco_a).values_list("action", flat=True))
    assert {"view", "download"} <= actions
    assert FundingRequest.objects.count() == 1


def test_an_id_filter_that_is_no_id_finds_nothing(senco_a, stream):
    from rest_framework.test import APIClient

    from .factories import draft_request

    fr = draft_request(senco_a)
    api = APIClient()
    api.force_authenticate(senco_a)
    assert api.get(f"/api/v1/requests/?stream={fr.stream_id}").json()["count"] == 1
    for value in ("1e30", "99999999999999999999999", "-1", "x"):
        response = api.get(f"/api/v1/requests/?stream={value}")
        assert response.status_code == 200 and response.json()["count"] == 0, value
