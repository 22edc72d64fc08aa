"""Demo steps: budgets allocated by formula before the panels decide; payments after.

``load`` runs after ``demo.funding`` (streams and requests exist) and before
``demo.panels`` (whose decisions commit money, so budgets must be there).
``load_payments`` runs after the decisions: it pays the termly instalments due
so far, moves one funded pupil to a school in another cluster, and moves some
money between two clusters, so every kind of ledger entry shows in the demo.

The demo replays a past year, so the ledger carries the year's dates: the
allocation is dated 1 April (or the first day of the demo's meetings), each
commitment the afternoon of the meeting that decided it (demo.panels passes
:func:`decided_at` with each past decision), each payment its due date. The trend and
forecast charts then show a year's shape rather than one spike on the day the
demo was loaded.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.utils import timezone

from budgets import selectors, services
from budgets.allocation import Weights
from budgets.models import (
    ClusterBudget,
    EntryKind,
    FinancialYear,
    InstalmentStatus,
    LedgerEntry,
    PaymentInstalment,
)
from clusters.models import Role, School
from demo.context import DemoContext
from funding.models import FundingRequest, FundingStream
from funding.workflow import FUNDED
from portal.money import format_gbp

WEIGHTS = Weights(Decimal("0.4"), Decimal("0.3"), Decimal("0.3"))
# Pots sized against what schools ask for, so some clusters come close to their limit.
SHARE_OF_ASKS = Decimal("0.6")
MINIMUM_POT = Decimal("60000")
# At national scale the payment run pays the oldest this many instalments one by one
# (each its own transaction) and leaves the rest to the real payment run.
NATIONAL_PAYMENTS = 1500
# demo.panels stamps decisions at 15:00 on the meeting day; the commitment follows.
DECIDED_AT = time(15, 0)
PAID_AT = time(9, 0)


def _at(day, hour: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, hour))


def decided_at(ctx: DemoContext, meeting) -> datetime | None:
    """When a past meeting's awards are dated on the ledger (demo.panels passes it with each
    decision): the afternoon of the meeting, within this financial year, whose budget
    holds the money. None (now) for a meeting today or later."""
    if meeting is None or meeting.date >= ctx.today:
        return None
    year = FinancialYear(start_year=FinancialYear.start_year_for(ctx.today))
    return _at(max(meeting.date, year.start), DECIDED_AT)


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
    # Allocated at the start of the year (or of the demo's history, if that is later).
    allocated_on = max(year.start, ctx.today - timedelta(weeks=26))
    for stream in FundingStream.objects.order_by("pk"):
        pot = max(MINIMUM_POT, (asks.get(stream.pk) or 0) * SHARE_OF_ASKS).quantize(Decimal("1000"))
        # One bulk insert for every cluster's budget and allocation, at any scale.
        run, plan = services.allocate_by_formula(
            stream=stream,
            year=year,
            pot=pot,
            weights=WEIGHTS,
            lump_sum=(pot * Decimal("0.1") / max(len(plan_clusters(ctx)), 1)).quantize(
                Decimal("1")
            ),
            user=officer,
            at=_at(allocated_on, PAID_AT),
        )
        ctx.log(
            f"budgets: {stream.code} {year}: {format_gbp(plan.pot)} to {len(plan.shares)} clusters"
        )


def plan_clusters(ctx: DemoContext) -> list:
    clusters = ctx.shared.get("clusters")
    if clusters is None:
        from clusters.models import Cluster

        clusters = list(Cluster.objects.only("pk"))
        ctx.shared["clusters"] = clusters
    return clusters


def _pay_due(ctx: DemoContext) -> None:
    """The year's payment runs: each instalment due so far, paid (and dated) on its due day."""
    due = PaymentInstalment.objects.filter(
        status=InstalmentStatus.SCHEDULED, due_date__lte=ctx.today
    ).order_by("due_date", "pk")
    total = due.count()
    cap = NATIONAL_PAYMENTS if ctx.scale == "national" else total
    paid = 0
    for inst in due[:cap]:
        try:
            services.pay_instalment(inst, user=None, at=_at(inst.due_date, PAID_AT))
        except services.BudgetError:
            continue
        paid += 1
    ctx.log(f"budgets: {paid} termly instalments paid, each on its due date")
    if total > cap:
        ctx.log(
            f"budgets: national scale: {total - cap} more instalments due were left unpaid "
            "(budgets.tasks.pay_due_instalments pays them)"
        )


def _move_pupil(ctx: DemoContext, mover: FundingRequest, send_officer, officer) -> None:
    """One funded pupil moves to a school in another cluster; the log says what happened."""
    destination = (
        School.objects.filter(is_open=True, phase=mover.school.phase, cluster__isnull=False)
        .exclude(cluster_id=mover.cluster_id)
        .order_by("pk")
        .first()
    )
    if destination is None:
        ctx.log(f"budgets: demo move skipped: no school in another cluster for {mover.reference}")
        return
    reason = "Family moved house (demo)"
    try:
        services.move_pupil(mover, destination, user=send_officer, reason=reason)
    except services.BudgetError:
        # The receiving cluster is short: the finance officer moves it over budget.
        try:
            services.move_pupil(
                mover,
                destination,
                user=officer,
                reason=reason,
                override_reason="The pupil's support continues; the cluster is "
                "topped up at the next review (demo)",
            )
        except services.BudgetError as exc:
            ctx.log(f"budgets: demo move of {mover.reference} skipped: {exc.message}")
            return
        ctx.log(f"budgets: {mover.reference}'s move needed an over-budget override")
    ctx.log(
        f"budgets: {mover.reference}'s unpaid funding "
        f"({format_gbp(mover.unpaid)}) followed the pupil to {destination}"
    )


def load_payments(ctx: DemoContext) -> None:
    officer = _finance_officer(ctx)
    if officer is None:
        return
    _pay_due(ctx)

    send_officer = ctx.shared.get("users", {}).get(Role.LA_SEND_OFFICER.value)
    funded = (
        FundingRequest.objects.filter(state__in=FUNDED, ledger_entries__kind="commitment")
        .select_related("school")
        .order_by("pk")
        .distinct()
    )
    # Only money not yet paid follows a pupil: pick an award with some still to pay (the
    # oldest awards may be paid in full by the payment runs above).
    mover = (
        FundingRequest.objects.filter(state__in=FUNDED)
        .annotate(
            unpaid=selectors._sum("ledger_entries", EntryKind.COMMITMENT)
            - selectors._sum("ledger_entries", EntryKind.RELEASE)
            - selectors._sum("ledger_entries", EntryKind.PAYMENT)
        )
        .filter(unpaid__gt=0)
        .select_related("school")
        .order_by("pk")
        .first()
    )
    if mover is None:
        ctx.log("budgets: no award has money left to pay, so no pupil's move is shown")
    elif send_officer is not None:
        _move_pupil(ctx, mover, send_officer, officer)

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
