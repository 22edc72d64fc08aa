"""Each budget's balance row is kept as its ledger moves, so the dashboards read one row
per budget instead of summing the ledger; the ledger stays the truth. Whatever the
finance officers and the panels do at once, every balance equals its ledger's sums, and
the nightly check catches a balance that does not (and tells the finance officers)."""

import itertools
import random
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from budgets import selectors, services
from budgets.models import (
    BALANCE_KINDS,
    BudgetBalance,
    EntryKind,
    InstalmentStatus,
    LedgerEntry,
    PaymentInstalment,
)
from budgets.tasks import check_balances
from portal.models import Notification
from tests.factories import FundingRequestFactory, SchoolFactory

from .factories import ClusterBudgetFactory, allocate

_refs = itertools.count(1)


def ledger_sums(budget_id: int) -> dict[str, Decimal]:
    sums = dict.fromkeys(BALANCE_KINDS, Decimal("0.00"))
    for kind, amount in LedgerEntry.objects.filter(budget_id=budget_id).values_list(
        "kind", "amount"
    ):
        sums[kind] += amount
    return sums


def kept(budget_id: int) -> dict[str, Decimal]:
    balance = BudgetBalance.objects.get(budget_id=budget_id)
    return {kind: getattr(balance, kind) for kind in BALANCE_KINDS}


def funded(budget, amount: Decimal, user, school=None):
    """A pupil's award on ``budget``, with its termly instalments scheduled."""
    fr = FundingRequestFactory(
        school=school or SchoolFactory(cluster=budget.cluster),
        stream=budget.stream,
        state="active",
        reference=f"BAL-2026-{next(_refs):05d}",
        submitted_at=timezone.now(),
        amount_requested=amount,
    )
    services.commit_for_request(fr, amount, user=user, reason="Approved by the panel")
    return fr


@pytest.mark.django_db
def test_the_balance_moves_with_every_ledger_entry_and_the_dashboard_reads_it(
    this_year, finance_officer, django_assert_max_num_queries
):
    budget = ClusterBudgetFactory(year=this_year)
    assert not BudgetBalance.objects.filter(budget=budget).exists()

    allocate(budget, "20000.00")
    fr = funded(budget, Decimal("4500.00"), finance_officer)
    first = PaymentInstalment.objects.filter(request=fr).order_by("due_date").first()
    services.pay_instalment(first, user=finance_officer)
    services.release_for_request(fr, Decimal("500.00"), user=finance_officer, reason="Reduced")
    services.adjust(budget, Decimal("-250.00"), user=finance_officer, reason="Clawback")

    assert kept(budget.pk) == ledger_sums(budget.pk)
    balance = BudgetBalance.objects.get(budget=budget)
    assert balance.last_entry_id == LedgerEntry.objects.filter(budget=budget).latest("id").pk
    (row,) = selectors.budget_board(finance_officer).rows
    assert row.totals.allocated == Decimal("19750.00")
    assert row.totals.committed == Decimal("4000.00")
    assert row.totals.paid == first.amount
    # One row per budget whatever the size of its ledger.
    for _ in range(30):
        allocate(budget, "1.00")
    with django_assert_max_num_queries(6):
        selectors.budget_board(finance_officer)


@pytest.mark.django_db
def test_a_balance_that_differs_from_its_ledger_is_caught_and_the_finance_officers_told(
    this_year, finance_officer
):
    budget = ClusterBudgetFactory(year=this_year)
    allocate(budget, "10000.00")
    funded(budget, Decimal("3000.00"), finance_officer)
    assert check_balances() == 0

    # Someone edits a balance behind the ledger's back.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE budgets_budgetbalance SET commitment = commitment - 1000 WHERE budget_id = %s",
            [budget.pk],
        )

    assert check_balances() == 1
    told = Notification.objects.get(user=finance_officer)
    assert "1 budget differs from the ledger" in told.subject
    assert "commitment kept as £2,000.00, the ledger says £3,000.00" in told.body
    with pytest.raises(CommandError, match="1 difference"):
        call_command("check_balances")

    call_command("check_balances", "--repair")

    assert kept(budget.pk) == ledger_sums(budget.pk)
    assert check_balances() == 0
    call_command("check_balances")  # clean: no error


@pytest.mark.django_db
def test_existing_budgets_get_their_balances_from_the_ledger_when_rebuilt(
    this_year, finance_officer
):
    budget = ClusterBudgetFactory(year=this_year)
    allocate(budget, "800.00")
    BudgetBalance.objects.filter(budget=budget).delete()
    assert [d.kind for d in selectors.balance_differences()] == ["allocation"]

    assert services.repair_balances() == 1

    assert kept(budget.pk)["allocation"] == Decimal("800.00")
    assert services.repair_balances() == 0  # idempotent


OPERATIONS = ("allocate", "clawback", "transfer", "award", "pay", "release", "move")


@pytest.mark.postgres
@pytest.mark.skipif(not settings.USING_POSTGRES, reason="needs PostgreSQL row locks")
@pytest.mark.django_db(transaction=True)
def test_whatever_happens_at_once_every_balance_equals_its_ledger(this_year, finance_officer):
    """Eight people at once, each doing a mix of everything that moves money (seeded, so
    the same mix every run), on three budgets of one stream."""
    first = ClusterBudgetFactory(year=this_year)
    budgets = [first] + [
        ClusterBudgetFactory(year=this_year, stream=first.stream) for _ in range(2)
    ]
    schools = {b.pk: [SchoolFactory(cluster=b.cluster) for _ in range(2)] for b in budgets}
    awards = []
    for b in budgets:
        allocate(b, "50000.00")
        awards += [
            funded(b, Decimal("2400.00"), finance_officer, schools[b.pk][0]) for _ in range(4)
        ]
    done: list[str] = []
    failures: list[str] = []
    barrier = threading.Barrier(8)

    def person(seed: int) -> None:
        rng = random.Random(seed)
        try:
            barrier.wait()
            for _ in range(12):
                operation = rng.choice(OPERATIONS)
                source, target = rng.sample(budgets, 2)
                amount = Decimal(rng.randint(100, 90000)) / 100
                fr = rng.choice(awards)
                try:
                    if operation == "allocate":
                        services.adjust(source, amount, user=finance_officer, reason="Top-up")
                    elif operation == "clawback":
                        services.adjust(source, -amount, user=finance_officer, reason="Clawback")
                    elif operation == "transfer":
                        services.transfer(
                            source, target, amount, user=finance_officer, reason="Rebalance"
                        )
                    elif operation == "award":
                        funded(source, amount, finance_officer, schools[source.pk][1])
                    elif operation == "pay":
                        due = PaymentInstalment.objects.filter(
                            request=fr, status=InstalmentStatus.SCHEDULED
                        ).first()
                        if due is not None:
                            services.pay_instalment(due, user=finance_officer)
                    elif operation == "release":
                        services.release_for_request(
                            fr, Decimal("10.00"), user=finance_officer, reason="Reduced"
                        )
                    else:
                        fr.refresh_from_db()
                        school = rng.choice([s for ss in schools.values() for s in ss])
                        services.move_pupil(
                            fr, school, user=finance_officer, reason="Moved school",
                            override_reason="Pupil moved mid-year",
                        )  # fmt: skip
                    done.append(operation)
                except services.BudgetError:
                    done.append(f"{operation} refused")
        except Exception as exc:  # noqa: BLE001 -- any other failure must show in the test
            failures.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=person, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)

    assert failures == []
    assert len(done) == 8 * 12
    # Every kind of money movement happened (the test is not passing on refusals alone).
    assert {op for op in done if "refused" not in op} >= {"allocate", "transfer", "award", "move"}
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert kinds == set(EntryKind.values)
    for b in budgets:
        assert kept(b.pk) == ledger_sums(b.pk), b
    assert selectors.balance_differences() == []
