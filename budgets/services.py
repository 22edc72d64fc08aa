"""Every write to budgets and the ledger. One function per use case, one transaction each.

Each write locks the budget row (``SELECT … FOR UPDATE``) before reading its
totals, so two approvals on one budget queue up rather than both seeing the
same available balance: that is what makes overspend impossible under
concurrency. Where two budgets are locked (a transfer, a pupil's move), they
are locked in id order so that two such writes cannot deadlock.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from clusters.models import School, academic_year_label
from funding import services as funding_services
from funding.models import FundingRequest, FundingStream
from funding.workflow import FUNDED, State
from portal.errors import ConflictError, DomainError
from portal.money import format_gbp as gbp
from portal.notifications import announce
from portal.versions import NOTHING, Change, StaleVersion
from portal.versions import advance as advance_version
from portal.versions import check as check_version

from . import policy, selectors
from .allocation import AllocationPlan, Weights, plan_allocation
from .models import (
    PENNY,
    TERM_DAY_FIELDS,
    ZERO,
    AllocationRun,
    BudgetBalance,
    BudgetOverride,
    ClusterBudget,
    EntryKind,
    FinancialYear,
    InstalmentStatus,
    LedgerEntry,
    Overpayment,
    PaymentInstalment,
    TermDates,
)
from .terms import instalment_plan

logger = logging.getLogger(__name__)


class BudgetError(DomainError):
    """A budget write that may not happen; the message is for the person who tried."""


class InstalmentUnpayable(BudgetError):
    """A due instalment that cannot be paid as planned: the message says why and what to do."""


class NotEnoughBudget(BudgetError, ConflictError):
    """Refused for want of available money on the budget (409: the ledger, not the
    request, is what stands in the way)."""


def _money(amount) -> Decimal:
    value = Decimal(str(amount)) if not isinstance(amount, Decimal) else amount
    if value != value.quantize(PENNY):
        raise BudgetError("Amounts are in pounds and pence: at most two decimal places.")
    return value.quantize(PENNY)


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BudgetError("Enter a reason: it is kept on the ledger.")
    return reason


def lock_budgets(*budget_ids: int) -> dict[int, ClusterBudget]:
    """Lock budget rows in id order (callers must be inside a transaction)."""
    ids = sorted(set(budget_ids))
    locked = ClusterBudget.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {b.pk: b for b in locked}


def _lock_request(request_id: int) -> FundingRequest:
    """Lock a request row before its budgets (callers inside a transaction). FOR NO KEY
    UPDATE, as every lock of a request: ledger and instalment rows written for it take
    KEY SHARE on it, which this lets through, so it never deadlocks against them."""
    return FundingRequest.objects.select_for_update(no_key=True).get(pk=request_id)


def _entry(
    budget: ClusterBudget, kind: str, amount: Decimal, *, at: datetime | None = None, **fields
) -> LedgerEntry:
    """Append one ledger line, dated now, or ``at`` when a caller replays the past."""
    if at is not None:
        fields["created_at"] = at
    return LedgerEntry.objects.create(budget=budget, kind=kind, amount=amount, **fields)


def _check_version(
    locked: ClusterBudget, version: int | None, *, amount: Decimal, reason: str
) -> None:
    """Refuse a change to the budget if someone else changed it since the page (or API
    client) read it at ``version``: the two changes are named, the user's and the one
    saved meanwhile (the budget's last allocation or adjustment), and nothing is written.
    ``version=None`` (an API client that sends none) is not checked."""
    if version is None or version == locked.version:
        return
    last = (
        LedgerEntry.objects.filter(
            budget=locked, kind__in=(EntryKind.ALLOCATION, EntryKind.ADJUSTMENT)
        )
        .select_related("created_by")
        .order_by("-created_at", "-pk")
        .first()
    )
    saved = NOTHING
    if last is not None:
        who = last.created_by.get_full_name() or last.created_by.username if last.created_by else ""
        when = date_format(timezone.localtime(last.created_at), "j F Y H:i")
        saved = f"{gbp(last.amount)}, {last.reason} ({who + ', ' if who else ''}{when})"
    raise StaleVersion(
        what=f"the {locked.cluster} budget",
        based_on=version,
        current=locked.version,
        changes=[
            Change(
                field="amount",
                label="Change to the budget",
                yours=f"{gbp(amount)}, {reason}",
                saved=saved,
            )
        ],
        saved_at=last.created_at if last else None,
    )


def _advance(*budgets: ClusterBudget) -> None:
    """One more version on each locked budget: its set-up changed."""
    for budget in budgets:
        budget.version += 1
        budget.save(update_fields=["version"])


def budget_for(cluster_id: int, stream_id: int, day: date | None = None) -> ClusterBudget:
    """The budget for this cluster, stream and the financial year of ``day`` (created empty)."""
    year = FinancialYear.for_date(day or timezone.localdate())
    budget, _ = ClusterBudget.objects.get_or_create(
        cluster_id=cluster_id, stream_id=stream_id, year=year
    )
    return budget


# --- allocation and adjustment -------------------------------------------------


def allocate_by_formula(
    *,
    stream: FundingStream,
    year: FinancialYear,
    pot: Decimal,
    weights: Weights,
    lump_sum: Decimal = ZERO,
    stats_year: int | None = None,
    user: AbstractBaseUser,
    at: datetime | None = None,
) -> tuple[AllocationRun, AllocationPlan]:
    """Share the county pot between every cluster by the formula, in one transaction.

    The allocations are dated now, or ``at`` (the demo, replaying a past year, passes it).
    """
    policy.require_manage_budgets(user)
    from .allocation import AllocationInputError, default_stats_year

    if stats_year is None:
        stats_year = default_stats_year(year.start_year)
    try:
        plan = plan_allocation(
            _money(pot), weights, lump_sum=_money(lump_sum), stats_year=stats_year
        )
    except AllocationInputError as exc:
        raise BudgetError(str(exc)) from None
    if plan.total_allocated != plan.pot:  # the formula's promise; never allocate otherwise
        raise BudgetError("The shares do not add up to the pot; nothing was allocated.")
    with transaction.atomic():
        if AllocationRun.objects.filter(stream=stream, year=year).exists():
            raise BudgetError(
                f"{stream} for {year} has already been allocated: use an adjustment, with a reason."
            )
        run = AllocationRun.objects.create(
            stream=stream,
            year=year,
            pot=plan.pot,
            weight_roll=weights.roll,
            weight_fsm=weights.fsm,
            weight_sen_support=weights.sen_support,
            lump_sum=plan.lump_sum,
            stats_year=stats_year or 0,
            created_by=user,
        )
        existing = {b.cluster_id: b for b in ClusterBudget.objects.filter(stream=stream, year=year)}
        ClusterBudget.objects.bulk_create(
            [
                ClusterBudget(cluster_id=s.cluster_id, stream=stream, year=year)
                for s in plan.shares
                if s.cluster_id not in existing
            ],
            ignore_conflicts=True,
        )
        budgets = lock_budgets(
            *ClusterBudget.objects.filter(stream=stream, year=year).values_list("pk", flat=True)
        )
        by_cluster = {b.cluster_id: b for b in budgets.values()}
        reason = f"Formula allocation of {gbp(plan.pot)} for {stream} {year}"
        batch, dated = uuid.uuid4(), at or timezone.now()
        LedgerEntry.objects.bulk_create(
            [
                LedgerEntry(
                    budget=by_cluster[s.cluster_id],
                    kind=EntryKind.ALLOCATION,
                    amount=s.amount,
                    reason=reason,
                    created_by=user,
                    allocation_run=run,
                    batch=batch,
                    created_at=dated,
                )
                for s in plan.shares
                if s.amount > 0
            ]
        )
        # Every budget of the stream and year is set up anew: a page read before is stale.
        ClusterBudget.objects.filter(pk__in=budgets).update(version=F("version") + 1)
    return run, plan


def adjust(
    budget: ClusterBudget,
    amount: Decimal,
    *,
    user: AbstractBaseUser,
    reason: str,
    version: int | None = None,
) -> LedgerEntry:
    """Add to (positive) or take from (negative) a budget's allocation, with a reason.

    ``version``: the budget's version the change was based on (a stale one is refused,
    naming the change saved meanwhile, and nothing is written)."""
    policy.require_manage_budgets(user)
    reason = _require_reason(reason)
    amount = _money(amount)
    if amount == 0:
        raise BudgetError("Enter an amount other than £0.")
    with transaction.atomic():
        locked = lock_budgets(budget.pk)[budget.pk]
        _check_version(locked, version, amount=amount, reason=reason)
        available = selectors.budget_totals(locked).available
        if amount < 0 and available + amount < 0:
            raise NotEnoughBudget(
                f"Only {gbp(available)} is uncommitted on {locked.cluster}: a reduction cannot "
                "take the budget below what is already committed."
            )
        _advance(locked)
        return _entry(locked, EntryKind.ADJUSTMENT, amount, created_by=user, reason=reason)


def transfer(
    source: ClusterBudget,
    target: ClusterBudget,
    amount: Decimal,
    *,
    user: AbstractBaseUser,
    reason: str,
    version: int | None = None,
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move uncommitted money from one cluster's budget to another's (same stream and year).

    ``version``: the source budget's version the move was based on (a stale one is
    refused and nothing is written)."""
    policy.require_manage_budgets(user)
    reason = _require_reason(reason)
    amount = _money(amount)
    if amount <= 0:
        raise BudgetError("Enter an amount greater than £0 to move.")
    if source.pk == target.pk:
        raise BudgetError("Choose a different cluster to move the money to.")
    if (source.stream_id, source.year_id) != (target.stream_id, target.year_id):
        raise BudgetError("Money can only move between budgets of the same stream and year.")
    with transaction.atomic():
        locked = lock_budgets(source.pk, target.pk)
        _check_version(locked[source.pk], version, amount=-amount, reason=reason)
        available = selectors.budget_totals(locked[source.pk]).available
        if available < amount:
            raise NotEnoughBudget(
                f"{source.cluster} has only {gbp(available)} uncommitted to move."
            )
        batch = uuid.uuid4()
        out = _entry(
            locked[source.pk],
            EntryKind.ADJUSTMENT,
            -amount,
            created_by=user,
            reason=f"Moved to {target.cluster}: {reason}",
            batch=batch,
        )
        into = _entry(
            locked[target.pk],
            EntryKind.ADJUSTMENT,
            amount,
            created_by=user,
            reason=f"Moved from {source.cluster}: {reason}",
            batch=batch,
        )
        _advance(locked[source.pk], locked[target.pk])
    return out, into


# --- overrides ---------------------------------------------------------------------


def record_override(
    funding_request: FundingRequest, *, user: AbstractBaseUser, reason: str
) -> BudgetOverride:
    """A finance officer allows the next approval of this request to go over budget."""
    policy.require_manage_budgets(user)
    reason = _require_reason(reason)
    return BudgetOverride.objects.create(request=funding_request, created_by=user, reason=reason)


@dataclass
class OverrideDecision:
    existing: BudgetOverride | None = None
    by: AbstractBaseUser | None = None
    reason: str = ""


def check_commitment(
    funding_request: FundingRequest,
    amount: Decimal,
    *,
    override_by: AbstractBaseUser | None = None,
    override_reason: str = "",
    day: date | None = None,
) -> tuple[str | None, OverrideDecision | None]:
    """Whether ``amount`` may be committed for the request: (problem, override to use).

    Locks the budget row, so the answer holds until the transaction ends.
    """
    budget = budget_for(funding_request.cluster_id, funding_request.stream_id, day)
    locked = lock_budgets(budget.pk)[budget.pk]
    available = selectors.budget_totals(locked).available
    if available >= amount:
        return None, None
    existing = selectors.unused_override(funding_request)
    if existing is not None:
        return None, OverrideDecision(existing=existing)
    reason = (override_reason or "").strip()
    if reason and policy.can_manage_budgets(override_by):
        return None, OverrideDecision(by=override_by, reason=reason)
    shortfall = amount - available
    # The shortfall in pounds, so whoever is refused knows how far off the award is.
    problem = (
        f"Not enough budget: {locked.cluster}'s {locked.stream} budget for {locked.year} has "
        f"{gbp(max(available, ZERO))} available; this award needs {gbp(amount)} — "
        f"{gbp(shortfall)} short. Award less, or ask an LA finance officer to record an "
        "over-budget override with a reason."
    )
    if reason:
        problem += " Only a finance officer can override the budget."
    return problem, None


def commit_for_request(
    funding_request: FundingRequest,
    amount: Decimal,
    *,
    user: AbstractBaseUser | None,
    reason: str,
    override_by: AbstractBaseUser | None = None,
    override_reason: str = "",
    day: date | None = None,
    at: datetime | None = None,
) -> LedgerEntry:
    """Commit an award on the request's cluster budget and schedule its termly payments.

    Refused (BudgetError) when it would take the budget below zero, unless a finance
    officer has recorded an override for the request or is the one overriding now.
    The commitment is dated now, or ``at``: when the decision was taken, if it is
    recorded afterwards (the demo replays past meetings).
    """
    amount = _money(amount)
    if amount <= 0:
        raise BudgetError("The amount awarded must be more than £0.")
    reason = (reason or "").strip() or "Award decided"
    day = day or timezone.localdate()
    with transaction.atomic():
        problem, decision = check_commitment(
            funding_request,
            amount,
            override_by=override_by or user,
            override_reason=override_reason,
            day=day,
        )
        if problem:
            raise NotEnoughBudget(problem)
        override = None
        if decision is not None:
            override = decision.existing or BudgetOverride.objects.create(
                request=funding_request, created_by=decision.by, reason=decision.reason
            )
        budget = budget_for(funding_request.cluster_id, funding_request.stream_id, day)
        entry = _entry(
            budget,
            EntryKind.COMMITMENT,
            amount,
            created_by=user,
            reason=reason,
            request=funding_request,
            school_id=funding_request.school_id,
            override=override,
            at=at,
        )
        _replan_instalments(funding_request, budget, funding_request.school_id, day)
    return entry


def release_for_request(
    funding_request: FundingRequest,
    amount: Decimal | None = None,
    *,
    user: AbstractBaseUser | None,
    reason: str,
    day: date | None = None,
) -> list[LedgerEntry]:
    """Release what the request has committed but not been paid (all of it, or ``amount``).

    A withdrawal or a close at review releases everything unspent; a reduced award
    releases the reduction. Scheduled instalments are re-planned to match.
    """
    reason = _require_reason(reason)
    day = day or timezone.localdate()
    with transaction.atomic():
        # The request first, as a pupil's move does: the budgets it has money on cannot
        # change between reading them and locking them.
        _lock_request(funding_request.pk)
        balances = selectors.request_budget_balances(funding_request)
        locks = lock_budgets(*balances)
        balances = selectors.request_budget_balances(funding_request)  # re-read under the lock
        unspent = {pk: t.unpaid_commitment for pk, t in balances.items() if t.unpaid_commitment > 0}
        total = sum(unspent.values(), ZERO)
        wanted = total if amount is None else _money(amount)
        if wanted < 0 or wanted > total:
            raise BudgetError(f"Only {gbp(total)} of this award is unspent and can be released.")
        entries = []
        # Release from the newest budget first (after a move, the one still paying).
        for pk in sorted(unspent, reverse=True):
            take = min(unspent[pk], wanted)
            if take <= 0:
                break
            entries.append(
                _entry(
                    locks[pk],
                    EntryKind.RELEASE,
                    take,
                    created_by=user,
                    reason=reason,
                    request=funding_request,
                    school_id=funding_request.school_id,
                )
            )
            wanted -= take
        current = max(unspent, default=None)
        if current is not None:
            _replan_instalments(funding_request, locks[current], funding_request.school_id, day)
    return entries


def settle_at_review(
    funding_request: FundingRequest,
    spent: Decimal,
    *,
    user: AbstractBaseUser | None,
    reason: str,
    day: date | None = None,
) -> selectors.Settlement:
    """Close the award's money at review, from what the school reports it spent.

    The unpaid instalments are cancelled. If the school spent more than it has been
    paid, the difference is one final instalment due ``day`` (the next payment run pays
    it) and only the rest (committed − spent) is released. If it spent less, what is
    unpaid is released (paid money cannot return to the budget) and the overpayment
    is recorded for the finance officers to recover; they are told.
    """
    reason = _require_reason(reason)
    spent = _money(spent)
    if spent < 0:
        raise BudgetError("The amount spent cannot be less than £0.")
    day = day or timezone.localdate()
    with transaction.atomic():
        balances = selectors.request_budget_balances(funding_request)
        locks = lock_budgets(*balances)
        balances = selectors.request_budget_balances(funding_request)  # re-read under the lock
        totals = sum(balances.values(), selectors.Totals())
        problem = selectors.spent_too_much(totals.committed, spent)
        if problem:
            raise BudgetError(problem)
        settlement = selectors.Settlement(totals.committed, totals.paid, spent)
        PaymentInstalment.objects.filter(
            request=funding_request, status=InstalmentStatus.SCHEDULED
        ).update(status=InstalmentStatus.CANCELLED)
        unpaid = {pk: t.unpaid_commitment for pk, t in balances.items() if t.unpaid_commitment > 0}
        # Release from the newest budget first (as release_for_request does); what stays
        # unpaid on each budget after that is the final payment due from it.
        wanted = settlement.released
        for pk in sorted(unpaid, reverse=True):
            take = min(unpaid[pk], wanted)
            if take <= 0:
                break
            _entry(
                locks[pk],
                EntryKind.RELEASE,
                take,
                created_by=user,
                reason=f"Not spent, returned at review: {reason}",
                request=funding_request,
                school_id=funding_request.school_id,
            )
            unpaid[pk] -= take
            wanted -= take
        PaymentInstalment.objects.bulk_create(
            [
                PaymentInstalment(
                    request=funding_request,
                    budget=locks[pk],
                    school_id=funding_request.school_id,
                    due_date=day,
                    term="Final payment at review",
                    amount=left,
                )
                for pk, left in sorted(unpaid.items())
                if left > 0
            ]
        )
        if settlement.overpaid > 0:
            budget = locks[max(balances)]
            Overpayment.objects.create(
                request=funding_request,
                school_id=funding_request.school_id,
                budget=budget,
                paid=settlement.paid,
                spent=spent,
                amount=settlement.overpaid,
                created_by=user,
            )
            announce(
                "overpayment", fr=funding_request, budget=budget, settlement=settlement, spent=spent
            )
    return settlement


def reduce_award(
    funding_request: FundingRequest, new_amount: Decimal, *, user: AbstractBaseUser, reason: str
) -> list[LedgerEntry]:
    """Lower an award after the decision (a review, or the panel on appeal): the difference
    is released to the budget it was committed on, the unpaid instalments are re-planned,
    the request's amount awarded follows and its timeline says why.

    A finance officer records it; it cannot go below what has already been paid.
    """
    policy.require_manage_budgets(user)
    reason = _require_reason(reason)
    new_amount = _money(new_amount)
    with transaction.atomic():
        locked = _lock_request(funding_request.pk)
        if locked.state not in FUNDED:
            raise BudgetError("Only a funded request's award can be reduced.")
        totals = selectors.request_totals(locked)
        if new_amount < totals.paid:
            raise BudgetError(
                f"{gbp(totals.paid)} has already been paid: the award cannot go below it."
            )
        if new_amount >= totals.committed:
            raise BudgetError(
                f"Enter an amount below the current award of {gbp(totals.committed)}."
            )
        entries = release_for_request(
            locked,
            totals.committed - new_amount,
            user=user,
            reason=f"Award reduced to {gbp(new_amount)}: {reason}",
        )
        funding_services.reduce_award(
            locked,
            new_amount,
            user=user,
            message=f"Award reduced from {gbp(totals.committed)} to {gbp(new_amount)}. {reason}",
        )
    funding_request.refresh_from_db()
    return entries


def move_pupil(
    funding_request: FundingRequest,
    new_school: School,
    *,
    user: AbstractBaseUser,
    reason: str,
    override_reason: str = "",
    day: date | None = None,
) -> list[LedgerEntry]:
    """The funded pupil moved school in the county: the unspent award follows them.

    The unspent commitment is released at the old school and committed at the new
    one (on its cluster's budget for the same stream and year), unpaid instalments
    move with it, and the request now belongs to the new school; the history stays
    on the ledger and the request's timeline. An LA officer (SEND or finance) does it.

    If the receiving cluster's budget cannot cover what moves, the move is refused
    and nothing changes, exactly as an over-budget approval is: a finance officer
    either records an over-budget override for the request beforehand, or does the
    move and gives ``override_reason``. The commitment then carries the override, so
    both dashboards flag the cluster ("over budget by finance officer override")
    and show it below zero. The money is never quietly lost in either direction:
    the pupil keeps the award; the receiving cluster's overspend is visible and
    owned by someone with a reason.
    """
    if not policy.can_move_pupil(user):
        raise BudgetError("Only an LA officer can move a pupil's funding.")
    reason = _require_reason(reason)
    day = day or timezone.localdate()
    if new_school.cluster_id is None or not new_school.is_open:
        raise BudgetError("Choose an open school in one of the county's clusters.")
    if new_school.pk == funding_request.school_id:
        raise BudgetError("The pupil is already at that school.")
    with transaction.atomic():
        locked_request = _lock_request(funding_request.pk)
        if locked_request.state not in FUNDED:
            raise BudgetError("Only funded requests have money that can follow the pupil.")
        balances = selectors.request_budget_balances(locked_request)
        if not balances:
            raise BudgetError("Nothing has been committed for this request.")
        # The new budget is for the same year as the award's current budget.
        current_budget = ClusterBudget.objects.get(pk=max(balances))
        target, _ = ClusterBudget.objects.get_or_create(
            cluster_id=new_school.cluster_id,
            stream_id=current_budget.stream_id,
            year_id=current_budget.year_id,
        )
        locks = lock_budgets(*balances, target.pk)
        balances = selectors.request_budget_balances(locked_request)
        old_school_id = locked_request.school_id
        batch = uuid.uuid4()
        entries: list[LedgerEntry] = []
        moving = ZERO
        for pk, totals in sorted(balances.items()):
            unspent = totals.unpaid_commitment
            if unspent <= 0:
                continue
            moving += unspent
            entries.append(
                _entry(
                    locks[pk],
                    EntryKind.RELEASE,
                    unspent,
                    created_by=user,
                    reason=f"Pupil moved to {new_school.name}: {reason}",
                    request=locked_request,
                    school_id=old_school_id,
                    batch=batch,
                )
            )
        if moving <= 0:
            raise BudgetError("All of this award has been paid: there is nothing left to move.")
        # Read after the releases above, so a move within one cluster frees its own money.
        room = selectors.budget_totals(locks[target.pk]).available
        override = None
        if room < moving:
            override = selectors.unused_override(locked_request)
            given = (override_reason or "").strip()
            if override is None and given and policy.can_manage_budgets(user):
                override = BudgetOverride.objects.create(
                    request=locked_request, created_by=user, reason=given
                )
            if override is None:
                raise NotEnoughBudget(
                    f"{target.cluster} has {gbp(max(room, ZERO))} available in {target.stream} "
                    f"for {target.year}, {gbp(moving - room)} less than the {gbp(moving)} that "
                    "would follow the pupil. An LA finance officer can make the move with an "
                    "over-budget override and a reason."
                )
        entries.append(
            _entry(
                locks[target.pk],
                EntryKind.COMMITMENT,
                moving,
                created_by=user,
                reason=f"Pupil moved from {locked_request.school.name}: {reason}",
                request=locked_request,
                school_id=new_school.pk,
                batch=batch,
                override=override,
            )
        )
        locked_request = funding_services.move_to_school(
            locked_request,
            new_school,
            user=user,
            message=f"Pupil moved to {new_school.name}; {gbp(moving)} of funding follows them. {reason}",
        )
        _replan_instalments(locked_request, locks[target.pk], new_school.pk, day)
    funding_request.refresh_from_db()
    return entries


# --- payments ----------------------------------------------------------------------


def _replan_instalments(
    funding_request: FundingRequest, budget: ClusterBudget, school_id: int, day: date
) -> list[PaymentInstalment]:
    """Cancel the unpaid instalments and plan the unspent award again, termly, from ``day``."""
    PaymentInstalment.objects.filter(
        request=funding_request, status=InstalmentStatus.SCHEDULED
    ).update(status=InstalmentStatus.CANCELLED)
    unspent = selectors.request_totals(funding_request).unpaid_commitment
    if unspent <= 0:
        return []
    start = max(funding_request.start_date or day, day)
    end = funding_request.end_date or start
    plan = [p for p in instalment_plan(unspent, start, end) if p[2] > 0]
    return PaymentInstalment.objects.bulk_create(
        [
            PaymentInstalment(
                request=funding_request,
                budget=budget,
                school_id=school_id,
                due_date=due,
                term=term,
                amount=share,
            )
            for due, term, share in plan
        ]
    )


# Payments continue while an award is funded, and after a close at review for the final
# payment of what the school spent but had not been paid.
PAYABLE = FUNDED | {State.CLOSED}


def _unpayable(inst: PaymentInstalment) -> str | None:
    """Why a scheduled instalment cannot be paid now, and what to do (None: it can be)."""
    funding_request = inst.request
    if funding_request.state not in PAYABLE:
        return (
            f"{funding_request.reference} is {funding_request.get_state_display().lower()}, so "
            "nothing more is paid on it. Check its ledger and timeline: if the school is still "
            "owed this money, pay it by an adjustment with a reason."
        )
    unpaid = selectors.request_totals(funding_request).unpaid_commitment
    if inst.amount > unpaid:
        return (
            f"The award has {gbp(max(unpaid, ZERO))} left unpaid, less than this "
            f"{gbp(inst.amount)} instalment: it changed after the instalment was planned. "
            "Check the request's ledger; reducing the award re-plans its instalments."
        )
    return None


def pay_instalment(
    instalment: PaymentInstalment,
    *,
    user: AbstractBaseUser | None,
    day: date | None = None,
    at: datetime | None = None,
) -> LedgerEntry:
    """Pay one scheduled instalment: a payment on the ledger drawing down the commitment.

    Refused with :class:`InstalmentUnpayable` when the request is no longer funded or the
    instalment is more than the award has left unpaid. The payment is dated now, or
    ``at`` (the demo replays a year's payment runs, each on its day).
    """
    if user is not None:
        policy.require_manage_budgets(user)
    with transaction.atomic():
        # Request, budget, instalment: the order a pupil's move locks them in, so the
        # instalment cannot move to another budget between the two locks.
        _lock_request(instalment.request_id)
        budget_id = PaymentInstalment.objects.values_list("budget_id", flat=True).get(
            pk=instalment.pk
        )
        lock_budgets(budget_id)
        inst = PaymentInstalment.objects.select_for_update().get(pk=instalment.pk)
        if inst.status != InstalmentStatus.SCHEDULED:
            raise BudgetError("This instalment is not waiting to be paid.")
        problem = _unpayable(inst)
        if problem:
            raise InstalmentUnpayable(problem)
        entry = _entry(
            inst.budget,
            EntryKind.PAYMENT,
            inst.amount,
            created_by=user,
            reason=f"{inst.term} instalment",
            request_id=inst.request_id,
            school_id=inst.school_id,
            paid_instalment=inst,
            at=at,
        )
        inst.status, inst.payment = InstalmentStatus.PAID, entry
        inst.skip_reason, inst.skipped_on = "", None
        inst.save(update_fields=["status", "payment", "skip_reason", "skipped_on"])
    return entry


def _record_skip(inst: PaymentInstalment, reason: str, day: date) -> bool:
    """Keep why the run skipped ``inst`` on it; True when that is news (new, or a new reason)."""
    changed = (
        PaymentInstalment.objects.filter(pk=inst.pk, status=InstalmentStatus.SCHEDULED)
        .exclude(skip_reason=reason)
        .update(skip_reason=reason, skipped_on=day)
    )
    inst.skip_reason, inst.skipped_on = reason, day
    return bool(changed)


def _tell_finance_of_skips(skipped: list[PaymentInstalment], day: date) -> None:
    """One notification for the run, listing every instalment newly skipped."""
    with transaction.atomic():
        announce("payments_skipped", skipped=skipped, day=day)


def pay_due_instalments(
    *, on_date: date | None = None, user: AbstractBaseUser | None = None
) -> int:
    """Pay every scheduled instalment due by ``on_date`` (the termly payment run).

    Safe to run twice, or twice at once: each instalment is paid in its own
    transaction under a row lock, a paid one is skipped, and the database refuses
    a second payment entry for one instalment (``LedgerEntry.paid_instalment`` is
    one-to-one). Returns how many were paid by this run.

    Nothing is skipped silently: every instalment not paid is logged with its request
    and the reason. One that cannot be paid (:func:`_unpayable`) keeps the reason,
    shown on the payments page until it is paid or re-planned, and the finance
    officers get one notification per run listing those skipped for a new reason, so
    the same skip is not reported again every morning.
    """
    if user is not None:
        policy.require_manage_budgets(user)
    day = on_date or timezone.localdate()
    due = (
        PaymentInstalment.objects.filter(status=InstalmentStatus.SCHEDULED, due_date__lte=day)
        .select_related("request", "school")
        .order_by("budget_id", "due_date", "pk")
    )
    paid = 0
    news: list[PaymentInstalment] = []
    for inst in due:
        try:
            pay_instalment(inst, user=user, day=day)
        except InstalmentUnpayable as exc:
            logger.warning(
                "Payment run %s: skipped instalment %s of %s (%s, %s due %s): %s",
                day,
                inst.pk,
                inst.request.reference,
                inst.term,
                gbp(inst.amount),
                inst.due_date,
                exc.message,
            )
            if _record_skip(inst, exc.message, day):
                news.append(inst)
            continue
        except (BudgetError, IntegrityError) as exc:
            # Paid meanwhile by another run, or cancelled by a re-plan: nothing is owed.
            logger.info(
                "Payment run %s: instalment %s of %s not paid by this run: %s",
                day,
                inst.pk,
                inst.request.reference,
                getattr(exc, "message", "paid by another run at the same time"),
            )
            continue
        paid += 1
    if news:
        _tell_finance_of_skips(news, day)
    return paid


# --- Term dates --------------------------------------------------------------------------


def _day_words(model_field: str) -> str:
    return str(TermDates._meta.get_field(model_field).verbose_name)


def _capital(words: str) -> str:
    return words[:1].upper() + words[1:]


def _term_dates_refusal(academic_year: int, days: dict[str, date]) -> BudgetError | None:
    """Why these term dates cannot be the LA's (None: they can), naming the field."""
    if not 2000 <= academic_year <= 2100:
        return BudgetError(
            "Enter the year the academic year starts, like 2026.", field="academic_year"
        )
    label = academic_year_label(academic_year)
    for name in TERM_DAY_FIELDS:
        if days.get(name) is None:
            return BudgetError(f"Enter the {_day_words(name)}.", field=name)
    # Terms start and end on school days; a half-term may be given with its weekends.
    for name in (f for f in TERM_DAY_FIELDS if "half" not in f):
        if days[name].weekday() >= 5:
            return BudgetError(
                f"The {_day_words(name)} is a {days[name]:%A}: choose a weekday.", field=name
            )
    for earlier, later in zip(TERM_DAY_FIELDS, TERM_DAY_FIELDS[1:], strict=False):
        after = (
            days[later] > days[earlier] if later.endswith("first") else days[later] >= days[earlier]
        )
        if not after:
            return BudgetError(
                f"{_capital(_day_words(later))} must be after the {_day_words(earlier)} "
                f"({days[earlier]:%-d %B %Y}).",
                field=later,
            )
    autumn, summer_end = days["autumn_first"], days["summer_last"]
    if not (autumn.year == academic_year and 8 <= autumn.month <= 10):
        return BudgetError(
            f"The autumn term of {label} must start in August, September or October "
            f"{academic_year}.",
            field="autumn_first",
        )
    if not (summer_end.year == academic_year + 1 and 6 <= summer_end.month <= 8):
        return BudgetError(
            f"The summer term of {label} must end in June, July or August {academic_year + 1}.",
            field="summer_last",
        )
    return None


@transaction.atomic
def save_term_dates(
    *,
    user: AbstractBaseUser,
    academic_year: int,
    term_dates: TermDates | None = None,
    version: int | None = None,
    **days: date,
) -> TermDates:
    """The LA SEND officer enters or changes one academic year's terms and half-terms.

    From then on that year's payments fall due on its term days and panel meetings keep
    out of its holidays; instalments already planned and meetings already published keep
    their dates. A year may not overlap the years either side of it.
    """
    policy.require_manage_term_dates(user)
    unknown = set(days) - set(TERM_DAY_FIELDS)
    if unknown:
        raise BudgetError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    if term_dates is not None:
        academic_year = term_dates.academic_year
    if refusal := _term_dates_refusal(academic_year, days):
        raise refusal
    # The neighbours are locked too, so two officers cannot enter overlapping years at once.
    years = {
        t.academic_year: t
        for t in TermDates.objects.select_for_update().filter(
            academic_year__in=[academic_year - 1, academic_year, academic_year + 1]
        )
    }
    label = academic_year_label(academic_year)
    if term_dates is None and academic_year in years:
        raise BudgetError(
            f"The term dates for {label} are already entered: change them instead.",
            field="academic_year",
        )
    if (before := years.get(academic_year - 1)) and before.summer_last >= days["autumn_first"]:
        raise BudgetError(
            f"The autumn term must start after the summer term of {before.label} ends "
            f"({before.summer_last:%-d %B %Y}).",
            field="autumn_first",
        )
    if (after := years.get(academic_year + 1)) and after.autumn_first <= days["summer_last"]:
        raise BudgetError(
            f"The summer term must end before the autumn term of {after.label} starts "
            f"({after.autumn_first:%-d %B %Y}).",
            field="summer_last",
        )
    if term_dates is not None:
        term_dates = years[academic_year]
        check_version(term_dates, version, yours=days, what=f"the term dates for {label}")
        advance_version(term_dates)
    term_dates = term_dates or TermDates(academic_year=academic_year)
    for name, value in days.items():
        setattr(term_dates, name, value)
    term_dates.updated_by = user
    term_dates.save()
    return term_dates


# --- Balances kept as the ledger moves ------------------------------------------------------


def check_balances() -> list[selectors.BalanceDifference]:
    """The nightly proof that every budget's balance equals its ledger's sums. Any
    difference is logged as an error (so error reporting sees it) and the finance
    officers are told which budget and by how much; nothing is changed (the ledger is
    the truth, and ``repair_balances`` rebuilds the balances from it)."""
    differences = selectors.balance_differences()
    if differences:
        for d in differences:
            logger.error(
                "budget balance differs from its ledger",
                extra={"budget": d.budget.pk, "kind": d.kind, "kept": str(d.kept),
                       "ledger": str(d.ledger)},
            )  # fmt: skip
        with transaction.atomic():
            announce("balances_differ", differences=differences)
    return differences


@transaction.atomic
def repair_balances() -> int:
    """Rebuild every budget's balance from its ledger, under the budgets' locks (so no
    entry is written meanwhile); returns how many balances changed. Idempotent."""
    differences = selectors.balance_differences()
    budget_ids = sorted({d.budget.pk for d in differences})
    lock_budgets(*budget_ids)
    for budget_id in budget_ids:
        entries = list(LedgerEntry.objects.filter(budget_id=budget_id))
        BudgetBalance.objects.filter(budget_id=budget_id).delete()
        BudgetBalance.objects.create(budget_id=budget_id)
        BudgetBalance.record(entries)
        logger.warning("budget balance rebuilt from its ledger", extra={"budget": budget_id})
    return len(budget_ids)
