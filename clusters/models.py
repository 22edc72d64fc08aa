"""Districts, locality clusters, schools, their yearly statistics, and who belongs where."""

from datetime import date
from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from portal.storage import private_storage


class District(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Cluster(models.Model):
    """A locality cluster: the schools that share a panel and a devolved budget."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="clusters")
    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["district__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"], name="cluster_name_unique_in_district"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Phase(models.TextChoices):
    NURSERY = "nursery", "Nursery"
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    ALL_THROUGH = "all_through", "All-through"
    POST_16 = "post16", "16 plus"
    SPECIAL = "special", "Special"
    OTHER = "other", "Other"


class School(models.Model):
    """One establishment from the GIAS register."""

    urn = models.PositiveIntegerField("URN", unique=True)
    name = models.CharField(max_length=200)
    la_code = models.CharField("LA code", max_length=10, db_index=True)
    la_name = models.CharField("LA name", max_length=120, blank=True)
    establishment_number = models.CharField(max_length=10, blank=True)
    establishment_type = models.CharField(max_length=120, blank=True)
    type_group = models.CharField(max_length=120, blank=True)
    gias_phase = models.CharField("phase of education (GIAS)", max_length=60, blank=True)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.OTHER)
    status = models.CharField(max_length=60, default="Open")
    is_open = models.BooleanField(default=True)
    open_date = models.DateField(null=True, blank=True)
    close_date = models.DateField(null=True, blank=True)
    statutory_low_age = models.PositiveSmallIntegerField(null=True, blank=True)
    statutory_high_age = models.PositiveSmallIntegerField(null=True, blank=True)
    district_administrative = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    trust_name = models.CharField(max_length=200, blank=True)
    gias_last_changed = models.DateField(null=True, blank=True)
    # Every school belongs to a cluster; null only while an import reports it unmapped.
    cluster = models.ForeignKey(
        Cluster, on_delete=models.PROTECT, related_name="schools", null=True, blank=True
    )

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["cluster", "name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"


class SchoolYearStats(models.Model):
    """A school's figures for one academic year (``academic_year`` 2025 means 2025/26)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="year_stats")
    academic_year = models.PositiveSmallIntegerField()
    number_on_roll = models.PositiveIntegerField(default=0)
    fsm_pupils = models.PositiveIntegerField("pupils eligible for FSM", default=0)
    fsm_percent = models.DecimalField(
        "FSM %", max_digits=5, decimal_places=2, default=Decimal("0.00")
    )
    ehcp_pupils = models.PositiveIntegerField("pupils with an EHC plan", default=0)
    sen_support_pupils = models.PositiveIntegerField("pupils on SEN support", default=0)
    suspensions = models.PositiveIntegerField(default=0)
    permanent_exclusions = models.PositiveIntegerField(default=0)
    sen_joiners_no_move = models.PositiveIntegerField(
        "joiners with SEN who did not move house", default=0
    )
    notional_sen_budget = models.DecimalField(
        "notional SEN budget (£)", max_digits=12, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        ordering = ["school", "-academic_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "academic_year"], name="one_stats_row_per_school_year"
            ),
            models.CheckConstraint(
                condition=Q(ehcp_pupils__lte=models.F("number_on_roll"))
                & Q(sen_support_pupils__lte=models.F("number_on_roll"))
                & Q(fsm_pupils__lte=models.F("number_on_roll")),
                name="stats_counts_within_roll",
            ),
        ]
        verbose_name_plural = "school year statistics"

    def __str__(self) -> str:
        return f"{self.school} {self.year_label}"

    @property
    def year_label(self) -> str:
        return academic_year_label(self.academic_year)

    def _percent_of_roll(self, count: int) -> Decimal | None:
        if not self.number_on_roll:
            return None
        return (Decimal(count) * 100 / self.number_on_roll).quantize(Decimal("0.1"))

    @property
    def ehcp_percent(self) -> Decimal | None:
        return self._percent_of_roll(self.ehcp_pupils)

    @property
    def sen_support_percent(self) -> Decimal | None:
        return self._percent_of_roll(self.sen_support_pupils)


def academic_year_label(year: int) -> str:
    """2025 → "2025/26"."""
    return f"{year}/{(year + 1) % 100:02d}"


class Role(models.TextChoices):
    SENCO = "senco", "SENCO"
    HEADTEACHER = "headteacher", "Headteacher"
    PANEL_MEMBER = "panel_member", "Panel member"
    LA_SEND_OFFICER = "la_send_officer", "LA SEND officer"
    LA_FINANCE_OFFICER = "la_finance_officer", "LA finance officer"
    # Reads the view audit (who opened which request, when), nothing of the requests.
    DPO = "dpo", "Data protection officer"


SCHOOL_ROLES = {Role.SENCO, Role.HEADTEACHER}
# The LA's officers: they see the county's requests (Scope.is_la).
LA_ROLES = {Role.LA_SEND_OFFICER, Role.LA_FINANCE_OFFICER}
# Roles the LA holds for the whole county, naming neither a school nor a cluster.
COUNTY_ROLES = LA_ROLES | {Role.DPO}


def current_membership(prefix: str = "", on: date | None = None) -> Q:
    """The one rule of a current membership (docs/architecture.md §2, "Leavers"): one
    ended from a date stops giving access on that date. ``prefix`` reaches memberships
    from another model (``"memberships__"`` from a user, inside the same ``filter()`` so
    the conditions apply to the same membership)."""
    on = on or timezone.localdate()
    return Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gt": on})


class MembershipQuerySet(models.QuerySet):
    def current(self, on: date | None = None) -> "MembershipQuerySet":
        """Memberships giving access on ``on`` (today): every scope starts here."""
        return self.filter(current_membership(on=on))


class Membership(models.Model):
    """What a user is, and where: a school role, a cluster role, or an LA-wide role.

    A leaver's membership is ended (``ends_on``), never deleted: the record stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=30, choices=Role.choices)
    school = models.ForeignKey(
        School, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    cluster = models.ForeignKey(
        Cluster, on_delete=models.CASCADE, null=True, blank=True, related_name="memberships"
    )
    created = models.DateTimeField(auto_now_add=True)
    # The first day the membership no longer gives access (null: it has not ended).
    ends_on = models.DateField("ends on", null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user", "role"]
        constraints = [
            # School roles name a school; a panel member (not from a school) names a
            # cluster; LA roles name neither.
            models.CheckConstraint(
                condition=(
                    Q(role__in=["senco", "headteacher"], school__isnull=False, cluster__isnull=True)
                    | Q(role="panel_member", cluster__isnull=False, school__isnull=True)
                    | Q(
                        role__in=["la_send_officer", "la_finance_officer", "dpo"],
                        school__isnull=True,
                        cluster__isnull=True,
                    )
                ),
                name="membership_scope_matches_role",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "school", "cluster"],
                name="membership_unique",
            ),
        ]

    def __str__(self) -> str:
        where = self.school or self.cluster or "county"
        return f"{self.user} — {self.get_role_display()} — {where}"

    @property
    def place(self) -> str:
        return str(self.school or self.cluster or "The county")

    @property
    def has_ended(self) -> bool:
        """Ended or ending: an end date is set (the page offers no second end)."""
        return self.ends_on is not None

    def is_current(self, on: date | None = None) -> bool:
        return self.ends_on is None or self.ends_on > (on or timezone.localdate())


class ImportKind(models.TextChoices):
    GIAS = "gias", "GIAS establishments"
    STATS = "stats", "School statistics"


class ImportStatus(models.TextChoices):
    REJECTED = "rejected", "Not imported: the file has problems"
    PREVIEW = "preview", "Ready to apply"
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Importing"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Not imported"
    DISCARDED = "discarded", "Discarded"


def _import_upload_to(instance, filename):  # pragma: no cover - saved by name
    return f"imports/{filename}"


class SchoolImport(models.Model):
    """One upload of a GIAS extract (with its optional cluster mapping) or a statistics
    file by the LA SEND officer: its problems, or the preview of what it will change;
    then the worker's apply, its progress and what it did.

    The files are kept in the private storage only from the preview until the import
    is applied or discarded (docs/architecture.md §8)."""

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    status = models.CharField(max_length=10, choices=ImportStatus.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    filename = models.CharField(max_length=200, blank=True)
    file = models.FileField(
        storage=private_storage, upload_to=_import_upload_to, max_length=300, blank=True
    )
    mapping_filename = models.CharField(max_length=200, blank=True)
    mapping_file = models.FileField(
        storage=private_storage, upload_to=_import_upload_to, max_length=300, blank=True
    )
    la_code = models.CharField(max_length=10, blank=True)
    academic_year = models.PositiveSmallIntegerField(null=True, blank=True)
    rows_read = models.PositiveIntegerField(default=0)
    # [{"line", "column", "message", "source"}]
    errors = models.JSONField(default=list, blank=True)
    # What the file will change: counts and lists (see clusters.uploads).
    preview = models.JSONField(default=dict, blank=True)
    # The URNs whose rows the preview read, and a hash of those rows as they were then:
    # an apply whose rows have changed since (another import, a move) is refused.
    scope = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    result = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_done__lte=models.F("rows_total")), name="import_done_within_total"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk}: {self.get_status_display()}"

    @property
    def heading(self) -> str:
        """The page's heading and title."""
        what = "GIAS extract" if self.kind == ImportKind.GIAS else "statistics file"
        title = what[0].upper() + what[1:]
        return {
            ImportStatus.REJECTED: f"{title} not imported: problems found",
            ImportStatus.PREVIEW: f"Check what the {what} will change",
            ImportStatus.QUEUED: f"Importing the {what}",
            ImportStatus.RUNNING: f"Importing the {what}",
            ImportStatus.SUCCEEDED: f"{title} imported",
            ImportStatus.FAILED: f"{title} not imported",
            ImportStatus.DISCARDED: f"{title} discarded",
        }[self.status]

    @property
    def is_gias(self) -> bool:
        return self.kind == ImportKind.GIAS

    @property
    def is_rejected(self) -> bool:
        return self.status == ImportStatus.REJECTED

    @property
    def is_preview(self) -> bool:
        return self.status == ImportStatus.PREVIEW

    @property
    def is_working(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)

    @property
    def is_succeeded(self) -> bool:
        return self.status == ImportStatus.SUCCEEDED

    @property
    def is_failed(self) -> bool:
        return self.status == ImportStatus.FAILED

    @property
    def is_finished(self) -> bool:
        return not (self.is_preview or self.is_working)

    @property
    def progress(self) -> int:
        """Per cent of the file's rows read by the worker (100 once written)."""
        if self.is_succeeded:
            return 100
        return self.rows_done * 100 // self.rows_total if self.rows_total else 0


# Who uploaded, applied or discarded an import, and what it did (django-auditlog; the
# other set-up models are listed in settings.AUDITLOG_INCLUDE_TRACKING_MODELS).
auditlog.register(
    SchoolImport,
    exclude_fields=["preview", "scope", "errors", "rows_done", "progress_message"],
)
