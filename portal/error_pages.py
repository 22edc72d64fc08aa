"""The portal's own 403, 404 and 500 pages even with DEBUG on (the embedded demo).

With DEBUG off Django already answers through ``handler403/404/500`` (``portal/urls.py``).
With DEBUG on it would show its technical pages (settings, tracebacks) to whoever is
trying the demo; this middleware answers with the real pages instead, and logs the
traceback where a developer reads it. ``FRIENDLY_ERROR_PAGES=false`` brings Django's
debug pages back for development.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from . import views

log = logging.getLogger("django.request")


class FriendlyErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def _active(self) -> bool:
        return settings.DEBUG and settings.FRIENDLY_ERROR_PAGES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            self._active()
            and response.status_code == 404
            and not getattr(response, "portal_page", False)
            and response.get("Content-Type", "").startswith("text/html")
        ):
            # An address no URL matches: Django's debug 404 page lists every URL pattern.
            return views.not_found(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not self._active():
            return None
        if isinstance(exception, Http404):
            return views.not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return views.forbidden(request, exception)
        log.error("Internal Server Error: %s", request.path, exc_info=exception)
        return views.server_error(request)
