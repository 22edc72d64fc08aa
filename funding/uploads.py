"""Refusing an oversize document while it arrives, before any of it is kept.

Django's own handlers write an upload to memory or a temporary file and only
then would the service see its size. :class:`DocumentSizeLimit` sits first in
the request's upload handlers and drops the file as soon as it passes
``settings.DOCUMENT_MAX_BYTES``: the later handlers never get the rest, and
the part they already had is closed (a temporary file is deleted on close).
The rest of the request (the other fields) is still read, so the page can say
what happened.

Handlers must be installed before anything reads the body, which includes the
CSRF check: the page view is ``csrf_exempt`` and checks CSRF itself afterwards
(Django's documented pattern), the API installs it when the request starts.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


def too_big_message() -> str:
    return f"The file must be smaller than {settings.DOCUMENT_MAX_BYTES / (1024 * 1024):g} MB."


class DocumentSizeLimit(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None):
        super().__init__(request)
        self.max_bytes = settings.DOCUMENT_MAX_BYTES
        # Field names of files dropped for size.
        self.refused: list[str] = []

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        # When the client says how big the file is, not a byte of it need be kept. (Refused
        # at the first chunk, once every handler has started this file, so that closing
        # the handlers' files closes this one and not an earlier file of the request.)
        self.declared_too_big = content_length is not None and content_length > self.max_bytes

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if self.declared_too_big or start + len(raw_data) > self.max_bytes:
            self.refused.append(self.field_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        # The next handler (memory or temporary file) makes the uploaded file.
        return None


def limit_document_size(request: HttpRequest) -> DocumentSizeLimit:
    """Put the size limit first in this request's upload handlers (before the body is read)."""
    handler = DocumentSizeLimit(request)
    request.upload_handlers.insert(0, handler)
    return handler


def refused_for_size(request: HttpRequest) -> bool:
    """Whether a file in this request was dropped for its size (reads the body if need be)."""
    request.FILES  # noqa: B018 - the handlers only know once the body has been parsed
    return any(
        handler.refused
        for handler in request.upload_handlers
        if isinstance(handler, DocumentSizeLimit)
    )
