from datetime import date
from decimal import Decimal

import pytest

import funding.services as funding_services
from budgets.models import FinancialYear
from clusters.models import Role
from funding.workflow import Actor
from tests.browser.conftest import browser, new_page, sign_in  # noqa: F401 -- shared browser fixtures
from tests.factories import make_user

from .factories import ClusterBudgetFactory, allocate


@pytest.fixture
def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def this_year(db, today) -> FinancialYear:
    return FinancialYear.for_date(today)


@pytest.fixture
def budget(this_year, finance_officer):
    """A cluster budget for this financial year with £20,000 allocated."""
    b = ClusterBudgetFactory(year=this_year)
    allocate(b, Decimal("20000.00"), user=finance_officer)
    return b


@pytest.fixture
def budget_factory(this_year):
    def make(**kw):
        return ClusterBudgetFactory(year=this_year, **kw)

    return make


@pytest.fixture
def chair(db):
    from tests.factories import SchoolFactory

    return make_user(Role.HEADTEACHER, school=SchoolFactory(), username="chair")


@pytest.fixture
def panel_rules(monkeypatch):
    """Stand in for the panels app's guards and chair resolver, so a decision can be taken
    here without a meeting: the budget guard under test is the real one."""
    monkeypatch.setitem(funding_services._GUARDS, "quorate", lambda r, c: None)
    monkeypatch.setitem(funding_services._GUARDS, "not_recused", lambda r, c: None)
    monkeypatch.setattr(
        funding_services,
        "_ACTOR_RESOLVERS",
        [*funding_services._ACTOR_RESOLVERS, lambda user, req: {Actor.CHAIR}],
    )
