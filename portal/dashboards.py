"""The landing dashboard is made of sections each app contributes.

An app offers sections through ``<app>/dashboard.py``::

    def sections(request, scope) -> list[Section]: ...

so the page shows each role what it does first without the portal knowing
every app's queries. Each section should cost a constant number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.http import HttpRequest

from .roles import Scope

DASHBOARD_APPS = ("portal", "funding", "panels", "budgets", "reports", "clusters", "accounts")


@dataclass
class Section:
    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


def sections_for(request: HttpRequest, scope: Scope) -> list[Section]:
    found: list[Section] = []
    for app in DASHBOARD_APPS:
        try:
            module = import_module(f"{app}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.dashboard":
                raise
            continue
        found.extend(module.sections(request, scope))
    return sorted(found, key=lambda s: s.order)
