"""An oversize document is dropped as it arrives: never kept in a temporary file or stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from funding.models import RequestDocument

from .factories import PDF, draft_request
from .helpers import text
from .test_documents import stored_files


@pytest.fixture
def small_limit(settings, tmp_path):
    """A 4 KB document limit, and every upload spooled to a temporary directory we can see."""
    settings.DOCUMENT_MAX_BYTES = 4096
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # never in memory: always a temporary file
    temp_dir = tmp_path / "uploads"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    return temp_dir


@pytest.fixture
def spooled(monkeypatch):
    """How many bytes of each upload reached Django's temporary-file handler."""
    written: list[int] = []
    receive = TemporaryFileUploadHandler.receive_data_chunk

    def counting(self, raw_data, start):
        written.append(start + len(raw_data))
        return receive(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", counting)
    return written


def big_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("ep-report.pdf", PDF + b"0" * 200_000)


def test_a_senco_uploading_a_file_over_the_limit_is_told_and_nothing_is_kept(
    senco_a, stream, login, small_limit, spooled
):
    fr = draft_request(senco_a)
    client = login(senco_a)
    response = client.post(
        reverse("funding:documents", args=[fr.pk]),
        {"kind": "assessment", "file": big_pdf(), "upload": "1"},
    )
    assert response.status_code == 400
    page = text(response)
    assert "The file must be smaller than" in page
    assert "This field is required" not in page  # the size is the problem, not a missing file
    assert not RequestDocument.objects.exists()
    assert stored_files() == []
    assert list(small_limit.iterdir()) == []
    assert not fr.events.filter(kind="document_added").exists()
    # Dropped as it arrived: at most the limit ever reached a temporary file.
    assert max(spooled, default=0) <= 4096

    # A file within the limit still goes through the same page.
    response = client.post(
        reverse("funding:documents", args=[fr.pk]),
        {"kind": "assessment", "file": SimpleUploadedFile("ep.pdf", PDF), "upload": "1"},
    )
    assert response.status_code == 302
    assert RequestDocument.objects.get().original_name == "ep.pdf"
    assert list(small_limit.iterdir()) == []


def test_the_documents_page_still_checks_csrf(senco_a, stream, password, small_limit):
    fr = draft_request(senco_a)
    client = Client(enforce_csrf_checks=True)
    client.login(username="senco_a", password=password)
    response = client.post(
        reverse("funding:documents", args=[fr.pk]),
        {"kind": "other", "file": SimpleUploadedFile("ep.pdf", PDF), "upload": "1"},
    )
    assert response.status_code == 403
    assert not RequestDocument.objects.exists()


def test_the_api_refuses_an_oversize_document_with_a_clear_message(
    senco_a, stream, small_limit, spooled
):
    fr = draft_request(senco_a)
    api = APIClient()
    api.force_authenticate(senco_a)
    response = api.post(
        f"/api/v1/requests/{fr.pk}/documents/",
        {"kind": "assessment", "file": big_pdf()},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.data["detail"].startswith("The file must be smaller than")
    assert not RequestDocument.objects.exists()
    assert stored_files() == []
    assert list(small_limit.iterdir()) == []
    assert max(spooled, default=0) <= 4096


def test_the_api_with_a_session_checks_csrf_after_the_limit_is_installed(
    senco_a, stream, password, small_limit
):
    fr = draft_request(senco_a)
    api = APIClient(enforce_csrf_checks=True)
    api.login(username="senco_a", password=password)
    response = api.post(
        f"/api/v1/requests/{fr.pk}/documents/",
        {"kind": "assessment", "file": big_pdf()},
        format="multipart",
    )
    assert response.status_code == 403  # no CSRF token: refused before anything else
    assert list(small_limit.iterdir()) == [] and stored_files() == []
