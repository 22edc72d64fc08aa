"""The portal's own section of the landing page: the data-protection officer's audit."""

from __future__ import annotations

from django.http import HttpRequest

from . import policy
from .dashboards import Section
from .roles import Scope


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    if not policy.can_read_view_audit(request.user):
        return []
    return [Section(title="The view audit", template="portal/dashboard_audit.html", order=10)]
