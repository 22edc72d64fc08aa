"""Panels test data: a cluster panel of headteachers with a meeting today."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from budgets.models import EntryKind, LedgerEntry
from budgets.services import budget_for
from clusters.models import Role
from panels import services
from panels.models import Meeting, MemberRole, Panel, PanelMember
from tests.factories import (
    FundingRequestFactory,
    FundingStreamFactory,
    SchoolFactory,
    make_user,
)

_counter = iter(range(1, 1_000_000))


def fund(cluster, stream, amount: str = "100000.00") -> None:
    """Put money on the cluster's budget for this financial year (once)."""
    budget = budget_for(cluster.pk, stream.pk)
    if not LedgerEntry.objects.filter(budget=budget, kind=EntryKind.ALLOCATION).exists():
        LedgerEntry.objects.create(
            budget=budget, kind=EntryKind.ALLOCATION, amount=Decimal(amount), reason="Test pot"
        )


def ready_request(school, *, amount: str = "7500.00", **kw):
    """A request the LA has triaged as ready for panel, its cluster's budget funded."""
    n = next(_counter)
    stream = kw.pop("stream", None) or FundingStreamFactory()
    fund(school.cluster, stream)
    return FundingRequestFactory(
        stream=stream,
        school=school,
        state=kw.pop("state", "ready"),
        reference=f"ENG-2026-{n:05d}",
        submitted_at=timezone.now(),
        total_cost=Decimal(amount) + Decimal("6000.00"),
        school_contribution=Decimal("6000.00"),
        amount_requested=Decimal(amount),
        **kw,
    )


def head_of_new_school(cluster, name: str):
    school = SchoolFactory(cluster=cluster, name=f"{name.title()} School")
    return make_user(Role.HEADTEACHER, school=school, username=name)


def build_panel(
    cluster, officer, heads, *, extra_members: int = 0, start: date | None = None
) -> Panel:
    """A panel whose members join in the order given (the first chairs the first meeting)."""
    start = start or (timezone.localdate() - timedelta(days=60))
    panel = services.create_panel(cluster=cluster, by=officer)
    for head in heads:
        services.add_member(
            panel, by=officer, user=head, role=MemberRole.HEADTEACHER, start_date=start
        )
    for i in range(extra_members):
        user = make_user(Role.PANEL_MEMBER, cluster=cluster, username=f"ep{panel.pk}_{i}")
        services.add_member(
            panel,
            by=officer,
            user=user,
            role=MemberRole.EDUCATIONAL_PSYCHOLOGIST,
            voting=False,
            start_date=start,
        )
    return panel


def meeting_on(panel: Panel, day: date, *, closing: date | None = None) -> Meeting:
    meeting = Meeting.objects.create(panel=panel, date=day, closing_date=closing or day)
    services.rebalance_rota(panel)
    meeting.refresh_from_db()
    return meeting


def member(panel: Panel, user) -> PanelMember:
    return PanelMember.objects.get(panel=panel, user=user)
