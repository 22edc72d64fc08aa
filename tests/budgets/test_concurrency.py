"""Racing decisions on one cluster budget never overspend it (PostgreSQL row locks).

Through the real decision path, nothing stubbed: three meetings of the cluster's panel
are open at once, each chair recording approvals with ``panels.services.record_decision``
(the real quorum, recusal and chair rules), while LA SEND officers confirm chair's
actions on urgent requests (``confirm_chairs_action``) — all released at the same moment.
The budget guard's row lock lets through only what the allocation covers, and every
refusal names the shortfall in pounds.
"""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from budgets import selectors
from budgets.models import EntryKind, LedgerEntry
from budgets.services import budget_for
from clusters.models import Role
from funding.models import FundingRequest
from panels import services
from panels.models import ChairsActionProposal, Decision, Meeting, ProposalStatus
from panels.services import PanelError
from tests.factories import (
    ClusterFactory,
    FundingRequestFactory,
    FundingStreamFactory,
    SchoolFactory,
    make_user,
)
from tests.panels.factories import build_panel, head_of_new_school, member

MEETINGS = 3
PER_MEETING = 6
CHAIRS_ACTIONS = 6
AWARD = Decimal("1000.00")
ROOM = Decimal("11500.00")  # room for 11 awards, and £500 over
FITS = 11
SHORT = "has £500.00 available; this award needs £1,000.00 — £500.00 short."

_refs = iter(range(1, 10**6))


def a_request(school, stream, **kw) -> FundingRequest:
    return FundingRequestFactory(
        school=school,
        stream=stream,
        state="ready",
        reference=f"RACE-2026-{next(_refs):05d}",
        submitted_at=timezone.now(),
        total_cost=AWARD + Decimal("6000.00"),
        school_contribution=Decimal("6000.00"),
        amount_requested=AWARD,
        **kw,
    )


def run_at_once(calls: dict[str, object]) -> dict[str, str]:
    """Run each call in its own thread and connection, released together."""
    barrier = threading.Barrier(len(calls))
    outcomes: dict[str, str] = {}

    def worker(key, fn) -> None:
        try:
            barrier.wait()
            fn()
            outcomes[key] = "approved"
        except PanelError as exc:
            outcomes[key] = f"refused ({exc.status}): {exc.message}"
        except Exception as exc:  # noqa: BLE001 -- any other failure must show in the test
            outcomes[key] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=item) for item in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    return outcomes


@pytest.mark.postgres
@pytest.mark.skipif(not settings.USING_POSTGRES, reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_meetings_and_chairs_actions_racing_on_one_budget_never_overspend_it():
    today = timezone.localdate()
    cluster = ClusterFactory()
    stream = FundingStreamFactory()
    budget = budget_for(cluster.pk, stream.pk)
    LedgerEntry.objects.create(
        budget=budget, kind=EntryKind.ALLOCATION, amount=ROOM, reason="Formula allocation"
    )
    officer = make_user(Role.LA_SEND_OFFICER, username="race_officer")
    heads = [head_of_new_school(cluster, f"race_head_{i}") for i in range(5)]
    panel = build_panel(cluster, officer, heads, start=today - timedelta(days=90))
    # Three meetings open at once (two left open from the days before) and one to come.
    held = [
        Meeting.objects.create(
            panel=panel,
            date=today - timedelta(days=d),
            closing_date=today - timedelta(days=d + 7),
        )
        for d in (2, 1, 0)
    ]
    Meeting.objects.create(
        panel=panel, date=today + timedelta(days=28), closing_date=today + timedelta(days=18)
    )
    services.rebalance_rota(panel, today=today - timedelta(days=3))
    # Requests from a school with nobody on the panel: nobody is recused.
    school = SchoolFactory(cluster=cluster)
    present = [member(panel, h) for h in heads]
    calls = {}
    for meeting in Meeting.objects.filter(pk__in=[m.pk for m in held]):
        items = [
            services.schedule_request(
                a_request(school, stream), by=officer, meeting=meeting, today=meeting.closing_date
            )
            for _ in range(PER_MEETING)
        ]
        services.open_meeting(meeting, by=officer, today=today)
        services.record_attendance(meeting, by=officer, present=present)
        chair = meeting.chair.user
        for item in items:
            calls[f"meeting {meeting.pk} item {item.pk}"] = lambda item=item, chair=chair: (
                services.record_decision(
                    item,
                    by=chair,
                    outcome="approved",
                    rationale="Two cycles with clear impact.",
                    review_date=today + timedelta(days=90),
                    today=today,
                )
            )
    # The rota's chair in post proposes chair's actions, each naming its own LA officer.
    rota_chair = Meeting.objects.get(pk=held[-1].pk).chair.user
    proposals = []
    for i in range(CHAIRS_ACTIONS):
        urgent = a_request(school, stream, request_type="urgent")
        named = make_user(Role.LA_SEND_OFFICER, username=f"race_officer_{i}")
        proposals.append(
            services.propose_chairs_action(
                urgent,
                by=rota_chair,
                officer=named,
                outcome="approved",
                rationale="Placement at risk this week.",
                review_date=today + timedelta(days=60),
                today=today,
            )
        )
    for p in proposals:
        calls[f"chair's action {p.pk}"] = lambda p=p: services.confirm_chairs_action(
            p, by=p.officer, today=today
        )

    outcomes = run_at_once(calls)

    assert len(outcomes) == len(calls) == MEETINGS * PER_MEETING + CHAIRS_ACTIONS
    approved = [k for k, o in outcomes.items() if o == "approved"]
    refused = [o for o in outcomes.values() if o.startswith("refused")]
    assert len(approved) == FITS, outcomes
    assert len(refused) == len(calls) - FITS, outcomes
    # Each refusal is a 409 that names the shortfall in pounds.
    assert all(o.startswith("refused (409): Not enough budget") and SHORT in o for o in refused)
    connection.close()

    totals = selectors.budget_totals(budget)
    assert totals.committed == AWARD * FITS <= totals.allocated
    assert totals.available == Decimal("500.00")
    # Every award left exactly one commitment, and a decision; every refusal nothing.
    awarded = FundingRequest.objects.filter(state="approved")
    assert awarded.count() == FITS
    commitments = LedgerEntry.objects.filter(budget=budget, kind=EntryKind.COMMITMENT)
    assert sorted(commitments.values_list("request_id", flat=True)) == sorted(
        awarded.values_list("pk", flat=True)
    )
    assert Decision.objects.filter(outcome="approved").count() == FITS
    # A chair's action refused for want of money is still the officer's to answer; one
    # confirmed was decided in the confirming officer's name.
    for p in ChairsActionProposal.objects.select_related("request", "decision"):
        if p.status == ProposalStatus.CONFIRMED:
            assert p.request.state == "approved" and p.decision.la_officer_id == p.officer_id
        else:
            assert p.status == ProposalStatus.AWAITING and p.request.state == "ready"
    waiting = FundingRequest.objects.filter(state__in=["on_agenda", "ready"])
    assert waiting.count() == len(refused)
