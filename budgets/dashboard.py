"""The budgets section of the landing dashboard (a constant number of queries)."""

from __future__ import annotations

from django.http import HttpRequest

from portal.dashboards import Section
from portal.roles import Scope

from . import policy, selectors


def sections(request: HttpRequest, scope: Scope) -> list[Section]:
    if policy.can_see_county_budgets(request.user):
        board = selectors.budget_board(scope)
        title = "County budgets"
    elif scope.cluster_ids:
        board = selectors.budget_board(scope, cluster_ids=sorted(scope.cluster_ids))
        title = "Your cluster's budget"
    else:
        return []
    return [
        Section(
            title=title,
            template="budgets/_section.html",
            context={"board": board, "cluster_ids": sorted(scope.cluster_ids)},
            order=30,
        )
    ]
