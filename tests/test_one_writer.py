# ruff: noqa: F811 -- the panel fixtures are imported, then asked for by name
"""The request has one writer: only ``funding.services`` writes requests and their timeline.

Two checks. A scan of the product's code for any write to ``FundingRequest`` or
``RequestEvent`` outside the funding app (a manager or queryset write, a construction,
a ``.save()`` on a request); and a story driven through the services of every app
(the decision, a reduced award, a pupil's move, the review, an appeal) in which every
row written to those tables must be written from ``funding/services.py``.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import signals
from django.db.models.query import QuerySet

from budgets import services as budget_services
from clusters.models import Role
from funding.models import FundingRequest, RequestEvent
from panels import services as panel_services
from panels.models import AppealOutcome, Outcome
from tests.factories import ClusterFactory, SchoolFactory, make_user
from tests.panels.conftest import (  # noqa: F401 -- the panel fixtures, shared
    chair_head,
    cluster,
    heads,
    meeting,
    panel,
    request_a,
    today,
)
from tests.panels.factories import fund, member, ready_request

ROOT = Path(__file__).resolve().parent.parent
# The product's apps other than funding (the one writer).
APPS = ("panels", "budgets", "reports", "clusters", "portal")
OWNED = {"FundingRequest", "RequestEvent"}
# Related managers that reach the owned tables from another model.
RELATED = {"events", "funding_requests"}
WRITES = {
    "create",
    "update",
    "bulk_create",
    "bulk_update",
    "get_or_create",
    "update_or_create",
    "delete",
}


def _product_files() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "migrations" in parts or "tests" in parts or path.name == "demo.py":
                continue
            yield path


def _root(node: ast.AST) -> ast.AST:
    """The start of a chain like ``FundingRequest.objects.filter(...).update``."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute | ast.Subscript):
            node = node.value
        else:
            return node


def _chain_names(node: ast.AST) -> set[str]:
    names = set()
    while isinstance(node, ast.Call | ast.Attribute | ast.Subscript):
        if isinstance(node, ast.Attribute):
            names.add(node.attr)
        node = node.func if isinstance(node, ast.Call) else node.value
    if isinstance(node, ast.Name):
        names.add(node.id)
    return names


class _Scan(ast.NodeVisitor):
    """Writes to the owned models; request variables are known by annotation or origin."""

    def __init__(self, label: str):
        self.label = label
        self.found: list[str] = []
        self.request_names: set[str] = set()

    def _hit(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.label}:{node.lineno}: {what}")

    def _is_owned_annotation(self, annotation: ast.AST | None) -> bool:
        return annotation is not None and bool(OWNED & _chain_names(annotation))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        outer = set(self.request_names)
        args = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]
        self.request_names |= {a.arg for a in args if self._is_owned_annotation(a.annotation)}
        self.generic_visit(node)
        self.request_names = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Assign(self, node: ast.Assign) -> None:
        root = _root(node.value)
        if isinstance(root, ast.Name) and root.id in OWNED:
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.request_names.add(target.id)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id in OWNED:
            self._hit(node, f"{func.id}(...) built outside funding.services")
        if isinstance(func, ast.Attribute):
            root = _root(func.value)
            chain = _chain_names(func.value)
            if func.attr in WRITES and (
                (isinstance(root, ast.Name) and root.id in OWNED) or chain & RELATED
            ):
                self._hit(node, f".{func.attr}() on {ast.unparse(func.value)[:60]}")
            if func.attr == "save" and (
                (isinstance(root, ast.Name) and root.id in self.request_names)
                or (isinstance(func.value, ast.Attribute) and func.value.attr == "request")
            ):
                self._hit(node, f".save() on {ast.unparse(func.value)}")
        self.generic_visit(node)


def writes_outside_funding(paths) -> list[str]:
    found = []
    for path in paths:
        scan = _Scan(str(path.relative_to(ROOT)))
        scan.visit(ast.parse(path.read_text(), filename=str(path)))
        found += scan.found
    return found


def test_no_module_outside_funding_writes_a_request_or_its_timeline():
    assert writes_outside_funding(_product_files()) == []


def test_the_scan_sees_each_kind_of_write(tmp_path):
    """The scan itself: each way of writing around funding.services is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "def f(fr: FundingRequest, decision):\n"
        "    FundingRequest.objects.filter(pk=1).update(amount_awarded=1)\n"
        "    RequestEvent.objects.create(request=fr, kind='x')\n"
        "    RequestEvent.objects.bulk_create([RequestEvent(request=fr)])\n"
        "    fr.save(update_fields=['state'])\n"
        "    decision.request.save()\n"
        "    fr.events.create(kind='x')\n"
        "    locked = FundingRequest.objects.select_for_update().get(pk=1)\n"
        "    locked.save()\n"
        "    FundingRequest.objects.filter(pk=1).exists()\n"
    )
    scan = _Scan(sample.name)
    scan.visit(ast.parse(sample.read_text()))
    assert [int(f.split(":")[1]) for f in scan.found] == [2, 3, 4, 4, 5, 6, 7, 9], scan.found


# --- at run time -----------------------------------------------------------------------

WRITER = ROOT / "funding" / "services.py"


def _writer() -> str:
    """The first frame of the product's own code that asked for the write."""
    for frame in inspect.stack()[2:]:
        path = Path(frame.filename).resolve()
        # "<string>" frames (xdist's execnet) resolve under the current directory: not code.
        if not path.is_file():
            continue
        if ROOT not in path.parents or ".venv" in path.parts or path == Path(__file__).resolve():
            continue
        if path.parts[len(ROOT.parts)] == "tests":
            continue
        return f"{path.relative_to(ROOT)}:{frame.lineno} ({frame.function})"
    return "the test itself"


@contextmanager
def writes_recorded(monkeypatch) -> Iterator[list[str]]:
    """Record who writes each owned row: saves (signals) and queryset writes alike."""
    writers: list[str] = []

    def on_save(sender, **kwargs):
        writers.append(_writer())

    def wrap(name):
        original = getattr(QuerySet, name)

        def recorded(self, *args, **kwargs):
            if self.model in (FundingRequest, RequestEvent):
                writers.append(_writer())
            return original(self, *args, **kwargs)

        monkeypatch.setattr(QuerySet, name, recorded)

    for name in ("update", "bulk_create", "bulk_update", "delete"):
        wrap(name)
    for model in (FundingRequest, RequestEvent):
        signals.pre_save.connect(on_save, sender=model, dispatch_uid=f"one-writer-{model}")
    try:
        yield writers
    finally:
        for model in (FundingRequest, RequestEvent):
            signals.pre_save.disconnect(sender=model, dispatch_uid=f"one-writer-{model}")


def _not_funding_services(writers: list[str]) -> list[str]:
    return [w for w in writers if not w.startswith("funding/services")]


@pytest.mark.django_db
def test_a_request_decided_reduced_moved_and_reviewed_is_written_only_by_funding(
    monkeypatch, panel, meeting, send_officer, finance_officer, request_a, heads, today
):
    elsewhere = SchoolFactory(cluster=ClusterFactory(), name="Elsewhere Primary")
    senco_there = make_user(Role.SENCO, school=elsewhere, username="senco_there")
    fund(elsewhere.cluster, request_a.stream)
    FundingRequest.objects.filter(pk=request_a.pk).update(start_date=today)  # starts today
    with writes_recorded(monkeypatch) as writers:
        item = panel_services.schedule_request(request_a, by=send_officer)
        panel_services.open_meeting(meeting, by=heads[0])
        panel_services.record_attendance(
            meeting, by=heads[0], present=[member(panel, h) for h in heads[:3]]
        )
        panel_services.record_decision(
            item,
            by=heads[0],
            outcome=Outcome.PARTIALLY_APPROVED,
            amount=Decimal("6000.00"),
            rationale="Good evidence; less support needed.",
            review_date=today + timedelta(days=30),
        )
        budget_services.reduce_award(
            request_a, Decimal("5000.00"), user=finance_officer, reason="Fewer sessions"
        )
        budget_services.move_pupil(
            request_a, elsewhere, user=send_officer, reason="Family moved away"
        )
        panel_services.activate_due(today=today)
        panel_services.reviews_due(today=today + timedelta(days=30))
        panel_services.report_outcomes(
            FundingRequest.objects.get(pk=request_a.pk),
            by=senco_there,
            result="met",
            evidence="Reads at age level.",
            amount_spent=Decimal("0"),
        )
    fr = FundingRequest.objects.get(pk=request_a.pk)
    assert (fr.state, fr.amount_awarded, fr.school) == ("closed", Decimal("5000.00"), elsewhere)
    assert {"award_reduced", "pupil_moved", "close"} <= set(
        fr.events.values_list("kind", flat=True)
    )
    assert writers and _not_funding_services(writers) == []


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", [AppealOutcome.UPHELD, AppealOutcome.DISMISSED])
def test_an_appeal_is_written_only_by_funding(
    monkeypatch, panel, meeting, send_officer, school_a, today, outcome
):
    fr = ready_request(school_a, state="declined", reconsideration_used=True)
    with writes_recorded(monkeypatch) as writers:
        panel_services.record_appeal(
            fr, by=send_officer, outcome=outcome, notes="Heard in full.", heard_on=today
        )
    assert fr.events.filter(kind__startswith="appeal_").exists()
    assert writers and _not_funding_services(writers) == []


@pytest.mark.django_db
def test_the_run_time_check_sees_a_write_from_another_app(monkeypatch, school_a):
    """The recorder itself: a write made from outside funding.services is named."""
    make_user(Role.SENCO, school=school_a, username="senco_w")
    fr = ready_request(school_a)
    with writes_recorded(monkeypatch) as writers:
        FundingRequest.objects.filter(pk=fr.pk).update(amount_awarded=1)
    # Made from this test module, so it names no product frame.
    assert writers == ["the test itself"]
