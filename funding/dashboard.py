"""Dashboard sections: what a school must act on, and the LA's triage counts."""

from __future__ import annotations

from django.http import HttpRequest

from portal.dashboards import Section
from portal.roles import Scope

from . import policy, selectors


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    found = []
    if policy.can_start_request(request.user):
        found.append(
            Section(
                "Your requests",
                "funding/dashboard_school.html",
                {
                    "needing_action": selectors.needing_action(request.user),
                    "counts": selectors.school_request_counts(scope),
                },
                order=10,
            )
        )
    if policy.can_triage(request.user):
        found.append(
            Section(
                "Triage",
                "funding/dashboard_triage.html",
                {"counts": selectors.triage_counts()},
                order=10,
            )
        )
    return found
