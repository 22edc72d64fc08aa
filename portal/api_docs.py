"""/api/schema/ and /api/docs/: open while developing, for signed-in users otherwise.

``API_DOCS_PUBLIC`` (from the environment; on when DEBUG is) decides at request time,
like the other production switches. The docs page is Swagger UI served from
drf-spectacular-sidecar with its start-up script as a separate file, so it works under
the portal's Content Security Policy with no inline script or style.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission


def docs_open_to(user) -> bool:
    return settings.API_DOCS_PUBLIC or bool(user and user.is_authenticated)


class SignedInUnlessPublic(BasePermission):
    def has_permission(self, request, view) -> bool:
        return docs_open_to(request.user)


class SchemaView(SpectacularAPIView):
    permission_classes = [SignedInUnlessPublic]


class DocsView(SpectacularSwaggerSplitView):
    template_name = "portal/api_docs.html"
    url_name = "schema"


_docs_view = DocsView.as_view()


def docs(request, *args, **kwargs):
    """A person at a browser who is not signed in goes to the sign-in page, then back."""
    if not docs_open_to(request.user):
        return redirect_to_login(request.get_full_path())
    return _docs_view(request, *args, **kwargs)
