"""Property-based fuzzing of the API against its own OpenAPI schema (schemathesis).

The schema is the one the portal serves at /api/schema/ (built by drf-spectacular
in-process, so loading it needs no signed-in user); the calls go through the WSGI
app. Every operation is called with generated data (valid and invalid) as every
role of the demo county (SENCO, headteacher, panel member, a head on the panel,
LA SEND officer, LA finance officer, administrator), with path ids drawn both from
the generator and from the real objects of a two-cluster county, so the calls reach
real requests, meetings and budgets, inside and outside the user's scope.

What must hold for every call: no 5xx, a status code the schema documents for the
operation, and a body and content type that match what it documents for that code.
Deterministic (derandomized, a fixed number of examples, no example database) and
self-contained (every test builds its own county and app), so it runs the same in
any order and under pytest-xdist. Failures are collected (not shrunk) so one run
lists every broken operation and stays fast.
"""

from __future__ import annotations

import base64
import json
from functools import cache

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from budgets.models import LedgerEntry
from tests.factories import UserFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
EXAMPLES = 10  # per operation and user: ~600 calls a user, ~2 min for all roles on 2 cores
ROLES = ["senco_a", "head_a", "panel_a", "voter_a", "send_officer", "finance_officer", "admin"]


@cache
def served_schema() -> str:
    """The schema /api/schema/ serves, as JSON text (immutable, so safe to reuse)."""
    generator = SchemaGenerator()
    return OpenApiJsonRenderer().render(generator.get_schema(request=None, public=True)).decode()


@pytest.fixture
def schema(wsgi_app):
    loaded = schemathesis.openapi.from_dict(json.loads(served_schema()))
    loaded.app = wsgi_app
    return loaded


@pytest.fixture
def wsgi_app():
    """The real WSGI app. Like Django's test client, keep the request signals from
    closing the test's database connection (it holds the test's transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def known_ids(world) -> dict[str, list]:
    """Real ids by the first path segment of the operation, both clusters'."""
    sides = (world.a, world.b)
    return {
        "agenda-items": [i for s in sides for i in (s.open_item.pk, s.decided_item.pk)],
        "budgets": [s.budget.pk for s in sides],
        "clusters": [s.cluster.pk for s in sides],
        "decisions": [s.decision.pk for s in sides],
        "districts": [s.cluster.district_id for s in sides],
        "ledger": list(LedgerEntry.objects.values_list("pk", flat=True)[:6]),
        "meetings": [m for s in sides for m in (s.past_meeting.pk, s.next_meeting.pk)],
        "panels": [s.panel.pk for s in sides],
        "report-runs": [s.report.pk for s in sides],
        "request-money": [s.decided.pk for s in sides],
        "requests": [
            r for s in sides for r in (s.draft.pk, s.submitted.pk, s.decided.pk, s.scheduled.pk)
        ],
        "schools": [s.school.urn for s in sides],
        "streams": [world.a.decided.stream_id],
    }


def strategy_for(operation, ids: dict[str, list]):
    """Valid cases (generated ids and real ones) and invalid ones aimed at real objects.

    Invalid data goes in the query and the body only: an invalid id (``1.5``, text)
    matches no route at all, and Django's URL resolver answers 404 before the API.
    """
    segment = operation.path.split("/")[3]
    params = [p for p in ("id", "urn") if "{" + p + "}" in operation.path]
    strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
    if not params:
        strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    for value in ids.get(segment, []) if params else []:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append(
                operation.as_strategy(generation_mode=mode, path_parameters={params[0]: value})
            )
    return st.one_of(*strategies)


def basic(user, password) -> dict[str, str]:
    token = base64.b64encode(f"{user.username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def fuzz_operation(operation, ids: dict[str, list], headers: dict[str, str]) -> str | None:
    """The first check failure of this operation's generated calls, if any."""
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy_for(operation, ids))
    def call(case):
        if found:
            return
        try:
            response = case.call(headers=headers)  # re-raises the app's own exception
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (
            Exception,
            FailureGroup,
        ) as exc:  # a check failure, or the server's exception (a 500)
            found.append(f"{type(exc).__name__}: {str(exc)[:1500]}")

    call()
    return found[0] if found else None


def fuzz(schema, world, user) -> dict[str, str]:
    headers = basic(user, world.password)
    ids = known_ids(world)
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        failure = fuzz_operation(operation, ids, headers)
        if failure:
            failures[label] = failure
    return failures


def user_for(world, who: str):
    if who == "admin":
        return UserFactory(username="admin", is_staff=True, is_superuser=True)
    return world.user(who)


@pytest.mark.parametrize("who", ROLES)
def test_every_operation_answers_without_a_server_error_and_as_documented(schema, world, who):
    # Bounded by EXAMPLES (not by a wall-clock limit, which flakes on a busy CI worker).
    failures = fuzz(schema, world, user_for(world, who))
    assert not failures, "\n\n".join(f"{op}:\n{message}" for op, message in failures.items())


def test_the_schema_documents_every_api_route(schema):
    """Each /api/v1/ route the URLconf serves is in the schema (nothing undocumented)."""
    documented = {op.ok().path for op in schema.get_all_operations()}
    assert len(documented) >= 30
    assert all(path.startswith("/api/v1/") for path in documented)
