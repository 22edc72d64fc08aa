"""Who may do what: the registry of every app's policy functions.

Each app keeps its rules in ``<app>/policy.py`` as plain typed functions named
``can_<action>(user, obj=None) -> bool``. Services, selectors, views and the API
call them directly; templates ask through the one ``{% can %}`` tag
(``portal/templatetags/policy.py``), which looks the name ``"<app>.<action>"`` up
here. Nothing else decides what a page offers.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from .roles import scope_for

POLICY_APPS = ("portal", "funding", "panels", "budgets", "clusters", "reports", "accounts")

Rule = Callable[..., bool]
User = AbstractBaseUser | AnonymousUser


@cache
def registry() -> dict[str, Rule]:
    """Every ``can_*`` function of every app's policy module, by ``"<app>.<action>"``."""
    rules: dict[str, Rule] = {}
    for app in POLICY_APPS:
        module = import_module(f"{app}.policy")
        for attr, value in vars(module).items():
            if attr.startswith("can_") and callable(value) and value.__module__ == module.__name__:
                rules[f"{app}.{attr.removeprefix('can_')}"] = value
    return rules


def allowed(name: str, user: User, *objects: Any) -> bool:
    try:
        rule = registry()[name]
    except KeyError:
        raise LookupError(f"No policy called “{name}”: see {', '.join(POLICY_APPS)}") from None
    return bool(rule(user, *objects))


# --- The portal's own rules ------------------------------------------------------


def can_be_told_to_ask_for_a_role(user: User) -> bool:
    """A signed-in user with no role sees nothing yet, and is told to ask the LA for one."""
    scope = scope_for(user)
    return not scope.roles and not scope.is_admin


def can_see_readiness(user: User) -> bool:
    """The readiness check names the portal's services and their faults: operators
    only, who are the administrators (staff or superusers). LA officers run the
    service, not its machines (docs/architecture.md §12)."""
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def can_read_view_audit(user: User) -> bool:
    """The data-protection officer searches and exports the view audit (who opened which
    request, document or export, when). Nobody else, not even that the page exists."""
    return scope_for(user).is_dpo
