"""The allocation formula: a county pot shared between clusters by weighted need.

Pure calculation (no writes), so the same code produces the preview a finance
officer checks and the amounts the service then allocates. Each cluster gets
the lump sum, plus the rest of the pot in proportion to its weighted share of
the county's pupils on roll, FSM pupils and SEN-support pupils. Rounding to
the penny uses the largest-remainder method, so the shares add up to the pot
exactly: no penny left unallocated, none created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Max, Sum

from clusters.models import Cluster, SchoolYearStats
from portal.errors import DomainError
from portal.money import format_gbp

ZERO = Decimal("0")
PENNY = Decimal("0.01")


class AllocationInputError(DomainError, ValueError):
    """The pot, weights or lump sum cannot be allocated; the message says why."""


@dataclass(frozen=True)
class Weights:
    roll: Decimal
    fsm: Decimal
    sen_support: Decimal

    def as_dict(self) -> dict[str, Decimal]:
        return {"roll": self.roll, "fsm": self.fsm, "sen_support": self.sen_support}

    @property
    def total(self) -> Decimal:
        return self.roll + self.fsm + self.sen_support


# What each weight is called to the finance officer.
FACTOR_NAMES = {"roll": "pupils on roll", "fsm": "FSM pupils", "sen_support": "SEN-support pupils"}


@dataclass
class ClusterShare:
    cluster_id: int
    code: str
    name: str
    roll: int
    fsm: int
    sen_support: int
    roll_share: Decimal = ZERO
    fsm_share: Decimal = ZERO
    sen_share: Decimal = ZERO
    weighted_share: Decimal = ZERO
    lump_sum: Decimal = ZERO
    exact: Decimal = ZERO
    amount: Decimal = ZERO
    # Pennies given by the largest-remainder step (0 or 1).
    rounding_penny: bool = False


@dataclass
class AllocationPlan:
    pot: Decimal
    weights: Weights
    lump_sum: Decimal
    stats_year: int | None
    formula_pot: Decimal = ZERO
    totals: dict[str, int] = field(default_factory=dict)
    shares: list[ClusterShare] = field(default_factory=list)
    # The weights as the formula used them, adding up to 1: a factor nobody has (no FSM
    # figures loaded, say) drops out and the others are scaled up, shown on the preview.
    weights_used: dict[str, Decimal] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)  # factors given a weight but no pupils

    @property
    def total_allocated(self) -> Decimal:
        return sum((s.amount for s in self.shares), ZERO)


def default_stats_year(financial_start_year: int) -> int | None:
    """The latest academic year of statistics not after the financial year's start."""
    qs = SchoolYearStats.objects
    latest = qs.filter(academic_year__lte=financial_start_year).aggregate(m=Max("academic_year"))[
        "m"
    ]
    return latest if latest is not None else qs.aggregate(m=Max("academic_year"))["m"]


def gather_need(stats_year: int | None) -> list[ClusterShare]:
    """Each cluster with its open schools' counts for the year (two queries)."""
    counts: dict[int, dict] = {}
    if stats_year is not None:
        rows = (
            SchoolYearStats.objects.filter(
                academic_year=stats_year, school__cluster__isnull=False, school__is_open=True
            )
            .values("school__cluster_id")
            .annotate(
                roll=Sum("number_on_roll"), fsm=Sum("fsm_pupils"), sen=Sum("sen_support_pupils")
            )
        )
        counts = {r["school__cluster_id"]: r for r in rows}
    shares = []
    for cluster in Cluster.objects.order_by("code").only("id", "code", "name"):
        row = counts.get(cluster.pk, {})
        shares.append(
            ClusterShare(
                cluster_id=cluster.pk,
                code=cluster.code,
                name=cluster.name,
                roll=row.get("roll") or 0,
                fsm=row.get("fsm") or 0,
                sen_support=row.get("sen") or 0,
            )
        )
    return shares


def largest_remainder(exact: list[Decimal], total: Decimal) -> list[tuple[Decimal, bool]]:
    """Round each exact amount down to the penny, then give the pennies left over to the
    largest remainders (ties to the earlier one) so the result sums to ``total``."""
    floors = [e.quantize(PENNY, rounding=ROUND_FLOOR) for e in exact]
    left = int(((total - sum(floors, ZERO)) / PENNY).to_integral_value())
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    bonus = set(order[:left]) if left > 0 else set()
    return [(floors[i] + (PENNY if i in bonus else ZERO), i in bonus) for i in range(len(exact))]


def plan_allocation(
    pot: Decimal,
    weights: Weights,
    *,
    lump_sum: Decimal = ZERO,
    stats_year: int | None,
    shares: list[ClusterShare] | None = None,
) -> AllocationPlan:
    """Work out every cluster's share of ``pot``. Raises AllocationInputError on bad inputs."""
    pot = Decimal(pot).quantize(PENNY)
    lump_sum = Decimal(lump_sum or 0).quantize(PENNY)
    if pot <= 0:
        raise AllocationInputError("Enter a county pot greater than £0.")
    if min(weights.roll, weights.fsm, weights.sen_support) < 0 or lump_sum < 0:
        raise AllocationInputError("Weights and the lump sum cannot be negative.")
    if weights.total != 1:
        # Never rescaled silently: 0.4, 0.3 and 0.4 is a typing mistake, not a formula.
        raise AllocationInputError(
            f"The weights must add up to 1 (100%): these add up to {weights.total.normalize():f}. "
            "For example, enter 0.4, 0.3 and 0.3."
        )
    shares = gather_need(stats_year) if shares is None else shares
    if not shares:
        raise AllocationInputError("There are no clusters to allocate to.")
    formula_pot = pot - lump_sum * len(shares)
    if formula_pot < 0:
        raise AllocationInputError(
            f"The lump sums ({format_gbp(lump_sum)} × {len(shares)} clusters) come to more than the pot."
        )
    totals = {
        "roll": sum(s.roll for s in shares),
        "fsm": sum(s.fsm for s in shares),
        "sen_support": sum(s.sen_support for s in shares),
    }
    # A factor nobody has (e.g. no FSM figures loaded) drops out rather than dividing by zero.
    active = {k: w for k, w in weights.as_dict().items() if w > 0 and totals[k] > 0}
    weight_sum = sum(active.values(), ZERO)
    weights_used = {k: w / weight_sum for k, w in active.items()} if weight_sum else {}
    dropped = [k for k, w in weights.as_dict().items() if w > 0 and k not in active]
    for s in shares:
        s.roll_share = Decimal(s.roll) / totals["roll"] if totals["roll"] else ZERO
        s.fsm_share = Decimal(s.fsm) / totals["fsm"] if totals["fsm"] else ZERO
        s.sen_share = (
            Decimal(s.sen_support) / totals["sen_support"] if totals["sen_support"] else ZERO
        )
        by_factor = {"roll": s.roll_share, "fsm": s.fsm_share, "sen_support": s.sen_share}
        if weight_sum:
            s.weighted_share = sum((w * by_factor[k] for k, w in active.items()), ZERO) / weight_sum
        else:
            s.weighted_share = Decimal(1) / len(shares)
        s.lump_sum = lump_sum
        s.exact = lump_sum + formula_pot * s.weighted_share
    for s, (amount, penny) in zip(
        shares, largest_remainder([s.exact for s in shares], pot), strict=True
    ):
        s.amount, s.rounding_penny = amount, penny
    return AllocationPlan(
        pot=pot,
        weights=weights,
        lump_sum=lump_sum,
        stats_year=stats_year,
        formula_pot=formula_pot,
        totals=totals,
        shares=shares,
        weights_used=weights_used,
        dropped=dropped,
    )
