"""Supporting documents: checked by content, kept privately, served only to those in scope."""

import io
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import RequestDocument

from .factories import PDF, PNG, draft_request
from .helpers import text


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    buffer = io.BytesIO()
    openpyxl.Workbook().save(buffer)
    return buffer.getvalue()


def stored_files() -> list[Path]:
    root = Path(settings.STORAGES["private"]["OPTIONS"]["location"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def upload(client, fr, name, content):
    return client.post(
        reverse("funding:documents", args=[fr.pk]),
        {"kind": "support_plan", "file": SimpleUploadedFile(name, content), "upload": "1"},
    )


# Contents are built in the test, not at collection: a DOCX or XLSX carries the time it
# was zipped, and xdist's workers must collect the same test ids.
@pytest.mark.parametrize(
    "name, make_content, mime",
    [
        ("plan.pdf", lambda: PDF, "application/pdf"),
        ("photo.PNG", lambda: PNG, "image/png"),
        ("photo.jpeg", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32, "image/jpeg"),
        ("report.docx", docx_bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("map.xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
    ids=["pdf", "png", "jpeg", "docx", "xlsx"],
)  # fmt: skip
def test_a_senco_uploads_each_allowed_type_and_downloads_it_back(
    senco_a, stream, login, name, make_content, mime
):
    content = make_content()
    fr = draft_request(senco_a)
    client = login(senco_a)
    response = upload(client, fr, name, content)
    assert response.status_code == 302, text(response)
    document = RequestDocument.objects.get()
    assert (document.original_name, document.content_type, document.size) == (
        name, mime, len(content))  # fmt: skip
    # Stored under a random name, not the one the user chose.
    assert name not in document.file.name
    download = client.get(reverse("funding:download", args=[fr.pk, document.pk]))
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == mime
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("plan.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "must be a PDF, DOCX, XLSX, PNG or JPEG"),
        ("plan.pdf", b"just some text, not a pdf at all", "must be a PDF, DOCX, XLSX, PNG or JPEG"),
        ("plan.pdf", PNG, "content is PNG but its name says otherwise"),
        ("notes.docx", b"PK\x03\x04" + b"\x00" * 100, "must be a PDF, DOCX, XLSX, PNG or JPEG"),
        ("empty.pdf", b"", "empty"),
    ],
    ids=["an-exe-named-pdf", "text-named-pdf", "png-named-pdf", "zip-named-docx", "empty"],
)  # fmt: skip
def test_a_file_whose_content_is_not_what_it_claims_is_refused(
    senco_a, stream, login, name, content, message
):
    fr = draft_request(senco_a)
    response = upload(login(senco_a), fr, name, content)
    assert response.status_code == 400
    assert message in text(response)
    assert not RequestDocument.objects.exists() and stored_files() == []


def test_an_oversize_upload_is_refused_without_being_stored(senco_a, stream, login, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    fr = draft_request(senco_a)
    response = upload(login(senco_a), fr, "big.pdf", PDF + b"0" * 2048)
    assert response.status_code == 400
    assert "must be smaller than" in text(response)
    assert not RequestDocument.objects.exists() and stored_files() == []


def test_documents_through_the_api_follow_the_same_rules(senco_a, senco_b, stream):
    fr = draft_request(senco_a)
    api = APIClient()
    api.force_authenticate(senco_a)
    url = f"/api/v1/requests/{fr.pk}/documents/"
    response = api.post(
        url, {"kind": "other", "file": SimpleUploadedFile("x.pdf", b"<html>")}, format="multipart"
    )
    assert response.status_code == 400 and "must be a PDF" in response.data["detail"]
    response = api.post(
        url, {"kind": "other", "file": SimpleUploadedFile("x.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 201
    assert api.get(url).data[0]["original_name"] == "x.pdf"
    other = APIClient()
    other.force_authenticate(senco_b)
    assert other.get(url).status_code == 404
    assert other.get(response.data["download_url"]).status_code == 302  # not signed in to pages


def test_a_document_can_be_removed_from_a_draft(
    senco_a, stream, login, django_capture_on_commit_callbacks
):
    fr = draft_request(senco_a)
    client = login(senco_a)
    upload(client, fr, "plan.pdf", PDF)
    document = RequestDocument.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("funding:remove_document", args=[fr.pk, document.pk]))
    assert not RequestDocument.objects.exists() and stored_files() == []
    assert list(fr.events.values_list("kind", flat=True)) == ["document_added", "document_removed"]
