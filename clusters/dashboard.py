"""The clusters section of the landing dashboard."""

from __future__ import annotations

from django.http import HttpRequest

from portal.dashboards import Section
from portal.roles import Scope

from . import policy, selectors
from .models import academic_year_label


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    if policy.can_see_every_cluster(request.user):
        return [
            Section(
                title="Clusters and schools",
                template="clusters/dashboard_section.html",
                context={"summary": selectors.county_summary()},
                order=80,
            )
        ]
    if scope.cluster_ids:
        year = selectors.choose_year(None, selectors.stats_years())
        clusters = selectors.my_clusters(request.user, year)
        return [
            Section(
                title="Your cluster" if len(clusters) == 1 else "Your clusters",
                template="clusters/dashboard_section.html",
                context={
                    "clusters": clusters,
                    "year_label": academic_year_label(year) if year else "",
                },
                order=70,
            )
        ]
    return []
