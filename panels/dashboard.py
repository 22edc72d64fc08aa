"""Dashboard sections: the panel meetings a member sits on or chairs, what the LA must
schedule, and reviews a school owes."""

from __future__ import annotations

from django.http import HttpRequest

from portal.dashboards import Section
from portal.roles import Scope

from . import selectors


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    found = []
    meetings = selectors.meetings_for_dashboard(request.user)
    urgent = selectors.urgent_awaiting_chair(request.user) if meetings else []
    if meetings or scope.is_send_officer:
        found.append(
            Section(
                "Panel meetings",
                "panels/dashboard_section.html",
                {
                    "meetings": meetings,
                    "user_id": request.user.pk,
                    "urgent": urgent,
                    "waiting": selectors.schedulable_requests(request.user).count()
                    if scope.is_send_officer
                    else None,
                },
                order=20,
            )
        )
    if scope.is_school_staff:
        due = selectors.reviews_owed(request.user)
        if due:
            found.append(
                Section("Reviews due", "panels/dashboard_reviews.html", {"due": due}, order=15)
            )
    return found
