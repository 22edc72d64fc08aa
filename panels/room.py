"""The budget in the room and each school's context: what the panel has to spend on the
day and what it already gave, read alongside the agenda (docs/architecture.md §2).

Reads only, built from the meeting page's rows (already scoped by
``panels.selectors.meeting_page``) in a constant number of queries: one for every
budget on the agenda, one for the schools' awards, two for the latest reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils import timezone

from budgets.models import FinancialYear
from budgets.selectors import budgets_for_pairs, school_awards
from clusters.models import Cluster, School
from funding.models import FundingStream
from reports.selectors import SchoolReportFigures, latest_school_figures

from .models import ItemKind

ZERO = Decimal("0.00")
# The outcomes that spend money (an approval commits the amount decided).
SPENDING = ("approved", "partially_approved")


@dataclass
class RoomLine:
    """One item on its budget: what it asks, and what it was awarded once decided."""

    item_id: int
    order: int
    reference: str
    asked: Decimal
    awarded: Decimal | None  # None: not decided yet


@dataclass
class StreamBudget:
    """One cluster budget on the agenda (cluster × stream, this financial year)."""

    cluster: Cluster
    stream: FundingStream
    has_budget: bool
    available: Decimal  # now, from the ledger: allocated less committed
    asked: Decimal = ZERO  # by every decision item on the agenda
    awarded: Decimal = ZERO  # decided at this meeting so far
    to_decide: Decimal = ZERO  # still asked by the items not yet decided
    decided: int = 0
    undecided: int = 0
    lines: list[RoomLine] = field(default_factory=list)

    @property
    def remains(self) -> Decimal:
        """What would remain if every undecided item were granted in full."""
        return self.available - self.to_decide

    @property
    def over(self) -> bool:
        return self.to_decide > self.available

    @property
    def shortfall(self) -> Decimal:
        return max(self.to_decide - self.available, ZERO)

    @property
    def key(self) -> str:
        return f"{self.cluster.pk}-{self.stream.pk}"


@dataclass
class Room:
    budgets: list[StreamBudget]
    financial_year: str  # e.g. "2026/27"
    district: bool  # a district panel: several clusters' budgets

    @property
    def over(self) -> list[StreamBudget]:
        return [b for b in self.budgets if b.over]

    def for_item(self, item_id: int) -> ItemBudget | None:
        for b in self.budgets:
            for line in b.lines:
                if line.item_id == item_id:
                    return ItemBudget(b, line)
        return None


@dataclass
class ItemBudget:
    """One item's budget, for its page: what would remain if it were granted in full."""

    budget: StreamBudget
    line: RoomLine

    @property
    def remains_if_granted(self) -> Decimal:
        return self.budget.available - self.line.asked

    @property
    def over(self) -> bool:
        return self.line.awarded is None and self.line.asked > self.budget.available


def budget_in_the_room(rows, *, district: bool = False, today: date | None = None) -> Room:
    """The budget of each cluster and stream on the agenda (``rows``: the meeting page's
    item rows), one query for all of them."""
    day = today or timezone.localdate()
    items = [r.item for r in rows if r.item.kind == ItemKind.DECISION]
    pairs = {(i.request.cluster_id, i.request.stream_id) for i in items}
    found = budgets_for_pairs(pairs, day)
    start = FinancialYear.start_year_for(day)
    budgets: dict[tuple[int, int], StreamBudget] = {}
    for i in sorted(items, key=lambda i: i.order):
        fr = i.request
        pair = (fr.cluster_id, fr.stream_id)
        if pair not in budgets:
            budget, totals = found.get(pair, (None, None))
            budgets[pair] = StreamBudget(
                # Without a budget yet, the cluster is named by the request's school.
                cluster=budget.cluster if budget else fr.school.cluster,
                stream=fr.stream,
                has_budget=budget is not None,
                available=totals.available if totals else ZERO,
            )
        b = budgets[pair]
        asked = fr.amount_requested or ZERO
        b.asked += asked
        decision = getattr(i, "decision", None)
        if decision is None:
            b.undecided += 1
            b.to_decide += asked
            b.lines.append(RoomLine(i.pk, i.order, fr.reference, asked, None))
        else:
            b.decided += 1
            spent = (decision.amount or ZERO) if decision.outcome in SPENDING else ZERO
            b.awarded += spent
            b.lines.append(RoomLine(i.pk, i.order, fr.reference, asked, spent))
    ordered = sorted(budgets.values(), key=lambda b: (b.cluster.name, b.stream.name))
    return Room(ordered, f"{start}/{(start + 1) % 100:02d}", district)


@dataclass
class SchoolContext:
    """A school's record for the panel's peer challenge (no pupil data)."""

    school: School
    this_year: Decimal
    this_year_requests: int
    last_year: Decimal
    last_year_requests: int
    this_year_label: str
    last_year_label: str
    reports: SchoolReportFigures


def school_context(schools, *, today: date | None = None) -> dict[int, SchoolContext]:
    """Awards to each school this financial year and last (from the ledger), with its
    fair-share ratio and inclusiveness flags from the latest ready reports: three queries."""
    schools = {s.pk: s for s in schools}
    if not schools:
        return {}
    start = FinancialYear.start_year_for(today or timezone.localdate())
    awards = school_awards(schools, (start, start - 1))
    figures = latest_school_figures(schools.values())

    def label(y: int) -> str:
        return f"{y}/{(y + 1) % 100:02d}"

    out = {}
    for pk, school in schools.items():
        this, this_n = awards.get((pk, start), (ZERO, 0))
        last, last_n = awards.get((pk, start - 1), (ZERO, 0))
        out[pk] = SchoolContext(
            school, this, this_n, last, last_n, label(start), label(start - 1), figures[pk]
        )
    return out


def meeting_room(page, *, today: date | None = None, context: bool = True) -> Room:
    """The budget in the room for a meeting page, and (``context``) each row's school
    context, set on the rows the user is not recused from (a recused member sees an
    item's title only)."""
    meeting = page.meeting
    room = budget_in_the_room(
        page.rows, district=meeting.panel.district_id is not None, today=today
    )
    if context:
        shown = [r for r in page.rows if not r.user_recused]
        contexts = school_context({r.item.request.school for r in shown}, today=today)
        for r in shown:
            r.school_context = contexts.get(r.item.request.school_id)
    return room
