"""A declined request may be reconsidered once, with new evidence: by page and by API."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import RequestDocument
from portal.models import Notification

from .factories import PDF, decline, declined_request, submitted_request
from .helpers import text
from .test_documents import stored_files


def reconsider(client, fr, **data):
    return client.post(reverse("funding:reconsider", args=[fr.pk]), data)


def test_a_senco_asks_once_for_reconsideration_with_new_evidence_and_a_report(
    senco_a, send_officer, stream, login, django_capture_on_commit_callbacks
):
    fr = declined_request(senco_a)
    reference = fr.reference
    senco = login(senco_a)

    # The declined request offers the reconsideration.
    page = text(senco.get(reverse("funding:detail", args=[fr.pk])))
    assert "Ask for reconsideration with new evidence" in page
    assert reverse("funding:reconsider", args=[fr.pk]) in page
    page = text(senco.get(reverse("funding:reconsider", args=[fr.pk])))
    assert "You can only ask for reconsideration once" in page

    # The new evidence is required.
    response = reconsider(senco, fr, message="", kind="assessment")
    assert response.status_code == 400 and "Enter the new evidence" in text(response)
    fr.refresh_from_db()
    assert (fr.state, fr.reconsideration_used) == ("declined", False)

    with django_capture_on_commit_callbacks(execute=True):
        response = reconsider(
            senco,
            fr,
            message="The EP's report of 3 March shows needs well above ordinarily available.",
            kind="assessment",
            file=SimpleUploadedFile("ep-report.pdf", PDF),
        )
    assert response.status_code == 302, text(response)
    assert response.url == reverse("funding:detail", args=[fr.pk])
    fr.refresh_from_db()
    assert (fr.state, fr.reconsideration_used, fr.reference) == ("submitted", True, reference)
    document = RequestDocument.objects.get(request=fr)
    assert (document.original_name, document.kind) == ("ep-report.pdf", "assessment")
    event = fr.events.get(kind="reconsider")
    assert (event.from_state, event.to_state, event.actor) == ("declined", "submitted", senco_a)
    assert "EP's report of 3 March" in event.message
    # The LA hears of it, and it is back in the triage queue.
    assert Notification.objects.filter(
        user=send_officer, subject__contains="Reconsideration asked for"
    ).exists()
    assert reference in text(login(send_officer).get(reverse("funding:triage")))

    # Declined again by the panel: the school cannot ask a second time.
    decline(fr)
    page = text(senco.get(reverse("funding:detail", args=[fr.pk])))
    assert reverse("funding:reconsider", args=[fr.pk]) not in page
    assert "reconsidered once already" in page
    page = text(senco.get(reverse("funding:reconsider", args=[fr.pk])))
    assert "already been reconsidered once" in page
    response = reconsider(senco, fr, message="Another report.", kind="assessment")
    assert response.status_code == 400
    assert "already been reconsidered once" in text(response)
    fr.refresh_from_db()
    assert fr.state == "declined"
    assert fr.events.filter(kind="reconsider").count() == 1


def test_a_refused_document_leaves_the_declined_request_as_it_was(senco_a, stream, login):
    fr = declined_request(senco_a)
    response = reconsider(
        login(senco_a),
        fr,
        message="New report attached.",
        kind="assessment",
        file=SimpleUploadedFile("report.pdf", b"this is not a pdf"),
    )
    assert response.status_code == 400
    assert "must be a PDF, DOCX, XLSX, PNG or JPEG" in text(response)
    fr.refresh_from_db()
    assert (fr.state, fr.reconsideration_used) == ("declined", False)
    assert not RequestDocument.objects.exists() and stored_files() == []


def test_an_oversize_report_is_refused_as_it_arrives(senco_a, stream, login, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    fr = declined_request(senco_a)
    response = reconsider(
        login(senco_a),
        fr,
        message="New report attached.",
        kind="assessment",
        file=SimpleUploadedFile("report.pdf", PDF + b"0" * 5000),
    )
    assert response.status_code == 400
    assert "The file must be smaller than" in text(response)
    fr.refresh_from_db()
    assert (fr.state, fr.reconsideration_used) == ("declined", False)
    assert not RequestDocument.objects.exists() and stored_files() == []


def test_only_the_school_and_only_a_declined_request(senco_a, senco_b, send_officer, stream, login):
    fr = declined_request(senco_a)
    assert login(senco_b).get(reverse("funding:reconsider", args=[fr.pk])).status_code == 404
    officer = login(send_officer)
    assert officer.get(reverse("funding:reconsider", args=[fr.pk])).status_code == 404
    assert "Ask for reconsideration" not in text(
        officer.get(reverse("funding:detail", args=[fr.pk]))
    )
    waiting = submitted_request(senco_a)
    response = reconsider(login(senco_a), waiting, message="More evidence.", kind="other")
    assert response.status_code == 400
    assert "only a declined request can be reconsidered" in text(response)
    waiting.refresh_from_db()
    assert waiting.state == "submitted"


def test_reconsideration_through_the_api(senco_a, senco_b, send_officer, stream):
    fr = declined_request(senco_a)
    url = f"/api/v1/requests/{fr.pk}/reconsider/"
    api = APIClient()
    api.force_authenticate(senco_a)

    response = api.post(url, {"message": ""}, format="json")
    assert response.status_code == 400 and "message" in response.data
    other = APIClient()
    other.force_authenticate(senco_b)
    assert other.post(url, {"message": "x"}, format="json").status_code == 404
    officer = APIClient()
    officer.force_authenticate(send_officer)
    response = officer.post(url, {"message": "x"}, format="json")
    assert response.status_code == 400 and "cannot" in response.data["detail"]

    response = api.post(
        url,
        {"message": "New EP report.", "kind": "assessment",
         "file": SimpleUploadedFile("ep.pdf", PDF)},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 200, response.data
    assert response.data["state"] == "submitted"
    fr.refresh_from_db()
    assert fr.reconsideration_used
    assert fr.documents.get().original_name == "ep.pdf"

    decline(fr)
    response = api.post(url, {"message": "Yet more evidence."}, format="json")
    assert response.status_code == 400
    assert "already been reconsidered once" in response.data["detail"]
    fr.refresh_from_db()
    assert fr.state == "declined"


def test_the_api_refuses_an_oversize_report(senco_a, stream, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    fr = declined_request(senco_a)
    api = APIClient()
    api.force_authenticate(senco_a)
    response = api.post(
        f"/api/v1/requests/{fr.pk}/reconsider/",
        {"message": "New report.", "file": SimpleUploadedFile("ep.pdf", PDF + b"0" * 5000)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.data["detail"].startswith("The file must be smaller than")
    fr.refresh_from_db()
    assert (fr.state, fr.reconsideration_used) == ("declined", False)
    assert stored_files() == []
