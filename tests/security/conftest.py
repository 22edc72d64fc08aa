"""A small two-cluster county for the security tests.

Cluster A and cluster B each have a school with a SENCO and a headteacher, a panel
of four heads (the school's head among them) and an educational psychologist, a
meeting held today (an item decided, the minutes published), a meeting to come
(an item on its agenda with a moderation view), a draft request with evidence,
costs and a document, a submitted request with a document, statistics and a
funded budget. Everything is built through the apps' own services where a user
would act, so the data looks like the demo county's.

The pupil of each request is written with markers (``QXA``, ``OUTCOME-SECRET-A``)
that must never reach someone outside the school, nor a finance officer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from budgets.models import ClusterBudget, EntryKind, LedgerEntry
from budgets.services import budget_for
from clusters.models import Role
from funding import services as funding_services
from funding.models import FundingRequest
from panels import services as panel_services
from panels.models import MemberRole
from reports.models import ReportKind, ReportRun, ScopeKind
from tests.factories import (
    ClusterFactory,
    FundingRequestFactory,
    FundingStreamFactory,
    SchoolFactory,
    SchoolYearStatsFactory,
    make_user,
)
from tests.funding.factories import stored_document
from tests.panels.factories import build_panel, meeting_on, member

User = get_user_model()

VIEW_SCORES = {
    "evidence_of_need": 3,
    "graduated_approach": 3,
    "likely_impact": 3,
    "value_for_money": 3,
}


def pupil(tag: str) -> dict:
    """Pupil fields carrying markers that identify the school they belong to."""
    return {
        "pupil_initials": f"QX{tag}",
        "outcomes_sought": f"OUTCOME-SECRET-{tag}",
        "parent_voice": f"PARENT-SECRET-{tag}",
        "pupil_voice": f"PUPIL-SECRET-{tag}",
        "ordinarily_available_provision": f"OAP-SECRET-{tag}",
    }


_refs = iter(range(1, 10**6))


def fund(cluster, stream, amount: str = "100000.00") -> None:
    """Money on the cluster's budget for this year, put there by the finance officer."""
    budget = budget_for(cluster.pk, stream.pk)
    if not LedgerEntry.objects.filter(budget=budget, kind=EntryKind.ALLOCATION).exists():
        LedgerEntry.objects.create(
            budget=budget,
            kind=EntryKind.ALLOCATION,
            amount=Decimal(amount),
            reason="Formula allocation",
            created_by=User.objects.get(username="finance_officer"),
        )


def ready(school, senco, tag: str) -> FundingRequest:
    """A request the LA has triaged as ready for panel (its own reference series, so it
    never collides with the references the services hand out)."""
    stream = FundingStreamFactory()
    fund(school.cluster, stream)
    return FundingRequestFactory(
        stream=stream,
        school=school,
        created_by=senco,
        state="ready",
        reference=f"SEC-2026-{next(_refs):05d}",
        submitted_at=timezone.now(),
        total_cost=Decimal("13500.00"),
        school_contribution=Decimal("6000.00"),
        amount_requested=Decimal("7500.00"),
        **pupil(tag),
    )


# Strings that only people allowed to see the pupil may read.
def secrets(tag: str) -> list[str]:
    return [v for k, v in pupil(tag).items() if k != "pupil_initials"]


@dataclass
class Side:
    """One cluster's people and things."""

    tag: str
    cluster: object = None
    school: object = None
    senco: object = None
    head: object = None
    chair: object = None
    voter: object = None  # a head on the panel, not recused from the open item
    ep: object = None  # a non-voting panel member with the PANEL_MEMBER role
    panel: object = None
    past_meeting: object = None
    next_meeting: object = None
    decided: object = None  # request decided at the past meeting
    decision: object = None
    decided_item: object = None
    open_item: object = None  # item on the next meeting's agenda
    scheduled: object = None  # its request
    draft: object = None
    draft_document: object = None
    submitted: object = None
    document: object = None
    budget: object = None
    member: object = None  # the EP's PanelMember row
    proposal: object = None  # a chair's action the chair proposed, awaiting the LA officer
    report: object = None
    extra: dict = field(default_factory=dict)


@dataclass
class World:
    a: Side
    b: Side
    send_officer: object
    finance_officer: object
    password: str
    # The data-protection officer: the view audit, nothing of the requests.
    dpo: object = None

    def user(self, key: str):
        """``senco_a``, ``head_b``, ``panel_b``, ``send_officer``, ``dpo``, ..."""
        if key in ("send_officer", "finance_officer", "dpo"):
            return getattr(self, key)
        role, tag = key.rsplit("_", 1)
        side = getattr(self, tag)
        return {"senco": side.senco, "head": side.head, "panel": side.ep, "voter": side.voter}[role]


def _side(tag: str, officer, today) -> Side:
    s = Side(tag=tag)
    s.cluster = ClusterFactory(name=f"Cluster {tag}")
    s.school = SchoolFactory(cluster=s.cluster, name=f"School {tag} Primary")
    SchoolYearStatsFactory(school=s.school)
    s.senco = make_user(Role.SENCO, school=s.school, username=f"senco_{tag.lower()}")
    s.head = make_user(Role.HEADTEACHER, school=s.school, username=f"head_{tag.lower()}")
    heads = []
    for name in ("chair", "voter", "third"):
        school = SchoolFactory(cluster=s.cluster, name=f"{name.title()} {tag} School")
        SchoolYearStatsFactory(school=school)
        heads.append(make_user(Role.HEADTEACHER, school=school, username=f"{name}_{tag.lower()}"))
    s.chair, s.voter = heads[0], heads[1]
    s.panel = build_panel(s.cluster, officer, [*heads, s.head])
    s.ep = make_user(Role.PANEL_MEMBER, cluster=s.cluster, username=f"panel_{tag.lower()}")
    s.member = panel_services.add_member(
        s.panel,
        by=officer,
        user=s.ep,
        role=MemberRole.EDUCATIONAL_PSYCHOLOGIST,
        voting=False,
        start_date=today - timedelta(days=60),
    )

    # Today's meeting: one request decided, the minutes published.
    s.past_meeting = meeting_on(s.panel, today)
    s.next_meeting = meeting_on(
        s.panel, today + timedelta(days=28), closing=today + timedelta(days=18)
    )
    s.decided = ready(s.school, s.senco, tag)
    s.decided_item = panel_services.schedule_request(s.decided, by=officer, meeting=s.past_meeting)
    chair = s.past_meeting.chair.user
    panel_services.open_meeting(s.past_meeting, by=chair)
    panel_services.record_attendance(
        s.past_meeting,
        by=chair,
        present=[member(s.panel, h) for h in [*heads, s.head]],
    )
    s.decision = panel_services.record_decision(
        s.decided_item,
        by=chair,
        outcome="approved",
        rationale=f"RATIONALE-{tag}: the plan is sound.",
        review_date=today + timedelta(days=120),
    )
    panel_services.close_meeting(s.past_meeting, by=chair)

    # The next meeting: a request on its agenda with one member's view.
    s.scheduled = ready(s.school, s.senco, tag)
    s.open_item = panel_services.schedule_request(s.scheduled, by=officer, meeting=s.next_meeting)
    panel_services.record_moderation(
        s.open_item, by=s.voter, scores=VIEW_SCORES, recommendation="approve", comment="Good."
    )

    # An urgent request the chair proposes to approve by chair's action (not yet confirmed).
    urgent = ready(s.school, s.senco, tag)
    FundingRequest.objects.filter(pk=urgent.pk).update(request_type="urgent")
    urgent.refresh_from_db()
    s.proposal = panel_services.propose_chairs_action(
        urgent,
        by=chair,
        officer=officer,
        outcome="approved",
        rationale=f"PROPOSAL-{tag}: the placement is at risk.",
        review_date=today + timedelta(days=120),
    )

    # A draft with evidence, costs and a document; a submitted request with a document.
    s.draft = FundingRequestFactory(school=s.school, created_by=s.senco, **pupil(tag))
    funding_services._recalculate(s.draft)
    s.draft.refresh_from_db()
    s.draft_document = stored_document(s.draft, s.senco)
    s.submitted = FundingRequestFactory(school=s.school, created_by=s.senco, **pupil(tag))
    funding_services._recalculate(s.submitted)
    s.submitted = funding_services.submit_request(s.submitted, user=s.senco)
    s.document = stored_document(s.submitted, s.senco)

    fund(s.cluster, s.decided.stream)
    s.budget = ClusterBudget.objects.get(cluster=s.cluster, stream=s.decided.stream)
    s.report = ReportRun.objects.create(
        kind=ReportKind.INCLUSIVENESS,
        scope_kind=ScopeKind.CLUSTER,
        cluster=s.cluster,
        academic_year=2025,
        requested_by=s.head,
    )
    return s


def build_world(password: str) -> World:
    today = timezone.localdate()
    finance = make_user(Role.LA_FINANCE_OFFICER, username="finance_officer")
    officer = make_user(Role.LA_SEND_OFFICER, username="send_officer")
    a = _side("A", officer, today)
    b = _side("B", officer, today)
    dpo = make_user(Role.DPO, username="dpo")
    return World(
        a=a, b=b, send_officer=officer, finance_officer=finance, password=password, dpo=dpo
    )


@pytest.fixture
def world(db, password) -> World:
    return build_world(password)
