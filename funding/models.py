"""Funding streams and the requests schools make of them."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from clusters.models import Cluster, Phase, School
from portal.storage import private_storage
from portal.versions import VersionField

from .workflow import State

ZERO = Decimal("0.00")


class FundingStream(models.Model):
    """Exceptional Needs Grant, Inclusive Mainstream Fund, and the like."""

    code = models.CharField(
        max_length=6, unique=True, help_text="Prefix of request references, e.g. ENG."
    )
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    max_award = models.DecimalField(
        "maximum award (£)", max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    max_duration_weeks = models.PositiveSmallIntegerField("maximum duration (weeks)")
    eligible_phases = models.JSONField(
        default=list, help_text=f"Phases that may apply: {', '.join(Phase.values)}"
    )
    is_open = models.BooleanField("open for requests", default=True)
    # Two LA officers may edit a stream at once: an edit based on an older one is refused.
    version = VersionField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_award__gte=0), name="stream_max_award_not_negative"
            )
        ]

    def __str__(self) -> str:
        return self.name


class SEN2Need(models.TextChoices):
    """Primary need codes from the DfE SEN2 return."""

    SPLD = "SPLD", "Specific learning difficulty"
    MLD = "MLD", "Moderate learning difficulty"
    SLD = "SLD", "Severe learning difficulty"
    PMLD = "PMLD", "Profound and multiple learning difficulty"
    SEMH = "SEMH", "Social, emotional and mental health"
    SLCN = "SLCN", "Speech, language and communication needs"
    HI = "HI", "Hearing impairment"
    VI = "VI", "Visual impairment"
    MSI = "MSI", "Multi-sensory impairment"
    PD = "PD", "Physical disability"
    ASD = "ASD", "Autistic spectrum disorder"
    OTH = "OTH", "Other difficulty or disability"
    NSA = "NSA", "SEN support but no specialist assessment of type of need"


class NeedBand(models.Model):
    """A configurable banded descriptor of need that suggests the usual award range."""

    need = models.CharField(max_length=4, choices=SEN2Need.choices)
    band = models.PositiveSmallIntegerField()
    descriptor = models.TextField()
    usual_award_min = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    usual_award_max = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["need", "band"]
        constraints = [
            models.UniqueConstraint(fields=["need", "band"], name="one_band_per_need_level"),
            models.CheckConstraint(
                condition=Q(usual_award_min__lte=models.F("usual_award_max")),
                name="band_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.need} band {self.band}"


class RequestType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual pupil"
    GROUP = "group", "Group of pupils"
    PROJECT = "project", "School project"
    URGENT = "urgent", "Urgent (decided by chair's action)"


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class YearGroup(models.TextChoices):
    N1 = "N1", "Nursery 1"
    N2 = "N2", "Nursery 2"
    R = "R", "Reception"
    Y1 = "1", "Year 1"
    Y2 = "2", "Year 2"
    Y3 = "3", "Year 3"
    Y4 = "4", "Year 4"
    Y5 = "5", "Year 5"
    Y6 = "6", "Year 6"
    Y7 = "7", "Year 7"
    Y8 = "8", "Year 8"
    Y9 = "9", "Year 9"
    Y10 = "10", "Year 10"
    Y11 = "11", "Year 11"
    Y12 = "12", "Year 12"
    Y13 = "13", "Year 13"
    Y14 = "14", "Year 14"


class LiveRequests(models.Manager):
    """Every request but the drafts their schools deleted: those are kept for the audit
    (``FundingRequest.with_deleted``) and are in no list, search, dashboard or answer."""

    def get_queryset(self):
        return super().get_queryset().exclude(state=State.DELETED)


class AllRequests(models.Manager):
    """Deleted drafts too: the audit's view."""


class FundingRequest(models.Model):
    """A school's request for funding, pupil pseudonymised (no name, no UPN)."""

    reference = models.CharField(max_length=20, unique=True, null=True, blank=True)
    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="requests")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="funding_requests")
    # The cluster whose panel and budget the request goes to (the school's, kept
    # here so lists filter and budgets aggregate without a join).
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="funding_requests")
    request_type = models.CharField(
        max_length=12, choices=RequestType.choices, default=RequestType.INDIVIDUAL
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.DRAFT, db_index=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True, db_index=True)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # A deleted draft (the "delete" transition): who deleted it and when, for the audit.
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Every save by funding.services adds one; an edit based on an older one is refused
    # (portal/versions.py), so two tabs or two staff never overwrite each other.
    version = VersionField()

    # Pupil, pseudonymised.
    pupil_initials = models.CharField(max_length=4, blank=True)
    # HMAC-SHA256 of the pupil's UPN under the LA's secret (portal/pupil_key.py), never
    # the UPN: links the pupil's requests across years and schools, and to the LA's
    # escalation records. Empty when no UPN was given (a group, or not yet entered).
    pupil_key = models.CharField(max_length=64, blank=True, db_index=True)
    year_group = models.CharField(max_length=2, choices=YearGroup.choices, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    number_of_pupils = models.PositiveSmallIntegerField(
        default=1, help_text="More than one for a group request."
    )
    primary_need = models.CharField(
        max_length=4, choices=SEN2Need.choices, blank=True, db_index=True
    )
    secondary_need = models.CharField(max_length=4, choices=SEN2Need.choices, blank=True)
    sen_support_since = models.DateField(null=True, blank=True)
    band = models.ForeignKey(NeedBand, on_delete=models.SET_NULL, null=True, blank=True)

    # Evidence and plans.
    ordinarily_available_provision = models.TextField(blank=True)
    outcomes_sought = models.TextField(blank=True)
    agencies_involved = models.TextField(blank=True)
    parent_voice = models.TextField(blank=True)
    pupil_voice = models.TextField(blank=True)
    project_summary = models.TextField(blank=True, help_text="For a group or school project.")

    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    parental_consent = models.BooleanField(default=False)
    consent_date = models.DateField(null=True, blank=True)

    # Money: computed from the provision lines by the services, stored for lists
    # and aggregation. amount_requested = total_cost - school_contribution.
    total_cost = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    school_contribution = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    amount_requested = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    amount_awarded = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    reconsideration_used = models.BooleanField(default=False)
    # A continuation (renewal) names the earlier request it was pre-filled from.
    continues = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="continuations",
    )

    # The first manager is the default (lists, related managers, the admin's search).
    objects = LiveRequests()
    with_deleted = AllRequests()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["school", "-created_at"]),
            models.Index(fields=["state", "submitted_at"]),
            models.Index(fields=["cluster", "state"]),
            # The county-wide list's default order (newest first) at 50,000 requests.
            models.Index(fields=["-created_at"], name="request_created_desc"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_requested__gte=0)
                & Q(total_cost__gte=0)
                & Q(school_contribution__gte=0),
                name="request_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount_awarded__isnull=True) | Q(amount_awarded__gte=0),
                name="request_award_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="request_dates_ordered",
            ),
            # A draft withdrawn or deleted before it was ever submitted never had a reference.
            models.CheckConstraint(
                condition=Q(state="draft")
                | Q(reference__isnull=False)
                | Q(state__in=["withdrawn", "deleted"], submitted_at__isnull=True),
                name="request_reference_once_submitted",
            ),
            models.CheckConstraint(
                condition=~Q(state="deleted") | Q(deleted_at__isnull=False),
                name="deleted_draft_says_when",
            ),
        ]

    def __str__(self) -> str:
        return self.reference or f"Draft #{self.pk}"


class ReferenceCounter(models.Model):
    """Gap-free reference numbers per stream and year; incremented under a row lock."""

    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stream", "year"], name="one_counter_per_stream_year")
        ]


class ReviewCycle(models.Model):
    """One assess-plan-do-review cycle of the graduated approach."""

    request = models.ForeignKey(FundingRequest, on_delete=models.CASCADE, related_name="cycles")
    order = models.PositiveSmallIntegerField(default=1)
    assess = models.TextField("what was assessed")
    plan = models.TextField("what was planned and tried")
    duration_weeks = models.PositiveSmallIntegerField("for how many weeks")
    impact = models.TextField("impact at review")

    class Meta:
        ordering = ["request", "order"]


class RateCardEntry(models.Model):
    """The LA's standard hourly rate for a staffing role in a financial year (from 1 April).

    A staffing line takes its rate from here by default; a different rate needs a reason,
    which the panel reads beside the card's rate.
    """

    role = models.CharField(max_length=80)
    year = models.PositiveSmallIntegerField(
        help_text="The financial year, by the year it starts: 2026 is April 2026 to March 2027."
    )
    hourly_rate = models.DecimalField("rate (£ an hour)", max_digits=8, decimal_places=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "role"]
        constraints = [
            models.UniqueConstraint(fields=["role", "year"], name="one_rate_per_role_year"),
            models.CheckConstraint(condition=Q(hourly_rate__gt=0), name="card_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.role} ({self.year} to {self.year + 1})"

    @classmethod
    def card(cls, year: int) -> list[RateCardEntry]:
        """The card for one financial year, by role."""
        return list(cls.objects.filter(year=year).order_by("role"))


class CostKind(models.TextChoices):
    STAFFING = "staffing", "Staffing"
    EQUIPMENT = "equipment", "Equipment or resources"
    TRAINING = "training", "Training or CPD"
    SERVICE = "service", "A service bought in"
    CAPITAL = "capital", "Small capital item"


class ProvisionLine(models.Model):
    """A costed provision line: staffing (hours a week × weeks × hourly rate) or another
    cost (equipment, training, a service bought in, small capital) with its amount."""

    request = models.ForeignKey(
        FundingRequest, on_delete=models.CASCADE, related_name="provision_lines"
    )
    order = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=12, choices=CostKind.choices, default=CostKind.STAFFING)
    description = models.CharField(max_length=200)
    hours_per_week = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    weeks = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    hourly_rate = models.DecimalField(
        "rate (£ per hour)", max_digits=8, decimal_places=2, null=True, blank=True
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    note = models.TextField(blank=True)
    # The rate card's role and its rate when the line was saved, so the panel reads the
    # line against the card as it stood even after the LA changes the card.
    rate_card = models.ForeignKey(
        RateCardEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    card_rate = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    rate_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "order"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="staffing")
                    & Q(hours_per_week__gt=0)
                    & Q(weeks__gt=0)
                    & Q(hourly_rate__gte=0)
                    & Q(amount__isnull=True)
                )
                | (
                    ~Q(kind="staffing")
                    & Q(amount__gt=0)
                    & Q(hours_per_week__isnull=True)
                    & Q(weeks__isnull=True)
                    & Q(hourly_rate__isnull=True)
                    & Q(card_rate__isnull=True)
                ),
                name="provision_line_shape",
            ),
            models.CheckConstraint(
                condition=Q(card_rate__isnull=True)
                | Q(hourly_rate=models.F("card_rate"))
                | ~Q(rate_reason=""),
                name="rate_off_card_has_reason",
            ),
        ]

    @property
    def is_staffing(self) -> bool:
        return self.kind == CostKind.STAFFING

    @property
    def off_card(self) -> bool:
        """A staffing rate that is not the rate card's (the reason says why)."""
        return self.is_staffing and bool(self.rate_reason)

    @property
    def cost(self) -> Decimal:
        if not self.is_staffing:
            return self.amount or ZERO
        return (self.hours_per_week * self.weeks * self.hourly_rate).quantize(Decimal("0.01"))


class DocumentKind(models.TextChoices):
    PROVISION_MAP = "provision_map", "Costed provision map"
    SUPPORT_PLAN = "support_plan", "SEN support plan / APDR record"
    ASSESSMENT = "assessment", "Assessment or report from another agency"
    CONSENT = "consent", "Parental consent form"
    OTHER = "other", "Other"


class RequestDocument(models.Model):
    """A supporting document, kept in private storage and served only through a checked view."""

    request = models.ForeignKey(FundingRequest, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER)
    file = models.FileField(upload_to="requests/%Y/%m/", storage=private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "uploaded_at"]


class RequestEvent(models.Model):
    """The request's timeline: every transition and notable change, append-only."""

    request = models.ForeignKey(FundingRequest, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=40)
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20, blank=True)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["request", "created_at", "pk"]


class IntentionNotice(models.Model):
    """A school's notice that a request is coming for a pupil, so the LA can plan its
    panels' agendas; the school turns it into the draft when the reports are in."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="notices")
    # The school's cluster when the notice was given: the LA plans by cluster.
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="notices")
    stream = models.ForeignKey(FundingStream, on_delete=models.PROTECT, related_name="notices")
    pupil_initials = models.CharField(max_length=3)
    year_group = models.CharField(max_length=2, choices=YearGroup.choices)
    # The first day of the month the school expects to submit.
    expected_month = models.DateField(db_index=True)
    reports_awaited = models.TextField(
        help_text="The professionals whose reports the request waits for."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The draft the notice became (one notice, one draft).
    request = models.OneToOneField(
        FundingRequest, on_delete=models.PROTECT, null=True, blank=True, related_name="notice"
    )

    class Meta:
        ordering = ["expected_month", "cluster", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_month__day=1), name="notice_month_is_first_day"
            )
        ]

    def __str__(self) -> str:
        return f"Notice #{self.pk}: {self.pupil_initials}, {self.expected_month:%B %Y}"

    @property
    def started(self) -> bool:
        """Turned into a request the school still has (a deleted draft frees the notice)."""
        return self.request_id is not None and self.request.state != State.DELETED


class RetentionClass(models.TextChoices):
    """The classes of a request's personal data the retention schedule removes, each
    after its own number of years (``settings.RETENTION_*_YEARS``)."""

    DOCUMENTS = "documents", "Supporting documents"
    FREE_TEXT = "free_text", "Free text"
    PUPIL_FIELDS = "pupil_fields", "Pseudonymised pupil fields"


class RetentionPurge(models.Model):
    """One class of a request's data removed under the retention schedule
    (``funding.services.apply_retention``): the audit record of the purge, and what
    makes a second run do nothing. Append-only."""

    request = models.ForeignKey(FundingRequest, on_delete=models.PROTECT, related_name="purges")
    data_class = models.CharField(max_length=20, choices=RetentionClass.choices)
    purged_at = models.DateTimeField()
    # When the request's life ended (the schedule counts from here), and the schedule's
    # years for this class at the time.
    ended_at = models.DateTimeField()
    years = models.PositiveSmallIntegerField()
    # Documents deleted, or rows whose text or pupil fields were cleared.
    items = models.PositiveIntegerField(default=0)
    detail = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-purged_at", "request", "data_class"]
        constraints = [
            models.UniqueConstraint(fields=["request", "data_class"], name="one_purge_per_class")
        ]

    def __str__(self) -> str:
        return f"{self.request}: {self.get_data_class_display()} removed {self.purged_at:%Y-%m-%d}"
