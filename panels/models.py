"""Panels, their members, meetings, agendas, conflicts, moderation and decisions.

Panel data lives here, never on the funding request: the request's state moves
only through ``funding.services.apply_transition``; these rows say who, when
and why.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from clusters.models import Cluster, District, School
from funding.models import FundingRequest
from portal import wording
from portal.versions import VersionField


class Panel(models.Model):
    """One per locality cluster (or, if the LA runs one, per district), with its quorum rule."""

    name = models.CharField(max_length=150)
    cluster = models.OneToOneField(
        Cluster, on_delete=models.PROTECT, null=True, blank=True, related_name="panel"
    )
    district = models.OneToOneField(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="panel"
    )
    # Quorum: at least this many voting members present, of whom this many
    # headteachers, and (usually) the chair among them.
    quorum_voting = models.PositiveSmallIntegerField(
        "voting members needed", default=3, validators=[MinValueValidator(1)]
    )
    quorum_headteachers = models.PositiveSmallIntegerField("headteachers needed", default=2)
    quorum_needs_chair = models.BooleanField("the chair must be present", default=True)
    closing_days = models.PositiveSmallIntegerField(
        "days before a meeting that requests close", default=10
    )
    # Takes the chair for an item the meeting's chair is recused from (if present and
    # not recused themselves); otherwise the chair names a member for it.
    vice_chair = models.ForeignKey(
        "PanelMember", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The set-up two LA officers can edit at once (the rule, the vice-chair, the members):
    # an edit based on an older one is refused (portal/versions.py).
    version = VersionField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cluster__isnull=False, district__isnull=True)
                | Q(cluster__isnull=True, district__isnull=False),
                name="panel_for_cluster_or_district",
            ),
            models.CheckConstraint(
                condition=Q(quorum_headteachers__lte=F("quorum_voting")) & Q(quorum_voting__gte=1),
                name="panel_quorum_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def quorum_text(self) -> str:
        chair = ", including the chair" if self.quorum_needs_chair else ""
        return (
            f"At least {wording.counted(self.quorum_voting, 'voting member')}, of whom at least "
            f"{self.quorum_headteachers} {wording.noun(self.quorum_headteachers, 'headteacher')}{chair}."
        )


class MemberRole(models.TextChoices):
    HEADTEACHER = "headteacher", "Headteacher"
    SENCO_REP = "senco_rep", "SENCO representative"
    LA_SEND_OFFICER = "la_send_officer", "LA SEND officer"
    EDUCATIONAL_PSYCHOLOGIST = "educational_psychologist", "Educational psychologist"
    HEALTH = "health", "Health practitioner"
    PARENT_CARER = "parent_carer", "Parent/carer representative"


class PanelMember(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_memberships"
    )
    role = models.CharField(max_length=30, choices=MemberRole.choices)
    voting = models.BooleanField(default=True)
    # The school the member comes from (a head's or SENCO rep's): recusal compares it
    # with the requesting school.
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="panel_members"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["panel", "role", "user__last_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["panel", "user", "start_date"], name="panel_member_once_per_term"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="panel_member_dates_ordered",
            ),
            # A headteacher sits for a school.
            models.CheckConstraint(
                condition=~Q(role="headteacher") | Q(school__isnull=False),
                name="panel_head_has_school",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.get_role_display()})"

    @property
    def name(self) -> str:
        return self.user.get_full_name() or self.user.username

    def serves_on(self, day) -> bool:
        return self.start_date <= day and (self.end_date is None or self.end_date >= day)


class MemberAbsence(models.Model):
    """A member away for a period (leave, secondment): the rota skips them."""

    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="absences")
    start_date = models.DateField()
    end_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["member", "start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="absence_dates_ordered"
            )
        ]


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    OPEN = "open", "In progress"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="meetings")
    date = models.DateField()
    closing_date = models.DateField(help_text="Last day requests can be scheduled onto it.")
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=12, choices=MeetingStatus.choices, default=MeetingStatus.SCHEDULED
    )
    # The rota's choice and the chair on the day; they differ only after a swap with a reason.
    rota_chair = models.ForeignKey(
        PanelMember, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    chair = models.ForeignKey(
        PanelMember,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chaired_meetings",
    )
    swap_reason = models.CharField(max_length=300, blank=True)
    swapped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    # Why the LA SEND officer cancelled it, or moved it (from the day first published).
    cancel_reason = models.CharField(max_length=300, blank=True)
    moved_from = models.DateField(null=True, blank=True)
    move_reason = models.CharField(max_length=300, blank=True)
    # Its date, closing date and venue as the LA set them up: a change based on an older
    # version is refused (portal/versions.py).
    version = VersionField()

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "date"], name="one_meeting_per_panel_day"),
            models.CheckConstraint(
                condition=Q(closing_date__lte=F("date")), name="meeting_closes_before_it_sits"
            ),
            # A swapped chair always carries its reason.
            models.CheckConstraint(
                condition=Q(swap_reason="") | Q(chair__isnull=False),
                name="meeting_swap_names_chair",
            ),
        ]
        indexes = [models.Index(fields=["panel", "status", "date"])]

    def __str__(self) -> str:
        return f"{self.panel} — {self.date:%d %B %Y}"

    @property
    def is_swapped(self) -> bool:
        return bool(self.swap_reason)


class Attendance(models.Model):
    """A member present at a meeting; the school is kept so participation can be reported."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="attendance")
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="panel_attendance"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attend_once_per_meeting")
        ]


class ItemKind(models.TextChoices):
    DECISION = "decision", "For decision"
    RATIFICATION = "ratification", "For ratification (chair's action)"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    request = models.ForeignKey(
        FundingRequest, on_delete=models.PROTECT, related_name="agenda_items"
    )
    order = models.PositiveSmallIntegerField(default=1)
    kind = models.CharField(max_length=12, choices=ItemKind.choices, default=ItemKind.DECISION)
    added_at = models.DateTimeField(auto_now_add=True)
    ratified_at = models.DateTimeField(null=True, blank=True)
    # Who chairs this item when the meeting's chair is recused from it, and why
    # (panels.services.chairing); null: the meeting's chair.
    acting_chair = models.ForeignKey(
        PanelMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acting_chair_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["meeting", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "request"], name="request_once_per_agenda"),
            models.CheckConstraint(
                condition=Q(acting_chair__isnull=True, acting_chair_reason="")
                | (Q(acting_chair__isnull=False) & ~Q(acting_chair_reason="")),
                name="acting_chair_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting}: item {self.order}"

    @property
    def item_chair_id(self) -> int | None:
        """The member chairing this item: the acting chair, else the meeting's chair."""
        return self.acting_chair_id or self.meeting.chair_id


class ConflictDeclaration(models.Model):
    """A member's declared conflict on an item (recusal from their own school is automatic).

    A conflict declared by mistake is withdrawn with a reason, never deleted: the row stays
    for the LA's record and only a conflict not withdrawn recuses the member.
    """

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="conflicts")
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="conflicts")
    reason = models.CharField(max_length=300)
    declared_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "member"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_standing_conflict_per_member_item",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="conflict_has_reason"),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawal_reason="")
                | (Q(withdrawn_at__isnull=False) & ~Q(withdrawal_reason="")),
                name="conflict_withdrawal_has_reason",
            ),
        ]


class Recommendation(models.TextChoices):
    APPROVE = "approve", "Approve"
    PARTIAL = "partial", "Approve in part"
    DECLINE = "decline", "Decline"
    DEFER = "defer", "Defer"
    MORE_INFO = "more_info", "Ask for more information"


CRITERIA = (
    ("evidence_of_need", "Evidence of need"),
    ("graduated_approach", "Graduated approach followed"),
    ("likely_impact", "Likely impact"),
    ("value_for_money", "Value for money"),
)
SCORE_LABELS = {1: "1 – not met", 2: "2 – partly met", 3: "3 – met", 4: "4 – strongly met"}
_score = dict(validators=[MinValueValidator(1), MaxValueValidator(4)])


class ModerationView(models.Model):
    """One voting member's view of one item against the published criteria."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="views")
    member = models.ForeignKey(PanelMember, on_delete=models.CASCADE, related_name="views")
    evidence_of_need = models.PositiveSmallIntegerField(**_score)
    graduated_approach = models.PositiveSmallIntegerField(**_score)
    likely_impact = models.PositiveSmallIntegerField(**_score)
    value_for_money = models.PositiveSmallIntegerField(**_score)
    comment = models.TextField(blank=True)
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="one_view_per_member_item"),
            models.CheckConstraint(
                condition=Q(evidence_of_need__range=(1, 4))
                & Q(graduated_approach__range=(1, 4))
                & Q(likely_impact__range=(1, 4))
                & Q(value_for_money__range=(1, 4)),
                name="moderation_scores_1_to_4",
            ),
        ]

    @property
    def total(self) -> int:
        return sum(getattr(self, c) for c, _ in CRITERIA)


class SpreadReveal(models.Model):
    """The item's chair showed the panel every member's view at the meeting (before that,
    a member sees the others' scores only once they have recorded their own)."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="reveal")
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    revealed_at = models.DateTimeField()


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially_approved", "Partially approved"
    DECLINED = "declined", "Declined"
    DEFERRED = "deferred", "Deferred"
    MORE_INFORMATION = "more_information", "More information needed"


# The funding transition each outcome takes.
OUTCOME_TRANSITION = {
    Outcome.APPROVED: "approve",
    Outcome.PARTIALLY_APPROVED: "partially_approve",
    Outcome.DECLINED: "decline",
    Outcome.DEFERRED: "defer",
    Outcome.MORE_INFORMATION: "request_information",
}


class Decision(models.Model):
    request = models.ForeignKey(FundingRequest, on_delete=models.PROTECT, related_name="decisions")
    # Null for a chair's action between meetings (it is then ratified at the next meeting).
    item = models.OneToOneField(
        AgendaItem, on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    amount = models.DecimalField(
        "amount awarded (£)", max_digits=12, decimal_places=2, null=True, blank=True
    )
    rationale = models.TextField()
    conditions = models.TextField(blank=True)
    review_date = models.DateField(null=True, blank=True)
    deferred_to = models.ForeignKey(
        Meeting, on_delete=models.SET_NULL, null=True, blank=True, related_name="deferred_in"
    )
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    by_chairs_action = models.BooleanField(default=False)
    la_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(rationale=""), name="decision_has_rationale"),
            models.CheckConstraint(
                condition=~Q(outcome__in=["approved", "partially_approved"])
                | (Q(amount__gt=0) & Q(review_date__isnull=False)),
                name="award_has_amount_and_review",
            ),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gte=0), name="decision_amount_gte_0"
            ),
            # Chair's action needs the LA officer who agreed it; a meeting decision an item.
            models.CheckConstraint(
                condition=Q(by_chairs_action=True, la_officer__isnull=False)
                | Q(by_chairs_action=False, item__isnull=False),
                name="decision_at_meeting_or_chairs_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request}: {self.get_outcome_display()}"

    @property
    def support_label(self) -> str:
        """How its follow-ups are headed: a decline offers them instead of funding."""
        if self.outcome == Outcome.DECLINED:
            return "Support offered instead"
        return "Support beyond money"


class ProposalStatus(models.TextChoices):
    AWAITING = "awaiting", "Awaiting confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    REFUSED = "refused", "Refused"
    WITHDRAWN = "withdrawn", "Withdrawn by the chair"
    # The request went on a meeting's agenda before the officer answered: the panel decides.
    LAPSED = "lapsed", "Lapsed: the request is on a meeting's agenda"


class ChairsActionProposal(models.Model):
    """An urgent request's decision the rota's chair proposes between meetings, naming the
    LA SEND officer who must agree it. Nothing is committed until that officer confirms it
    in their own session (``panels.services.chairs_action``); the confirmation is the
    decision (``decision``), ratified at the next meeting."""

    request = models.ForeignKey(
        FundingRequest, on_delete=models.PROTECT, related_name="chairs_action_proposals"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="chairs_actions_to_answer"
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    rationale = models.TextField()
    conditions = models.TextField(blank=True)
    review_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.AWAITING
    )
    proposed_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    refusal_reason = models.TextField(blank=True)
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="proposal"
    )

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            # One proposal open per request: a second waits for the first's answer.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(status="awaiting"),
                name="one_open_chairs_action_per_request",
            ),
            models.CheckConstraint(condition=~Q(rationale=""), name="proposal_has_rationale"),
            # Two people: the chair never names themselves as the officer who agrees.
            models.CheckConstraint(
                condition=~Q(officer=F("proposed_by")), name="proposal_two_people"
            ),
            models.CheckConstraint(
                # Refused, withdrawn or lapsed says why; waiting or confirmed has no reason.
                condition=(Q(status__in=["refused", "withdrawn", "lapsed"]) & ~Q(refusal_reason=""))
                | (Q(status__in=["awaiting", "confirmed"]) & Q(refusal_reason="")),
                name="proposal_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="awaiting", answered_at__isnull=True, decision__isnull=True)
                | Q(status="confirmed", answered_at__isnull=False, decision__isnull=False)
                | Q(
                    status__in=["refused", "withdrawn", "lapsed"],
                    answered_at__isnull=False,
                    decision__isnull=True,
                ),
                name="proposal_answer_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"Chair's action on {self.request}: {self.get_outcome_display()}"

    @property
    def ended_label(self) -> str:
        """How a proposal that will not be confirmed ended, beside its reason."""
        return {ProposalStatus.WITHDRAWN: "Withdrawn", ProposalStatus.LAPSED: "Lapsed"}.get(
            self.status, "Refused"
        )


class AppealOutcome(models.TextChoices):
    UPHELD = "upheld", "Appeal upheld (decision overturned)"
    DISMISSED = "dismissed", "Appeal dismissed (decision stands)"


class Appeal(models.Model):
    """The LA's appeal route after the one reconsideration, recorded by an LA officer.

    One appeal per request: upheld, the request goes back to its cluster's panel
    (``meeting`` is the one it was scheduled to); dismissed, the decline stands and
    the route is closed.
    """

    request = models.ForeignKey(FundingRequest, on_delete=models.PROTECT, related_name="appeals")
    outcome = models.CharField(max_length=12, choices=AppealOutcome.choices)
    notes = models.TextField()
    heard_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appeals",
        help_text="The panel meeting an upheld appeal sent the request back to.",
    )

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(notes=""), name="appeal_has_notes"),
            models.UniqueConstraint(fields=["request"], name="one_appeal_per_request"),
            models.CheckConstraint(
                condition=Q(outcome="upheld") | Q(meeting__isnull=True),
                name="appeal_meeting_only_if_upheld",
            ),
        ]


class ReviewResult(models.TextChoices):
    MET = "met", "Outcomes met"
    PARTLY = "partly", "Outcomes partly met"
    NOT_MET = "not_met", "Outcomes not met"


class OutcomeReview(models.Model):
    """The SENCO's report at the review date; it closes the request."""

    request = models.OneToOneField(
        FundingRequest, on_delete=models.PROTECT, related_name="outcome_review"
    )
    result = models.CharField(max_length=10, choices=ReviewResult.choices)
    evidence = models.TextField()
    amount_spent = models.DecimalField(max_digits=12, decimal_places=2)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(evidence=""), name="review_has_evidence"),
            models.CheckConstraint(
                condition=Q(amount_spent__gte=Decimal("0")), name="review_spent_not_negative"
            ),
        ]


# --- Outcomes beyond money, and the letters ------------------------------------------


class FollowUpKind(models.TextChoices):
    ADVICE = "advice", "Advice given"
    OUTREACH = "outreach", "Referred for outreach"
    EDUCATIONAL_PSYCHOLOGIST = "educational_psychologist", "Referred to an educational psychologist"
    SPECIALIST_TEACHER = "specialist_teacher", "Referred to a specialist teacher"


class DecisionAction(models.Model):
    """Support the panel gives beyond money: advice, or a referral, with who follows it up
    and by when. With money or alone: a decline can record the support offered instead
    (docs/architecture.md §3, "Outcomes beyond money")."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=30, choices=FollowUpKind.choices)
    detail = models.TextField(help_text="The advice given, or what the referral is for.")
    owner = models.CharField("who will follow up", max_length=200)
    due_by = models.DateField("follow up by")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decision", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["decision", "kind"], name="one_action_per_kind"),
            models.CheckConstraint(condition=~Q(owner=""), name="action_has_owner"),
            models.CheckConstraint(condition=~Q(detail=""), name="action_has_detail"),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "advice",
                        "outreach",
                        "educational_psychologist",
                        "specialist_teacher",
                    ]
                ),
                name="action_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.owner}, by {self.due_by:%d %B %Y})"


class LetterTemplate(models.Model):
    """The LA's wording of the letter for one outcome, edited by an LA SEND officer.

    ``{placeholder}`` substitution from a fixed list only (``panels.letters``): never
    template code, so nothing an officer types can run.
    """

    outcome = models.CharField(max_length=20, choices=Outcome.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(subject=""), name="letter_template_has_subject"),
            models.CheckConstraint(condition=~Q(body=""), name="letter_template_has_body"),
        ]

    def __str__(self) -> str:
        return f"Letter: {self.get_outcome_display()}"


class LetterRun(models.Model):
    """A meeting's letters, produced and sent together once: the unique meeting is what
    makes closing twice (or a re-run) never send them twice."""

    meeting = models.OneToOneField(Meeting, on_delete=models.PROTECT, related_name="letter_run")
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Letters of {self.meeting}"


class Letter(models.Model):
    """The decision letter on one agenda item, as sent to the school: its words are kept
    (a later edit of the template does not change a letter already sent)."""

    run = models.ForeignKey(LetterRun, on_delete=models.PROTECT, related_name="letters")
    item = models.OneToOneField(AgendaItem, on_delete=models.PROTECT, related_name="letter")
    # Null only for an item nobody decided (the portal deferred it).
    decision = models.OneToOneField(
        Decision, on_delete=models.PROTECT, null=True, blank=True, related_name="letter"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="letters")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["run", "item__order", "pk"]

    def __str__(self) -> str:
        return self.subject


class OutcomeResult(models.Model):
    """One outcome the request sought, at review: met, partly met or not, with evidence, so
    a continuation's panel reads the earlier award outcome by outcome."""

    review = models.ForeignKey(OutcomeReview, on_delete=models.CASCADE, related_name="results")
    order = models.PositiveSmallIntegerField()
    outcome = models.TextField()
    result = models.CharField(max_length=10, choices=ReviewResult.choices)
    evidence = models.TextField()

    class Meta:
        ordering = ["review", "order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "order"], name="one_result_per_outcome"),
            models.CheckConstraint(condition=~Q(evidence=""), name="outcome_result_has_evidence"),
        ]

    LABELS = {"met": "Met", "partly": "Partly met", "not_met": "Not met"}

    @property
    def result_label(self) -> str:
        return self.LABELS.get(self.result, self.result)
