"""The ledger only grows: no row can be changed or deleted, in the app or below it."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction

from budgets.models import EntryKind, LedgerEntry, LedgerImmutableError

from .factories import allocate

pytestmark = pytest.mark.django_db


def test_the_app_refuses_to_change_or_delete_a_ledger_entry(budget):
    entry = LedgerEntry.objects.filter(budget=budget).first()

    entry.amount = Decimal("1.00")
    with pytest.raises(LedgerImmutableError):
        entry.save()
    with pytest.raises(LedgerImmutableError):
        entry.delete()
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1.00"))
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.amount == Decimal("20000.00")


@pytest.mark.skipif(not settings.USING_POSTGRES, reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_a_ledger_entry(budget):
    entry = LedgerEntry.objects.filter(budget=budget).first()
    # Raw SQL, as a script or a console user would write it, bypassing the app.
    for sql in (
        "UPDATE budgets_ledgerentry SET amount = 1 WHERE id = %s",
        "DELETE FROM budgets_ledgerentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="Cannot update or delete"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.filter(pk=entry.pk, amount=Decimal("20000.00")).exists()


def test_the_database_refuses_entries_without_a_reason_or_with_the_wrong_sign(budget):
    with pytest.raises(IntegrityError), transaction.atomic():
        allocate(budget, "10.00", reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        allocate(budget, "-10.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            budget=budget, kind=EntryKind.COMMITMENT, amount=Decimal("5.00"), reason="No request"
        )
