"""Devolved cluster budgets and the append-only ledger that is their only truth.

A :class:`ClusterBudget` holds no running totals: every figure (allocated,
committed, paid, available) is a sum over its :class:`LedgerEntry` rows, so the
totals cannot drift from the ledger. Ledger rows are written once and never
changed: the app refuses updates and deletes, and on PostgreSQL a trigger
refuses them below the app too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from clusters.models import Cluster, School
from funding.models import FundingRequest, FundingStream
from portal.money import format_gbp
from portal.versions import VersionField

ZERO = Decimal("0.00")
PENNY = Decimal("0.01")


class FinancialYear(models.Model):
    """An English public-sector financial year: 1 April to 31 March."""

    start_year = models.PositiveSmallIntegerField(unique=True)

    class Meta:
        ordering = ["-start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_year__gte=2000) & Q(start_year__lte=2100),
                name="financial_year_plausible",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.start_year}/{(self.start_year + 1) % 100:02d}"

    @property
    def start(self) -> date:
        return date(self.start_year, 4, 1)

    @property
    def end(self) -> date:
        return date(self.start_year + 1, 3, 31)

    @staticmethod
    def start_year_for(day: date) -> int:
        return day.year if day.month >= 4 else day.year - 1

    @classmethod
    def for_date(cls, day: date) -> FinancialYear:
        year, _ = cls.objects.get_or_create(start_year=cls.start_year_for(day))
        return year


class ClusterBudget(models.Model):
    """A cluster's devolved budget for one funding stream in one financial year."""

    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="budgets")
    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="budgets")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="budgets")
    created_at = models.DateTimeField(auto_now_add=True)
    # Moves on with every change the LA makes to the budget (allocation, adjustment,
    # transfer): a change based on an older one is refused (portal/versions.py).
    version = VersionField()

    class Meta:
        ordering = ["year", "stream", "cluster"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "stream", "year"], name="one_budget_per_cluster_stream_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cluster} — {self.stream} — {self.year}"


BALANCE_KINDS = ("allocation", "adjustment", "commitment", "release", "payment")
MONTHS = tuple(f"m{i}" for i in range(12))  # April to March


class BudgetBalance(models.Model):
    """The running sums of one budget's ledger, by kind, so that dashboards read one row
    per budget instead of summing its ledger.

    Kept by the ledger itself: each entry written (``LedgerEntry.save`` or the ledger's
    ``bulk_create``) adds its amount here in the same transaction, under this row's lock
    (the UPDATE's), after the services' lock on the budget. The ledger stays the truth:
    ``budgets.services.balance_differences`` proves every balance equals its ledger's sums
    (a nightly task alerts on any difference) and ``repair_balances`` rebuilds them.
    """

    budget = models.OneToOneField(
        ClusterBudget, on_delete=models.CASCADE, primary_key=True, related_name="balance"
    )
    allocation = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    adjustment = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    commitment = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    release = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    payment = models.DecimalField(max_digits=14, decimal_places=2, default=ZERO)
    overrides = models.PositiveIntegerField(default=0)
    last_entry_id = models.BigIntegerField(null=True, blank=True)
    # Net commitment (commitment − release) by month of the budget's financial year,
    # April first, by the entry's date in the portal's time zone: the dashboards' trend.
    m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11 = (
        models.DecimalField(max_digits=14, decimal_places=2, default=ZERO) for _ in range(12)
    )

    def __str__(self) -> str:
        return f"Balance of budget {self.budget_id}"

    @staticmethod
    def month_of(entry: LedgerEntry, start_year: int) -> str | None:
        """The month column an entry's net commitment counts in (None: outside the year)."""
        if entry.kind not in (EntryKind.COMMITMENT, EntryKind.RELEASE):
            return None
        day = timezone.localtime(entry.created_at)
        index = (day.year - start_year) * 12 + day.month - 4
        return f"m{index}" if 0 <= index < 12 else None

    @classmethod
    def record(cls, entries: list[LedgerEntry], last_entry_id: int | None = None) -> None:
        """Add newly written ledger entries to their budgets' balances (inside their
        transaction): one UPDATE per budget, in budget order so two writers never deadlock."""
        by_budget: dict[int, dict] = {}
        start_years = dict(
            ClusterBudget.objects.filter(pk__in={e.budget_id for e in entries}).values_list(
                "pk", "year__start_year"
            )
        )
        for entry in entries:
            row = by_budget.setdefault(
                entry.budget_id, {k: ZERO for k in BALANCE_KINDS} | {"overrides": 0, "last": 0}
            )
            row[entry.kind] += entry.amount
            if month := cls.month_of(entry, start_years[entry.budget_id]):
                sign = 1 if entry.kind == EntryKind.COMMITMENT else -1
                row[month] = row.get(month, ZERO) + sign * entry.amount
            row["overrides"] += entry.override_id is not None
            row["last"] = max(row["last"], entry.pk or last_entry_id or 0)
        if not by_budget:
            return
        cls.objects.bulk_create(
            [cls(budget_id=b) for b in sorted(by_budget)], ignore_conflicts=True
        )
        for budget_id in sorted(by_budget):
            row = by_budget[budget_id]
            changes = {k: F(k) + row[k] for k in (*BALANCE_KINDS, *MONTHS) if row.get(k)}
            if row["overrides"]:
                changes["overrides"] = F("overrides") + row["overrides"]
            changes["last_entry_id"] = Greatest(Coalesce(F("last_entry_id"), 0), row["last"])
            cls.objects.filter(budget_id=budget_id).update(**changes)


class AllocationRun(models.Model):
    """One formula allocation of a county pot, kept with its inputs so the workings reproduce."""

    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="+")
    year = models.ForeignKey(FinancialYear, on_delete=models.PROTECT, related_name="allocations")
    pot = models.DecimalField("county pot (£)", max_digits=14, decimal_places=2)
    weight_roll = models.DecimalField(max_digits=7, decimal_places=4)
    weight_fsm = models.DecimalField(max_digits=7, decimal_places=4)
    weight_sen_support = models.DecimalField(max_digits=7, decimal_places=4)
    lump_sum = models.DecimalField(
        "lump sum per cluster (£)", max_digits=12, decimal_places=2, default=ZERO
    )
    stats_year = models.PositiveSmallIntegerField(
        help_text="Academic year of the school statistics used (2025 means 2025/26)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A second run would double-count: later changes are adjustments, with reasons.
            models.UniqueConstraint(
                fields=["stream", "year"], name="one_allocation_per_stream_year"
            ),
            models.CheckConstraint(
                condition=Q(pot__gt=0)
                & Q(lump_sum__gte=0)
                & Q(weight_roll__gte=0)
                & Q(weight_fsm__gte=0)
                & Q(weight_sen_support__gte=0),
                name="allocation_inputs_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stream} {self.year}: {format_gbp(self.pot)}"


class BudgetOverride(models.Model):
    """A finance officer's permission for one approval to take a budget below zero."""

    request = models.ForeignKey(
        FundingRequest, on_delete=models.PROTECT, related_name="budget_overrides"
    )
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Override for {self.request}"


class EntryKind(models.TextChoices):
    ALLOCATION = "allocation", "Allocation"
    ADJUSTMENT = "adjustment", "Adjustment"
    COMMITMENT = "commitment", "Commitment"
    RELEASE = "release", "Release"
    PAYMENT = "payment", "Payment"


class LedgerQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused: the ledger only grows."""

    def update(self, **kwargs):
        raise LedgerImmutableError("Ledger entries cannot be changed.")

    def delete(self):
        raise LedgerImmutableError("Ledger entries cannot be deleted.")

    def bulk_create(self, objs, *args, **kwargs):
        """Entries written together, their budgets' balances moved in the same transaction."""
        with transaction.atomic(using=self.db):
            made = super().bulk_create(objs, *args, **kwargs)
            last = None
            if any(entry.pk is None for entry in made):  # a database that returns no ids
                last = self.aggregate(last=models.Max("id"))["last"]
            BudgetBalance.record(made, last_entry_id=last)
        return made


class LedgerImmutableError(Exception):
    pass


class LedgerEntry(models.Model):
    """One movement of money on a cluster budget. Written once, never changed.

    ``amount`` is positive for every kind except adjustments, which carry their
    sign (a reduction is negative), so the totals are plain sums by kind.
    """

    budget = models.ForeignKey(ClusterBudget, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    reason = models.TextField("why")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the portal itself wrote the entry (a scheduled payment run).",
    )
    # A default rather than auto_now_add so that an import of last year's spreadsheet (or a
    # benchmark) can keep the original dates; the services never set it.
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    request = models.ForeignKey(
        FundingRequest,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_entries",
    )
    # The school the money is for: it changes when a funded pupil moves.
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    allocation_run = models.ForeignKey(
        AllocationRun, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    override = models.ForeignKey(
        BudgetOverride, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    # Entries written together (a transfer's two legs, a pupil's move) share a batch.
    batch = models.UUIDField(null=True, blank=True, db_index=True)
    # The instalment a payment pays. One-to-one, so the database itself refuses a second
    # payment of the same instalment (a retried or doubled payment run).
    paid_instalment = models.OneToOneField(
        "PaymentInstalment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_payment",
    )

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["budget", "kind"]),
            models.Index(fields=["request", "budget"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="ledger_kind_known"
            ),
            models.CheckConstraint(
                condition=(Q(kind="adjustment") & ~Q(amount=0))
                | (~Q(kind="adjustment") & Q(amount__gt=0)),
                name="ledger_amount_signed_by_kind",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="ledger_has_reason"),
            models.CheckConstraint(
                condition=Q(kind__in=["allocation", "adjustment"]) | Q(request__isnull=False),
                name="ledger_request_money_names_request",
            ),
            models.CheckConstraint(
                condition=Q(paid_instalment__isnull=True) | Q(kind="payment"),
                name="ledger_only_payments_pay_instalments",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="ledger_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_gbp(self.amount)} on {self.budget_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise LedgerImmutableError("Ledger entries cannot be changed.")
        with transaction.atomic():
            super().save(*args, **kwargs)
            BudgetBalance.record([self])

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError("Ledger entries cannot be deleted.")


class InstalmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


class PaymentInstalment(models.Model):
    """A planned payment of an award (termly by default); paying it writes a ledger payment."""

    request = models.ForeignKey(
        FundingRequest, on_delete=models.PROTECT, related_name="instalments"
    )
    budget = models.ForeignKey(ClusterBudget, on_delete=models.PROTECT, related_name="instalments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(db_index=True)
    term = models.CharField(max_length=30)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    status = models.CharField(
        max_length=10, choices=InstalmentStatus.choices, default=InstalmentStatus.SCHEDULED
    )
    payment = models.OneToOneField(
        LedgerEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="instalment"
    )
    # Set by the payment run when it could not pay a due instalment: why, and what the
    # finance officer can do (shown on the payments page), and since when. Cleared by a
    # payment. The officers are told again only when the reason changes.
    skip_reason = models.TextField(blank=True, default="")
    skipped_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=InstalmentStatus.values), name="instalment_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status="paid", payment__isnull=False)
                | (~Q(status="paid") & Q(payment__isnull=True)),
                name="instalment_paid_has_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} {self.term} {format_gbp(self.amount)}"


class Overpayment(models.Model):
    """Money paid to a school beyond what it reported spending at review: to be recovered.

    Not a ledger row: the payments really happened and the ledger says so. This records
    the debt the school now owes back, for the finance officer to recover (by invoice or
    by netting it off a later award, outside the portal).
    """

    request = models.OneToOneField(
        FundingRequest, on_delete=models.PROTECT, related_name="overpayment"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    budget = models.ForeignKey(ClusterBudget, on_delete=models.PROTECT, related_name="overpayments")
    paid = models.DecimalField("paid to the school (£)", max_digits=12, decimal_places=2)
    spent = models.DecimalField("spent, as reported at review (£)", max_digits=12, decimal_places=2)
    amount = models.DecimalField("to recover (£)", max_digits=12, decimal_places=2)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(spent__gte=0) & Q(paid__gt=F("spent")),
                name="overpayment_paid_beyond_spent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} overpaid {format_gbp(self.amount)}"


# The terms of one academic year, in order: (field prefix, name, its half-term's name,
# the holiday that follows it).
TERMS = (
    ("autumn", "Autumn", "October half term", "Christmas holidays"),
    ("spring", "Spring", "February half term", "Easter holidays"),
    ("summer", "Summer", "May half term", "Summer holidays"),
)
TERM_DAY_FIELDS = tuple(
    f"{term}_{part}" for term, *_ in TERMS for part in ("first", "half_first", "half_last", "last")
)


class TermDates(models.Model):
    """The LA's term dates for one academic year: three terms, each with its half-term.

    Entered by the LA SEND officer, they replace the usual English pattern
    (``budgets.terms``) for that year: payments fall due on the first day of each term,
    panel meetings sit outside the half-terms and the holidays between the terms.
    """

    academic_year = models.PositiveSmallIntegerField(
        unique=True, help_text="The year the academic year starts: 2026 for 2026/27."
    )
    autumn_first = models.DateField("first day of the autumn term")
    autumn_half_first = models.DateField("first day of the October half term")
    autumn_half_last = models.DateField("last day of the October half term")
    autumn_last = models.DateField("last day of the autumn term")
    spring_first = models.DateField("first day of the spring term")
    spring_half_first = models.DateField("first day of the February half term")
    spring_half_last = models.DateField("last day of the February half term")
    spring_last = models.DateField("last day of the spring term")
    summer_first = models.DateField("first day of the summer term")
    summer_half_first = models.DateField("first day of the May half term")
    summer_half_last = models.DateField("last day of the May half term")
    summer_last = models.DateField("last day of the summer term")
    version = VersionField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-academic_year"]
        verbose_name_plural = "term dates"
        constraints = [
            # Each day after the one before: a half-term inside its term, the terms in order.
            models.CheckConstraint(
                condition=Q(
                    *[
                        Q(
                            **{
                                f"{later}__gt" if later.endswith("first") else f"{later}__gte": F(
                                    earlier
                                )
                            }
                        )
                        for earlier, later in zip(
                            TERM_DAY_FIELDS, TERM_DAY_FIELDS[1:], strict=False
                        )
                    ]
                ),
                name="term_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(academic_year__gte=2000) & Q(academic_year__lte=2100),
                name="term_dates_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"Term dates {self.label}"

    @property
    def label(self) -> str:
        return f"{self.academic_year}/{(self.academic_year + 1) % 100:02d}"

    def terms(self) -> list[dict]:
        """Each term with its days and names, in order, for pages and the calendar."""
        return [
            {
                "key": key,
                "name": name,
                "half_term": half,
                "holiday_after": after,
                "first": getattr(self, f"{key}_first"),
                "half_first": getattr(self, f"{key}_half_first"),
                "half_last": getattr(self, f"{key}_half_last"),
                "last": getattr(self, f"{key}_last"),
            }
            for key, name, half, after in TERMS
        ]
