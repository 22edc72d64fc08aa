"""Reading what the pages show, the way a person reads them: figures off the dashboard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.urls import reverse

from budgets.models import ClusterBudget, LedgerEntry


def dated(name: str, day: date) -> dict[str, str]:
    """A GOV.UK date input's three boxes."""
    return {f"{name}_0": str(day.day), f"{name}_1": str(day.month), f"{name}_2": str(day.year)}


def money(shown: str) -> Decimal:
    """'£1,234.56' or '−£12.00' (see portal.money) as a Decimal."""
    shown = shown.strip()
    sign = -1 if shown.startswith(("-", "\N{MINUS SIGN}")) else 1
    return sign * Decimal(shown.lstrip("-\N{MINUS SIGN}").lstrip("£").replace(",", ""))


@dataclass(frozen=True)
class Figures:
    allocated: Decimal
    committed: Decimal
    paid: Decimal
    available: Decimal


def dashboard_row(client, budget: ClusterBudget) -> Figures:
    """One cluster budget's row on the LA's county dashboard, for the budget's year."""
    page = client.get(reverse("budgets:county"), {"year": budget.year.start_year})
    assert page.status_code == 200
    html = page.content.decode()
    row = re.search(
        rf'<tr class="govuk-table__row" data-budget="{budget.pk}">(.*?)</tr>', html, re.S
    )
    assert row, f"{budget} is not on the county dashboard"
    cells = re.findall(r'govuk-table__cell--numeric">([^<]*)<', row.group(1))
    return Figures(*(money(c) for c in cells[:4]))


def ledger_figures(budget: ClusterBudget) -> Figures:
    """The same figures summed straight from the append-only ledger (DESIGN §5)."""
    sums = {
        kind: total or Decimal("0")
        for kind, total in LedgerEntry.objects.filter(budget=budget)
        .values_list("kind")
        .annotate(total=Sum("amount"))
    }
    allocated = sums.get("allocation", 0) + sums.get("adjustment", 0)
    committed = sums.get("commitment", 0) - sums.get("release", 0)
    return Figures(
        Decimal(allocated),
        Decimal(committed),
        Decimal(sums.get("payment", 0)),
        Decimal(allocated - committed),
    )
