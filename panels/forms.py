"""Forms for the panel pages (GOV.UK markup through crispy-forms-gds); writes go to services."""

from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import HTML, Fieldset, Layout, Size
from django import forms
from django.contrib.auth import get_user_model

from clusters.models import Role, current_membership
from portal.fields import MoneyField
from portal.forms import DateField, PlainMessagesMixin

from .models import (
    CRITERIA,
    SCORE_LABELS,
    AppealOutcome,
    FollowUpKind,
    MemberRole,
    Outcome,
    Recommendation,
    ReviewResult,
)

User = get_user_model()


class GDSForm(PlainMessagesMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.label_size = "s"
        self.helper.legend_size = "s"


def _date(label: str, required: bool = True, help_text: str = "For example, 27 3 2026"):
    field = DateField(label=label, required=required)
    field.help_text = help_text
    return field


class UserByUsernameField(forms.CharField):
    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            return User.objects.get(username=value.strip(), is_active=True)
        except User.DoesNotExist:
            raise forms.ValidationError("There is no active user with that username.") from None


class AddMemberForm(GDSForm):
    error_names = {"start_date": "the date the membership starts",
                   "end_date": "the date the membership ends"}  # fmt: skip
    user = UserByUsernameField(label="Username")
    role = forms.ChoiceField(choices=MemberRole.choices, widget=forms.RadioSelect)
    voting = forms.BooleanField(
        label="Voting member", required=False, initial=True, help_text="Untick for an advisor."
    )
    start_date = _date("Member from")
    end_date = _date("Member until", required=False, help_text="Leave blank if open-ended.")


class EndMembershipForm(GDSForm):
    end_date = _date("Last day as a member")


class AbsenceForm(GDSForm):
    start_date = _date("Away from")
    end_date = _date("Away until")
    reason = forms.CharField(max_length=200, required=False)


class GenerateYearForm(GDSForm):
    first_date = _date("Date of the first meeting")
    every_weeks = forms.IntegerField(
        label="Weeks between meetings", min_value=1, max_value=12, initial=4
    )
    location = forms.CharField(max_length=200, required=False)


class CancelMeetingForm(GDSForm):
    reason = forms.CharField(
        label="Why is the meeting cancelled?",
        max_length=300,
        help_text="Members and the schools with items are told this.",
        error_messages={"required": "Give the reason for cancelling."},
    )


class MoveMeetingForm(GDSForm):
    day = _date("New date of the meeting")
    closing_date = _date(
        "New closing date for requests",
        required=False,
        help_text="Leave blank for the panel's usual closing date, on a working day.",
    )
    reason = forms.CharField(
        label="Why is the meeting moved?",
        max_length=300,
        help_text="Members and the schools with items are told this.",
        error_messages={"required": "Give the reason for the move."},
    )


class PanelSetupForm(GDSForm):
    """The panel's name, quorum rule and closing days (the LA SEND officer)."""

    error_names = {"quorum_voting": "the number of voting members needed",
                   "quorum_headteachers": "the number of headteachers needed",
                   "closing_days": "the number of days before a meeting that requests close"}  # fmt: skip
    name = forms.CharField(label="Name of the panel", max_length=150)
    quorum_voting = forms.IntegerField(
        label="Voting members needed for a quorum", min_value=1, max_value=30
    )
    quorum_headteachers = forms.IntegerField(
        label="Of whom headteachers", min_value=0, max_value=30
    )
    quorum_needs_chair = forms.BooleanField(label="The chair must be present", required=False)
    closing_days = forms.IntegerField(
        label="Days before a meeting that requests close",
        min_value=0,
        max_value=60,
        help_text="New meetings close for requests this many days before they sit.",
    )

    def clean(self):
        data = super().clean()
        voting, heads = data.get("quorum_voting"), data.get("quorum_headteachers")
        if voting is not None and heads is not None and heads > voting:
            self.add_error(
                "quorum_headteachers",
                "The headteachers needed must be no more than the voting members needed.",
            )
        return data


class MeetingDetailsForm(GDSForm):
    """A meeting's closing date for requests and its venue (its day moves by a move)."""

    error_names = {"closing_date": "the closing date for requests"}
    closing_date = _date("Closing date for requests")
    location = forms.CharField(
        label="Venue", max_length=200, required=False, help_text="For example, Room 4, County Hall"
    )


class SwapChairForm(GDSForm):
    member = forms.ModelChoiceField(queryset=None, label="Chair for this meeting")
    reason = forms.CharField(label="Reason for the swap", max_length=300)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import PanelMember

        self.fields["member"].queryset = PanelMember.objects.filter(
            pk__in=[m.pk for m in members]
        ).select_related("user")


class ActingChairForm(GDSForm):
    member = forms.ModelChoiceField(
        queryset=None,
        label="Member to chair this item",
        error_messages={"invalid_choice": "Choose a member of this panel to chair the item."},
    )

    def __init__(self, *args, panel=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import PanelMember

        self.fields["member"].queryset = PanelMember.objects.filter(panel=panel).select_related(
            "user"
        )


class ViceChairForm(GDSForm):
    member = forms.ModelChoiceField(
        queryset=None, required=False, label="Vice-chair", empty_label="No vice-chair"
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import PanelMember

        self.fields["member"].queryset = PanelMember.objects.filter(
            pk__in=[m.pk for m in members]
        ).select_related("user")


class ScheduleForm(GDSForm):
    meeting = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="The next meeting open for requests",
        label="Meeting",
    )

    def __init__(self, *args, meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Meeting

        self.fields["meeting"].queryset = meetings if meetings is not None else Meeting.objects
        self.fields["meeting"].label_from_instance = lambda m: (
            f"{m.panel.name} — {m.date:%d %B %Y} (closes {m.closing_date:%d %B})"
        )


class BulkFilterForm(GDSForm):
    cluster = forms.ModelChoiceField(queryset=None, required=False, empty_label="All clusters")
    stream = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="All streams", label="Funding stream"
    )
    need = forms.ChoiceField(required=False, label="Primary need")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from clusters.models import Cluster
        from funding.models import FundingStream, SEN2Need

        self.fields["cluster"].queryset = Cluster.objects.order_by("name")
        self.fields["stream"].queryset = FundingStream.objects.order_by("name")
        self.fields["need"].choices = [("", "All needs"), *SEN2Need.choices]


class AttendanceForm(GDSForm):
    present = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Who is present",
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        from .models import PanelMember

        field = self.fields["present"]
        field.queryset = PanelMember.objects.filter(pk__in=[m.pk for m in members]).select_related(
            "user"
        )
        names = {m.pk: m for m in members}
        field.label_from_instance = lambda m: (
            f"{names[m.pk].name} — {names[m.pk].get_role_display()}"
            f"{'' if names[m.pk].voting else ' (advisory)'}"
        )


_SCORES = [(n, label) for n, label in SCORE_LABELS.items()]


class ModerationForm(GDSForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in CRITERIA:
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=_SCORES, coerce=int, widget=forms.RadioSelect
            )
        self.fields["recommendation"] = forms.ChoiceField(
            choices=Recommendation.choices, widget=forms.RadioSelect
        )
        self.fields["comment"] = forms.CharField(widget=forms.Textarea, required=False)

    def scores(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name, _ in CRITERIA}


class ConflictForm(GDSForm):
    reason = forms.CharField(
        label="Your conflict of interest",
        max_length=300,
        help_text="For example, a relative attends the school.",
    )


class WithdrawConflictForm(GDSForm):
    reason = forms.CharField(
        label="Why you are withdrawing your conflict",
        max_length=300,
        help_text="For example, declared on the wrong item. It is kept for the LA's record.",
    )


class DecisionForm(GDSForm):
    outcome = forms.ChoiceField(
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        help_text="To give advice or make a referral without funding, choose Declined and "
        "record the support offered below.",
    )
    amount = MoneyField(
        label="Amount approved (£), for a partial approval",
        name="the amount approved",
        required=False,
    )
    rationale = forms.CharField(widget=forms.Textarea, help_text="The school is told this.")
    conditions = forms.CharField(widget=forms.Textarea, required=False)
    review_date = _date("Review date", required=False, help_text="Needed for an approval.")
    deferred_to = forms.ModelChoiceField(
        queryset=None, required=False, label="Defer to meeting", empty_label="Next available"
    )

    def __init__(self, *args, later_meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import Meeting

        self.fields["deferred_to"].queryset = (
            later_meetings if later_meetings is not None else Meeting.objects.none()
        )
        self.fields["deferred_to"].label_from_instance = lambda m: f"{m.date:%d %B %Y}"
        # Support beyond money: for each kind, what it is, who follows it up and by when
        # (left blank: not offered). The service checks a row is complete.
        support = []
        for kind, label in FollowUpKind.choices:
            self.fields[f"{kind}_detail"] = forms.CharField(
                label="What the advice is" if kind == "advice" else "What the referral is for",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )
            self.fields[f"{kind}_owner"] = forms.CharField(
                label="Who will follow it up", max_length=200, required=False
            )
            self.fields[f"{kind}_due_by"] = _date("Follow up by", required=False)
            support.append(
                Fieldset(
                    f"{kind}_detail",
                    f"{kind}_owner",
                    f"{kind}_due_by",
                    legend=label,
                    legend_size=Size.SMALL,
                )
            )
        self.helper.layout = Layout(
            *DECISION_FIELDS,
            HTML(
                '<h3 class="govuk-heading-m">Support beyond money</h3><p class="govuk-body">'
                "Optional, with any outcome. Fill in the support the panel offers; leave "
                "the rest blank. It is in the decision letter and the minutes.</p>"
            ),
            *support,
        )

    def decision_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k in DECISION_FIELDS}

    def follow_ups(self) -> list:
        from .services import FollowUp

        data = self.cleaned_data
        return [
            FollowUp(
                kind=kind,
                detail=data.get(f"{kind}_detail") or "",
                owner=data.get(f"{kind}_owner") or "",
                due_by=data.get(f"{kind}_due_by"),
            )
            for kind in FollowUpKind.values
            if data.get(f"{kind}_detail") or data.get(f"{kind}_owner") or data.get(f"{kind}_due_by")
        ]


DECISION_FIELDS = ("outcome", "amount", "rationale", "conditions", "review_date", "deferred_to")


class LetterTemplateForm(GDSForm):
    subject = forms.CharField(label="Subject line", max_length=200)
    body = forms.CharField(
        label="The letter",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Plain text. A blank line starts a new paragraph. Use only the "
        "placeholders listed.",
    )


class ChairsActionForm(GDSForm):
    outcome = forms.ChoiceField(
        choices=[
            (Outcome.APPROVED, Outcome.APPROVED.label),
            (Outcome.PARTIALLY_APPROVED, Outcome.PARTIALLY_APPROVED.label),
            (Outcome.DECLINED, Outcome.DECLINED.label),
        ],
        widget=forms.RadioSelect,
    )
    officer = forms.ModelChoiceField(
        queryset=User.objects.none(),  # set per form: "current" is today's
        label="LA SEND officer to confirm it",
        help_text="They are told, and confirm or refuse it themselves: nothing is decided "
        "until they confirm.",
    )
    amount = MoneyField(
        label="Amount approved (£), for a partial approval",
        name="the amount approved",
        required=False,
    )
    rationale = forms.CharField(widget=forms.Textarea)
    conditions = forms.CharField(widget=forms.Textarea, required=False)
    review_date = _date("Review date", required=False, help_text="Needed for an approval.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = User.objects.filter(
            current_membership("memberships__"), memberships__role=Role.LA_SEND_OFFICER
        ).distinct()


class RefuseProposalForm(GDSForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why you refuse it",
        help_text="The chair is told. Nothing is decided.",
    )


class WithdrawProposalForm(GDSForm):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Why you withdraw it",
        help_text="The officer you named is told. Nothing is decided.",
        error_messages={"required": "Say why you withdraw the chair's action."},
    )


class ReviewForm(GDSForm):
    """The review: for each outcome the request sought, whether it was met and the
    evidence; then the outcomes overall and what was spent."""

    error_names = {"result": "whether the outcomes were met"}
    result = forms.ChoiceField(
        choices=ReviewResult.choices, widget=forms.RadioSelect, label="Were the outcomes met?"
    )
    evidence = forms.CharField(widget=forms.Textarea, label="Evidence of the outcomes")
    amount_spent = MoneyField(label="Amount spent (£)", name="the amount spent")

    OUTCOME_CHOICES = [("met", "Met"), ("partly", "Partly met"), ("not_met", "Not met")]

    def __init__(self, *args, outcomes: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # One outcome sought: the review's own answer is that outcome's (asked once).
        self.outcomes = list(outcomes) if len(outcomes) > 1 else []
        fields = {}
        for i, outcome in enumerate(self.outcomes, start=1):
            fields[f"outcome_{i}_result"] = forms.ChoiceField(
                choices=self.OUTCOME_CHOICES,
                widget=forms.RadioSelect,
                label=f"Outcome {i}: {outcome}",
                error_messages={
                    "required": f"Say whether outcome {i} was met, partly met or not met"
                },
            )
            fields[f"outcome_{i}_evidence"] = forms.CharField(
                widget=forms.Textarea(attrs={"rows": 3}),
                label=f"Evidence for outcome {i}",
                max_length=5000,
                error_messages={
                    "required": f"Give the evidence for outcome {i}",
                    "max_length": f"Give the evidence for outcome {i} in 5,000 characters or fewer",
                },
            )
        # The outcomes first, as the request listed them; then the summary and the money.
        self.fields = {**fields, **self.fields}
        if self.outcomes:
            self.fields["result"].label = "Overall, were the outcomes met?"
            self.fields["evidence"].label = "Summary of the evidence"

    def outcome_answers(self) -> list[dict] | None:
        if not self.outcomes:
            return None
        return [
            {
                "result": self.cleaned_data[f"outcome_{i}_result"],
                "evidence": self.cleaned_data[f"outcome_{i}_evidence"],
            }
            for i in range(1, len(self.outcomes) + 1)
        ]


class AppealForm(GDSForm):
    outcome = forms.ChoiceField(choices=AppealOutcome.choices, widget=forms.RadioSelect)
    notes = forms.CharField(widget=forms.Textarea, label="Reasons")
    heard_on = _date("Date of the appeal hearing")
