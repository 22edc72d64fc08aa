from portal.dashboards import Section

from .policy import can_use_reports
from .selectors import latest_runs


def sections(request, scope) -> list[Section]:
    if not scope.user_id or not can_use_reports(request.user):
        return []
    return [
        Section(
            title="Inclusiveness and fair-share reports",
            template="reports/dashboard_section.html",
            context={"runs": latest_runs(request.user)},
            order=70,
        )
    ]
