"""Many panels approving at once on one budget never overspend it (PostgreSQL row lock)."""

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections

from budgets import selectors
from budgets.models import EntryKind, LedgerEntry
from funding.models import FundingRequest
from funding.services import TransitionError, apply_transition
from funding.workflow import Award

from .factories import allocate, request_on_agenda

APPROVALS = 60
AWARD = Decimal("1000.00")
ROOM = Decimal("23500.00")  # room for 23 awards, and £500 over


@pytest.mark.postgres
@pytest.mark.skipif(not settings.USING_POSTGRES, reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("panel_rules")
def test_sixty_concurrent_approvals_never_commit_more_than_the_allocation(budget_factory, chair):
    budget = budget_factory()
    allocate(budget, ROOM)
    requests = [request_on_agenda(budget) for _ in range(APPROVALS)]
    barrier = threading.Barrier(APPROVALS)
    outcomes: dict[int, str] = {}

    def decide(fr: FundingRequest) -> None:
        try:
            barrier.wait()
            apply_transition(
                fr, "approve", user=chair, message="Agreed", command=Award(amount=AWARD)
            )
            outcomes[fr.pk] = "approved"
        except TransitionError as exc:
            outcomes[fr.pk] = "refused: " + exc.message
        except Exception as exc:  # noqa: BLE001 -- any other failure must show in the test
            outcomes[fr.pk] = f"error: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(fr,)) for fr in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    approved = [pk for pk, o in outcomes.items() if o == "approved"]
    refused = [o for o in outcomes.values() if o.startswith("refused: Not enough budget")]
    assert len(outcomes) == APPROVALS
    assert len(approved) == 23, outcomes
    assert len(refused) == APPROVALS - 23, outcomes
    connection.close()
    # Every approval left exactly one commitment; every refusal left nothing.
    commitments = LedgerEntry.objects.filter(budget=budget, kind=EntryKind.COMMITMENT)
    assert sorted(commitments.values_list("request_id", flat=True)) == sorted(approved)
    assert set(FundingRequest.objects.filter(pk__in=approved).values_list("state", flat=True)) == {
        "approved"
    }
    assert FundingRequest.objects.filter(state="on_agenda").count() == APPROVALS - 23
    totals = selectors.budget_totals(budget)
    assert totals.committed == AWARD * 23 <= totals.allocated
    assert totals.available == Decimal("500.00")
    assert (
        LedgerEntry.objects.filter(budget=budget).count() == 1 + 23
    )  # the allocation and the awards
