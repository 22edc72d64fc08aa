"""A report run: what was asked, by whom, how far it has got, and its files."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clusters.models import Cluster, District
from portal.storage import private_storage


class ReportKind(models.TextChoices):
    INCLUSIVENESS = "inclusiveness", "Inclusiveness"
    FAIR_SHARE = "fair_share", "Fair share"
    IMPACT = "impact", "Impact"
    FORECAST = "forecast", "Budget forecast"
    KPI_PACK = "kpi_pack", "Schools Forum KPI"


class ScopeKind(models.TextChoices):
    COUNTY = "county", "County"
    DISTRICT = "district", "District"
    CLUSTER = "cluster", "Cluster"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Ready"
    FAILED = "failed", "Failed"


FILE_FORMATS = ("html", "csv", "xlsx", "pdf")


def _upload_to(instance, filename):  # pragma: no cover - files are saved by name
    return f"reports/{instance.pk}/{filename}"


class ReportRun(models.Model):
    kind = models.CharField(max_length=20, choices=ReportKind.choices)
    scope_kind = models.CharField(max_length=10, choices=ScopeKind.choices)
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cluster = models.ForeignKey(
        Cluster, on_delete=models.PROTECT, null=True, blank=True, related_name="report_runs"
    )
    academic_year = models.PositiveSmallIntegerField(help_text="2025 means 2025/26.")
    # Everything needed to produce the report again: thresholds, weights, national figure.
    parameters = models.JSONField(default=dict, blank=True)

    status = models.CharField(
        max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    progress_message = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The last sign of life: asked for, started, a step done, queued again. A run left
    # queued or running with none for a while lost its message or its worker
    # (services.requeue_stale_runs sends it again).
    progress_at = models.DateTimeField(default=timezone.now)
    # How many times it was sent to the worker again; only the latest message runs.
    requeues = models.PositiveSmallIntegerField(default=0)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the termly schedule asked for it.",
    )
    # Set for scheduled runs so the schedule never produces the same report twice.
    schedule_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    data_as_of = models.DateTimeField(
        null=True, blank=True, help_text="The moment of the database snapshot the report read."
    )

    result = models.JSONField(null=True, blank=True)
    html_file = models.FileField(storage=private_storage, upload_to=_upload_to, blank=True)
    csv_file = models.FileField(storage=private_storage, upload_to=_upload_to, blank=True)
    xlsx_file = models.FileField(storage=private_storage, upload_to=_upload_to, blank=True)
    pdf_file = models.FileField(storage=private_storage, upload_to=_upload_to, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["cluster", "-created_at"]),
            models.Index(
                fields=["progress_at"],
                name="report_unfinished_progress",
                condition=Q(status__in=["queued", "running"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope_kind="county", district__isnull=True, cluster__isnull=True)
                | Q(scope_kind="district", district__isnull=False, cluster__isnull=True)
                | Q(scope_kind="cluster", cluster__isnull=False, district__isnull=True),
                name="report_scope_matches_kind",
            ),
            # A report is never half there: ready means every file is attached.
            models.CheckConstraint(
                condition=~Q(status="succeeded")
                | (
                    ~Q(html_file="")
                    & ~Q(csv_file="")
                    & ~Q(xlsx_file="")
                    & ~Q(pdf_file="")
                    & Q(result__isnull=False)
                ),
                name="report_ready_has_files",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_progress_pct"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report, {self.scope_label}, {self.year_label}"

    @property
    def year_label(self) -> str:
        return f"{self.academic_year}/{(self.academic_year + 1) % 100:02d}"

    @property
    def year_caption(self) -> str:
        """The year as its page names it: the forecast is of a financial year."""
        if self.kind == ReportKind.KPI_PACK:
            term = (self.parameters or {}).get("term", "")
            return f"{term.capitalize()} term, academic year {self.year_label}"
        kind = "Financial" if self.kind == ReportKind.FORECAST else "Academic"
        return f"{kind} year {self.year_label}"

    @property
    def scope_label(self) -> str:
        if self.scope_kind == ScopeKind.CLUSTER:
            return f"{self.cluster.name} cluster"
        if self.scope_kind == ScopeKind.DISTRICT:
            return f"{self.district.name} district"
        return "the county"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)

    def file_for(self, fmt: str):
        return getattr(self, f"{fmt}_file")

    def open_file(self, fmt: str):
        """Open one of the run's files from the private storage as configured now."""
        return private_storage().open(self.file_for(fmt).name, "rb")


# ---------------------------------------------------------------- escalation data


class EscalationKind(models.TextChoices):
    EHCNA_REQUESTED = "ehcna_requested", "EHC needs assessment requested"
    EHCP_ISSUED = "ehcp_issued", "EHCP issued"
    SPECIALIST_PLACEMENT = "specialist_placement", "Specialist placement"
    AP_PLACEMENT = "ap_placement", "Alternative provision placement"
    PERMANENT_EXCLUSION = "permanent_exclusion", "Permanent exclusion"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Checking"
    SUCCEEDED = "succeeded", "Imported"
    FAILED = "failed", "Not imported"


class EscalationImport(models.Model):
    """One upload of the LA's escalation extract. The file itself is never kept: the
    rows are staged here already keyed (no UPN) until the worker has checked them."""

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    rows_read = models.PositiveIntegerField(default=0)
    records = models.PositiveIntegerField(default=0)
    # [{"line", "column", "message"}]; the messages never repeat a UPN.
    errors = models.JSONField(default=list, blank=True)
    # [[line, pupil key, kind, date, end date]] until the worker has written them.
    staged = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Escalation import {self.pk}: {self.get_status_display()}"

    @property
    def heading(self) -> str:
        """What its page says of it, as its heading and title."""
        return {"succeeded": "Extract imported", "failed": "Extract not imported"}.get(
            self.status, "Checking the extract"
        )


class EscalationRecord(models.Model):
    """One event in the LA's records for a pupil, by pupil key (never the UPN)."""

    pupil_key = models.CharField(max_length=64)
    kind = models.CharField(max_length=24, choices=EscalationKind.choices)
    on = models.DateField()
    # A placement's last day; empty while the pupil is still placed (or not a placement).
    ended = models.DateField(null=True, blank=True)
    source = models.ForeignKey(EscalationImport, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pupil_key", "on"]
        indexes = [models.Index(fields=["pupil_key", "kind", "on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil_key", "kind", "on"], name="one_escalation_event_a_day"
            ),
            models.CheckConstraint(
                condition=Q(ended__isnull=True) | Q(ended__gte=models.F("on")),
                name="escalation_ends_after_start",
            ),
        ]
