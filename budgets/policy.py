"""Who may do what with budgets and money: the budgets app's one policy.

Plain functions ``can_<action>(user, obj=None) -> bool``; services refuse through
the ``require_<action>`` beside them (:class:`budgets.services.BudgetError`).
Pages ask through ``{% can "budgets.<action>" user obj %}``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from portal.roles import scope_for

User = AbstractBaseUser | AnonymousUser


def can_manage_term_dates(user: User) -> bool:
    """The LA SEND officer keeps the term dates; payments and panel calendars follow them."""
    return scope_for(user).is_send_officer


def require_manage_term_dates(user: User) -> None:
    if not can_manage_term_dates(user):
        from .services import BudgetError

        raise BudgetError("Only LA SEND officers change the term dates.")


def can_see_term_dates(user: User) -> bool:
    """LA officers read the term dates page (everyone signed in reads them in the API)."""
    return scope_for(user).is_la


def can_see_budgets(user: User) -> bool:
    """LA officers see every cluster's budget; school staff their own cluster's."""
    scope = scope_for(user)
    return scope.is_la or bool(scope.cluster_ids)


def can_see_county_budgets(user: User) -> bool:
    """Every cluster's budget, the ledger and the exports are for LA officers."""
    return scope_for(user).is_la


def can_move_pupil(user: User) -> bool:
    """Any LA officer moves a pupil's funding to their new school."""
    return scope_for(user).is_la


def can_manage_budgets(user: User | None) -> bool:
    """LA finance officers move money: allocate, adjust, override, reduce awards, pay."""
    return user is not None and scope_for(user).is_finance_officer


def require_manage_budgets(user: User | None) -> None:
    if not can_manage_budgets(user):
        from .services import BudgetError

        raise BudgetError("Only an LA finance officer can do this.")
