"""The private storage: pupil documents and report files (docs/architecture.md §9).

Every model field and service reaches it through :func:`private_storage`, a proxy to
``STORAGES["private"]`` *as configured now*: the local filesystem in the embedded
default, an S3-compatible object store (django-storages) when ``STORAGE_S3_BUCKET`` is
set. Nothing is ever served from it directly: the checked views stream each file
(:func:`open_for_download`), so a file is only as visible as the row it belongs to.

An object store can be down while the database is up. Its failures become
:class:`StorageUnavailable`, a refusal in plain English (503): the service's
transaction rolls back, so an upload that could not be stored leaves no record.
"""

from __future__ import annotations

from typing import IO, Any

from django.core.files.storage import Storage, storages
from django.utils.deconstruct import deconstructible

from .errors import DomainError

UNAVAILABLE_MESSAGE = (
    "The portal's file store is not answering just now, so the file was not saved and "
    "nothing has changed. Please try again in a few minutes."
)
UNAVAILABLE_DOWNLOAD_MESSAGE = (
    "The portal's file store is not answering just now, so the file cannot be opened. "
    "Please try again in a few minutes."
)


class StorageUnavailable(DomainError):
    """The file store did not answer; nothing was stored (503, try again)."""

    status = 503


def _storage_errors() -> tuple[type[BaseException], ...]:
    """What a failing store raises: OSError (filesystem, sockets) and botocore's errors."""
    errors: list[type[BaseException]] = [OSError]
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - boto3 is a pinned dependency
        return tuple(errors)
    return (*errors, BotoCoreError, ClientError)


STORAGE_ERRORS = _storage_errors()


def _backend() -> Storage:
    return storages["private"]


@deconstructible(path="portal.storage.PrivateStorage")
class PrivateStorage(Storage):
    """Delegates every call to ``STORAGES["private"]`` as configured at the time of the
    call (a FileField binds its storage once, at import; settings may change after)."""

    def _open(self, name: str, mode: str = "rb"):
        return _backend().open(name, mode)

    def _save(self, name: str, content) -> str:
        return _backend().save(name, content)

    def save(self, name, content, max_length=None):
        return _backend().save(name, content, max_length=max_length)

    def open(self, name, mode="rb"):
        return _backend().open(name, mode)

    def generate_filename(self, filename):
        return _backend().generate_filename(filename)

    def get_available_name(self, name, max_length=None):
        return _backend().get_available_name(name, max_length=max_length)

    def get_valid_name(self, name):
        return _backend().get_valid_name(name)

    def delete(self, name):
        return _backend().delete(name)

    def exists(self, name):
        return _backend().exists(name)

    def listdir(self, path):
        return _backend().listdir(path)

    def size(self, name):
        return _backend().size(name)

    def url(self, name):
        return _backend().url(name)

    def path(self, name):
        return _backend().path(name)

    def get_modified_time(self, name):
        return _backend().get_modified_time(name)


_PRIVATE = PrivateStorage()


def private_storage() -> Storage:
    """Storage for pupil documents and report files; never served directly."""
    return _PRIVATE


def is_object_store() -> bool:
    """True when the private files live in an S3-compatible store."""
    return hasattr(_backend(), "bucket_name")


class _Stream:
    """A read-only stream of one stored object, read in chunks as the response is sent."""

    def __init__(self, body: Any):
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def close(self) -> None:
        self._body.close()


def open_for_download(name: str) -> tuple[IO[bytes], int | None]:
    """Open a stored file to stream it to the reader: the file and its size in bytes.

    On an object store the object's body is streamed as it arrives (never spooled to
    the web node's disk); raises :class:`StorageUnavailable` if the store is down.
    """
    backend = _backend()
    try:
        if is_object_store():
            from storages.utils import clean_name

            key = backend._normalize_name(clean_name(name))  # noqa: SLF001 - its own key rule
            answer = backend.connection.meta.client.get_object(Bucket=backend.bucket_name, Key=key)
            return _Stream(answer["Body"]), int(answer["ContentLength"])
        return backend.open(name, "rb"), backend.size(name)
    except STORAGE_ERRORS as exc:
        raise StorageUnavailable(UNAVAILABLE_DOWNLOAD_MESSAGE) from exc


def check() -> None:
    """Readiness: the store answers (a listing of its root). Raises on failure."""
    backend = _backend()
    if is_object_store():
        backend.connection.meta.client.head_bucket(Bucket=backend.bucket_name)
    else:
        backend.listdir("")


def download_response(name: str, *, filename: str, content_type: str):
    """A streamed attachment of a stored file, never cached; raises StorageUnavailable."""
    from django.http import FileResponse

    stream, size = open_for_download(name)
    response = FileResponse(
        stream, as_attachment=True, filename=filename, content_type=content_type
    )
    if size is not None:
        response["Content-Length"] = str(size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def unavailable_page(request):
    """The page a reader sees when the store is down (503, try again)."""
    from django.shortcuts import render

    return render(
        request,
        "portal/storage_unavailable.html",
        {"message": UNAVAILABLE_DOWNLOAD_MESSAGE},
        status=503,
    )
