"""Finding things from the header of every page: requests and schools, scoped to the user.

One query for the requests and one for the schools, whatever the size of the county
(``tests/portal/test_search.py`` asserts it at two sizes). The rows start from the
apps' own scoped selectors (``funding.selectors.visible_requests``,
``clusters.selectors.visible_schools``), so a search never finds what the user could
not open. On PostgreSQL, school names also match by trigram word similarity (a typo,
a missing word) with a GIN trigram index (``portal/migrations/0002_trigram.py``); on
SQLite a plain ``icontains`` is enough for a demo county.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

from clusters.models import School
from clusters.selectors import visible_schools
from funding.models import FundingRequest
from funding.selectors import visible_requests

from .roles import scope_for

LIMIT = 25
QUERY_MAX = 100

_INITIALS = re.compile(r"^[A-Za-z]{1,4}$")
_URN = re.compile(r"^\d{5,7}$")


@dataclass
class Results:
    query: str
    requests: list[FundingRequest] = field(default_factory=list)
    schools: list[School] = field(default_factory=list)
    more_requests: bool = False
    more_schools: bool = False

    @property
    def empty(self) -> bool:
        return not self.requests and not self.schools


def clean_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:QUERY_MAX]


def _schools_matching(qs: QuerySet[School], q: str) -> QuerySet[School]:
    match = Q(name__icontains=q)
    if _URN.match(q):
        match |= Q(urn=int(q))
    if settings.USING_POSTGRES and not q.isdigit():
        # ``name %> q``: a near match on a word of the name, through the trigram index.
        match |= Q(name__trigram_word_similar=q)
    return qs.filter(match)


def search(user: AbstractBaseUser, raw: str | None) -> Results:
    """What ``raw`` finds among the requests and schools ``user`` may open."""
    q = clean_query(raw)
    results = Results(query=q)
    if len(q) < 2:
        return results
    scope = scope_for(user)

    # The schools named, as a subquery of the requests' one statement.
    named = _schools_matching(School.objects.all(), q).values("pk")
    match = Q(reference__icontains=q) | Q(school_id__in=named)
    if scope.sees_pupil_detail and _INITIALS.match(q):
        match |= Q(pupil_initials__iexact=q)
    rows = list(visible_requests(user).filter(match).order_by("-submitted_at", "-pk")[: LIMIT + 1])
    results.requests, results.more_requests = rows[:LIMIT], len(rows) > LIMIT

    schools = _schools_matching(visible_schools(user).select_related("cluster"), q)
    rows = list(schools.order_by("name", "pk")[: LIMIT + 1])
    results.schools, results.more_schools = rows[:LIMIT], len(rows) > LIMIT
    return results


if settings.USING_POSTGRES:
    from django.contrib.postgres.lookups import TrigramWordSimilar
    from django.db.models import CharField

    CharField.register_lookup(TrigramWordSimilar)
