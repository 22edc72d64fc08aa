"""Dashboard sections: the panel meetings a member sits on or chairs, what the LA must
schedule, and reviews a school owes."""

from __future__ import annotations

from django.http import HttpRequest

from portal.dashboards import Section
from portal.roles import Scope

from . import policy, selectors


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    found = []
    meetings = selectors.meetings_for_dashboard(request.user)
    urgent = selectors.urgent_awaiting_chair(request.user) if meetings else []
    officer = policy.can_manage_panels(request.user)
    if meetings or officer:
        found.append(
            Section(
                "Panel meetings",
                "panels/dashboard_section.html",
                {
                    "meetings": meetings,
                    "urgent": urgent,
                    "to_answer": selectors.proposals_to_answer(request.user) if officer else [],
                    "waiting": selectors.schedulable_requests(request.user).count()
                    if officer
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
