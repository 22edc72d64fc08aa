"""Who may do what with budgets (budgets/policy.py), told as the users' stories."""

import pytest

from budgets import policy
from budgets.services import BudgetError


@pytest.mark.django_db
def test_a_finance_officer_may_adjust_a_budget_a_send_officer_may_not(
    finance_officer, send_officer, head_a
):
    assert policy.can_manage_budgets(finance_officer)
    assert not policy.can_manage_budgets(send_officer)
    assert not policy.can_manage_budgets(head_a)
    with pytest.raises(BudgetError, match="Only an LA finance officer can do this."):
        policy.require_manage_budgets(send_officer)


def test_the_portal_itself_moves_no_money_on_its_own_authority():
    assert not policy.can_manage_budgets(None)
    with pytest.raises(BudgetError):
        policy.require_manage_budgets(None)


@pytest.mark.django_db
def test_any_la_officer_sees_the_county_and_moves_a_pupils_funding_a_school_may_not(
    finance_officer, send_officer, head_a
):
    for officer in (finance_officer, send_officer):
        assert policy.can_see_county_budgets(officer) and policy.can_move_pupil(officer)
    assert not policy.can_see_county_budgets(head_a)
    assert not policy.can_move_pupil(head_a)


@pytest.mark.django_db
def test_school_staff_see_their_own_clusters_budget(head_a, senco_a, school_a):
    assert school_a.cluster_id is not None
    assert policy.can_see_budgets(head_a) and policy.can_see_budgets(senco_a)
