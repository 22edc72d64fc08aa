"""Supporting documents in an S3-compatible object store: a real server (moto's server
mode, another process; tests/objectstore.py), private, streamed through the checked
view only; a store that is down refuses the upload in plain English and changes nothing."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import FundingRequest, RequestDocument, RequestEvent
from portal.storage import UNAVAILABLE_DOWNLOAD_MESSAGE, UNAVAILABLE_MESSAGE
from tests import objectstore

from .factories import PDF, draft_request
from .helpers import text as raw_text
from .test_documents import upload

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(raw_text(response))


def test_a_senco_uploads_to_the_object_store_and_only_the_scoped_view_serves_it(
    object_store, senco_a, senco_b, stream, login, tmp_path
):
    fr = draft_request(senco_a)
    client = login(senco_a)
    response = upload(client, fr, "plan.pdf", PDF)
    assert response.status_code == 302, text(response)

    document = RequestDocument.objects.get()
    # In the bucket under its random name, not on this node's disk.
    assert object_store.names() == [document.file.name]
    assert object_store.read(document.file.name) == PDF
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]
    # Private: only the owner (the portal's key) has any grant; nothing public.
    grants = object_store.grants(document.file.name)
    assert all("AllUsers" not in g and "AuthenticatedUsers" not in g for g in grants), grants

    download = client.get(reverse("funding:download", args=[fr.pk, document.pk]))
    assert download.status_code == 200
    assert download.streaming, "streamed, not read whole into the web node"
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Length"] == str(len(PDF))
    assert download["Content-Type"] == "application/pdf"
    assert download["Cache-Control"] == "private, no-store"
    assert 'filename="plan.pdf"' in download["Content-Disposition"]

    # Another school's SENCO: not found, as before.
    other = login(senco_b).get(reverse("funding:download", args=[fr.pk, document.pk]))
    assert other.status_code == 404


def test_a_removed_document_leaves_the_bucket(
    object_store, senco_a, stream, login, django_capture_on_commit_callbacks
):
    fr = draft_request(senco_a)
    client = login(senco_a)
    upload(client, fr, "plan.pdf", PDF)
    document = RequestDocument.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("funding:remove_document", args=[fr.pk, document.pk]))
    assert response.status_code == 302
    assert object_store.names() == []


def _unchanged(fr: FundingRequest) -> tuple:
    fr.refresh_from_db()
    return (fr.updated_at, fr.state)


@pytest.fixture
def store_down(settings):
    """The private storage pointed at an address where nothing answers."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": objectstore.s3_storage_setting("portal-down", objectstore.dead_endpoint()),
    }


def test_a_store_outage_during_upload_changes_nothing_and_says_try_again(
    store_down, senco_a, stream, login
):
    fr = draft_request(senco_a)
    before = _unchanged(fr)
    events = RequestEvent.objects.count()

    response = upload(login(senco_a), fr, "plan.pdf", PDF)

    assert response.status_code == 400
    page = text(response)
    assert UNAVAILABLE_MESSAGE in page
    assert "try again" in page
    assert RequestDocument.objects.count() == 0  # no orphan record
    assert RequestEvent.objects.count() == events
    assert _unchanged(fr) == before


def test_a_store_outage_through_the_api_answers_503_in_plain_english(
    store_down, senco_a, stream, password
):
    fr = draft_request(senco_a)
    before = _unchanged(fr)
    api = APIClient()
    api.login(username=senco_a.username, password=password)
    response = api.post(
        f"/api/v1/requests/{fr.pk}/documents/",
        {"kind": "support_plan", "file": SimpleUploadedFile("plan.pdf", PDF)},
        format="multipart",
    )
    assert response.status_code == 503, response.content
    assert response.json()["detail"] == UNAVAILABLE_MESSAGE
    assert RequestDocument.objects.count() == 0
    assert _unchanged(fr) == before


def test_the_store_stopping_between_two_uploads(senco_a, stream, login, settings):
    """The server itself stops: the next upload is refused, the first document is kept,
    and its download says the file cannot be opened just now."""
    server = objectstore.ObjectStoreServer().start()
    try:
        bucket = objectstore.Bucket("portal-stops", server.url).create()
        settings.STORAGES = {
            **settings.STORAGES,
            "private": objectstore.s3_storage_setting(bucket.name, server.url),
        }
        fr = draft_request(senco_a)
        client = login(senco_a)
        assert upload(client, fr, "first.pdf", PDF).status_code == 302
        first = RequestDocument.objects.get()
    finally:
        server.stop()

    before = _unchanged(fr)
    response = upload(client, fr, "second.pdf", PDF)
    assert response.status_code == 400
    assert UNAVAILABLE_MESSAGE in text(response)
    assert list(RequestDocument.objects.all()) == [first]
    assert _unchanged(fr) == before

    download = client.get(reverse("funding:download", args=[fr.pk, first.pk]))
    assert download.status_code == 503
    assert UNAVAILABLE_DOWNLOAD_MESSAGE in text(download)
