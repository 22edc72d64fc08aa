"""Demo steps: budgets allocated by formula before the panels decide; payments after.

``load`` runs after ``funding.demo`` (streams and requests exist) and before
``panels.demo`` (whose decisions commit money, so budgets must be there).
``load_payments`` runs after the decisions: it pays the termly instalments due
so far, moves one funded pupil to a school in another cluster, and moves some
money between two clusters, so every kind of ledger entry shows in the demo.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum

from clusters.models import Role, School
from funding.models import FundingRequest, FundingStream
from funding.workflow import FUNDED
from portal.demo import DemoContext

from . import selectors, services
from .allocation import Weights
from .models import ClusterBudget, FinancialYear, LedgerEntry

WEIGHTS = Weights(Decimal("0.4"), Decimal("0.3"), Decimal("0.3"))
# Pots sized against what schools ask for, so some clusters come close to their limit.
SHARE_OF_ASKS = Decimal("0.6")
MINIMUM_POT = Decimal("60000")


def _finance_officer(ctx: DemoContext):
    user = ctx.shared.get("users", {}).get(Role.LA_FINANCE_OFFICER.value)
    if user is None:
        user = (
            get_user_model()
            .objects.filter(memberships__role=Role.LA_FINANCE_OFFICER)
            .order_by("pk")
            .first()
        )
    return user


def load(ctx: DemoContext) -> None:
    officer = _finance_officer(ctx)
    if officer is None:
        ctx.log("budgets: no finance officer in the demo; nothing allocated")
        return
    year = FinancialYear.for_date(ctx.today)
    FinancialYear.objects.get_or_create(start_year=year.start_year + 1)
    asks = dict(
        FundingRequest.objects.exclude(state="draft")
        .values("stream_id")
        .annotate(total=Sum("amount_requested"))
        .values_list("stream_id", "total")
    )
    for stream in FundingStream.objects.order_by("pk"):
        pot = max(MINIMUM_POT, (asks.get(stream.pk) or 0) * SHARE_OF_ASKS).quantize(Decimal("1000"))
        run, plan = services.allocate_by_formula(
            stream=stream,
            year=year,
            pot=pot,
            weights=WEIGHTS,
            lump_sum=(pot * Decimal("0.1") / max(len(plan_clusters(ctx)), 1)).quantize(
                Decimal("1")
            ),
            user=officer,
        )
        ctx.log(f"budgets: {stream.code} {year}: £{plan.pot:,} to {len(plan.shares)} clusters")


def plan_clusters(ctx: DemoContext) -> list:
    clusters = ctx.shared.get("clusters")
    if clusters is None:
        from clusters.models import Cluster

        clusters = list(Cluster.objects.only("pk"))
        ctx.shared["clusters"] = clusters
    return clusters


def load_payments(ctx: DemoContext) -> None:
    officer = _finance_officer(ctx)
    if officer is None:
        return
    # The LA's payment run pays, at the start of each month, what falls due in it.
    run_to = ctx.today + timedelta(days=31)
    paid = services.pay_due_instalments(on_date=run_to)
    ctx.log(f"budgets: {paid} termly instalments paid (due by {run_to:%d %B %Y})")

    send_officer = ctx.shared.get("users", {}).get(Role.LA_SEND_OFFICER.value)
    funded = (
        FundingRequest.objects.filter(state__in=FUNDED, ledger_entries__kind="commitment")
        .select_related("school")
        .order_by("pk")
        .distinct()
    )
    mover = next(iter(funded[:1]), None)
    if send_officer is not None and mover is not None:
        destination = (
            School.objects.filter(is_open=True, phase=mover.school.phase, cluster__isnull=False)
            .exclude(cluster_id=mover.cluster_id)
            .order_by("pk")
            .first()
        )
        if destination is not None:
            try:
                services.move_pupil(
                    mover, destination, user=send_officer, reason="Family moved house (demo)"
                )
                ctx.log(f"budgets: {mover.reference}'s funding followed the pupil to {destination}")
            except services.BudgetError as exc:
                ctx.log(f"budgets: demo move skipped: {exc.message}")

    # A review that found less support was needed: the award is reduced, the rest released.
    reviewed = next(iter(funded.exclude(pk=getattr(mover, "pk", None))[1:2]), None)
    if reviewed is not None:
        left = selectors.request_totals(reviewed)
        new_amount = (left.paid + left.unpaid_commitment * Decimal("0.8")).quantize(Decimal("0.01"))
        if left.paid <= new_amount < left.committed:
            services.reduce_award(
                reviewed, new_amount, user=officer, reason="Fewer hours needed after review (demo)"
            )
            ctx.log(f"budgets: {reviewed.reference}'s award reduced at review")

    # Rebalance: the stream's most comfortable cluster gives to its most stretched one.
    rows = selectors.budget_board(officer, today=ctx.today).rows
    for stream in {r.stream for r in rows}:
        ranked = sorted((r for r in rows if r.stream == stream), key=lambda r: r.totals.available)
        if len(ranked) < 2 or ranked[-1].totals.available < Decimal("5000"):
            continue
        source, target = (
            ClusterBudget.objects.get(pk=r.budget_id) for r in (ranked[-1], ranked[0])
        )
        services.transfer(
            source,
            target,
            Decimal("2500.00"),
            user=officer,
            reason="Rebalanced towards the most stretched cluster (demo)",
        )
        break
    ctx.log(f"budgets: the ledger holds {LedgerEntry.objects.count()} entries")
