"""Budget fixtures: budgets with money on them, requests ready for a decision."""

from decimal import Decimal

import factory

from budgets.models import ClusterBudget, EntryKind, FinancialYear, LedgerEntry
from tests.factories import ClusterFactory, FundingRequestFactory, FundingStreamFactory


class FinancialYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinancialYear
        django_get_or_create = ("start_year",)

    start_year = 2026


class ClusterBudgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClusterBudget
        django_get_or_create = ("cluster", "stream", "year")

    cluster = factory.SubFactory(ClusterFactory)
    stream = factory.SubFactory(FundingStreamFactory)
    year = factory.SubFactory(FinancialYearFactory)


def allocate(budget: ClusterBudget, amount, user=None, reason="Test allocation") -> LedgerEntry:
    """Put money on a budget directly (the formula is tested on its own)."""
    return LedgerEntry.objects.create(
        budget=budget,
        kind=EntryKind.ALLOCATION,
        amount=Decimal(amount),
        reason=reason,
        created_by=user,
    )


_refs = iter(range(1, 10**6))


def request_on_agenda(budget: ClusterBudget, school=None, **kw):
    """A request in the budget's cluster, on a panel agenda, waiting for a decision."""
    from tests.factories import SchoolFactory

    school = school or SchoolFactory(cluster=budget.cluster)
    return FundingRequestFactory(
        school=school,
        cluster=budget.cluster,
        stream=budget.stream,
        state="on_agenda",
        reference=f"ENG-2026-{next(_refs):05d}",
        amount_requested=kw.pop("amount_requested", Decimal("7500.00")),
        **kw,
    )
