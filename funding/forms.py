"""Forms for the request task list. Each section saves as a draft: fields may be
left blank (the task list says what is missing) but what is typed must be valid."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils import timezone

from portal import pupil_key
from portal.fields import MoneyField
from portal.forms import DateField, PlainMessagesMixin
from portal.money import format_gbp

from . import rules
from .models import (
    CostKind,
    DocumentKind,
    FundingRequest,
    FundingStream,
    NeedBand,
    ProvisionLine,
    RateCardEntry,
    RequestType,
    ReviewCycle,
    SEN2Need,
    YearGroup,
)
from .uploads import too_big_message
from .workflow import LISTED_STATES


class GDSFormMixin(PlainMessagesMixin):
    """GOV.UK markup through crispy-forms-gds, in the portal's words; the page supplies
    <form> and buttons."""

    def _gds(self):
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class GDSForm(GDSFormMixin, forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._gds()


class GDSModelForm(GDSFormMixin, forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._gds()


def _number(width: int = 4, decimal: bool = False) -> forms.TextInput:
    # GOV.UK asks for a text input with a numeric keyboard, not <input type="number">.
    return forms.TextInput(
        attrs={
            "class": f"govuk-input govuk-input--width-{width}",
            "inputmode": "decimal" if decimal else "numeric",
            "spellcheck": "false",
        }
    )


def _date(label: str, help_text: str = "") -> DateField:
    field = DateField(label=label, required=False)
    field.help_text = help_text or "For example, 27 3 2026"
    return field


def _not_future(value, message):
    if value and value > timezone.localdate():
        raise forms.ValidationError(message)
    return value


class StartForm(GDSForm):
    error_names = {"request_type": "the kind of request", "stream": "the fund"}
    school = forms.ModelChoiceField(queryset=None, label="School", empty_label=None)
    stream = forms.ModelChoiceField(
        queryset=FundingStream.objects.none(),
        label="Which fund are you asking?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the fund you are asking",
            "invalid_choice": "Choose a fund that is open to your school",
        },
    )
    request_type = forms.ChoiceField(
        choices=RequestType.choices,
        label="What kind of request is it?",
        widget=forms.RadioSelect,
        initial=RequestType.INDIVIDUAL,
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if len(schools) == 1:
            self.fields["school"].initial = schools[0].pk
            self.initial.setdefault("school", schools[0].pk)
            self.fields["school"].widget = forms.HiddenInput()
        open_streams = FundingStream.objects.filter(is_open=True)
        phases = {school.phase for school in schools}
        # Offer only the funds one of the user's schools may ask (JSON "contains" is not
        # portable across databases, and there are only a handful of streams).
        self.fields["stream"].queryset = open_streams.filter(
            pk__in=[s.pk for s in open_streams if phases & set(s.eligible_phases or [])]
        )

    def clean(self):
        data = super().clean()
        school, stream = data.get("school"), data.get("stream")
        if school and stream and school.phase not in stream.eligible_phases:
            self.add_error(
                "stream",
                f"{stream.name} is not open to {school.get_phase_display().lower()} schools",
            )
        return data


class NeverShownInput(forms.TextInput):
    """A text box that is always empty when the page is shown again (the UPN)."""

    def format_value(self, value):
        return None


class PupilForm(GDSModelForm):
    # No max_length here: "John Smith" deserves "initials only", not "at most 4 characters".
    pupil_initials = forms.CharField(
        label="Pupil's initials",
        required=False,
        help_text="Initials only: never the pupil's name or UPN.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "autocomplete": "off"}),
    )
    # Entered once and never shown again, even after an error: the portal keeps only a
    # keyed hash of it (portal/pupil_key.py) to follow the pupil across requests.
    upn = forms.CharField(
        label="Pupil's UPN (unique pupil number)",
        required=False,
        max_length=20,
        help_text="13 characters, like A123456789012. For one pupil only. The portal keeps "
        "a code made from it, never the UPN, and will not show it again.",
        widget=NeverShownInput(
            attrs={"class": "govuk-input--width-20", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    field_order = ["request_type", "pupil_initials", "upn"]

    class Meta:
        model = FundingRequest
        fields = ["request_type", "pupil_initials", "year_group", "sex", "number_of_pupils",
                  "project_summary"]  # fmt: skip
        labels = {
            "request_type": "Kind of request",
            "pupil_initials": "Pupil's initials",
            "number_of_pupils": "Number of pupils",
            "project_summary": "About the group or project",
        }
        help_texts = {
            "pupil_initials": "Initials only: never the pupil's name or UPN.",
            "number_of_pupils": "For a group: how many pupils share the provision. "
            "For a project: how many benefit.",
            "project_summary": "For a group or a school project: who it is for and what it is.",
        }
        widgets = {
            "request_type": forms.RadioSelect,
            "sex": forms.RadioSelect,
            "number_of_pupils": _number(3),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["request_type"].required = True
        self.fields["number_of_pupils"].required = False
        self.fields["sex"].choices = [c for c in self.fields["sex"].choices if c[0]]
        if self.instance.pupil_key:
            self.fields[
                "upn"
            ].help_text = "A UPN is recorded for this pupil. Enter it again only to correct it."

    def clean_upn(self):
        value = pupil_key.normalise(self.cleaned_data.get("upn") or "")
        if value:
            problem = pupil_key.upn_problem(value)
            if problem:
                raise forms.ValidationError(problem)
        return value

    def clean_pupil_initials(self):
        value = (self.cleaned_data.get("pupil_initials") or "").strip().upper().replace(".", "")
        if value and not re.fullmatch(r"[A-Z]{1,3}", value):
            raise forms.ValidationError("Enter initials as 1 to 3 letters, like AB")
        return value

    def clean_number_of_pupils(self):
        value = self.cleaned_data.get("number_of_pupils")
        if value is None:
            return 1
        if value < 1 or value > 500:
            raise forms.ValidationError("Number of pupils must be between 1 and 500")
        return value

    def clean(self):
        data = super().clean()
        if (
            data.get("request_type") == RequestType.GROUP
            and (data.get("number_of_pupils") or 0) < 2
        ):
            self.add_error("number_of_pupils", "A group request is for at least 2 pupils")
        if data.get("upn") and data.get("request_type") not in ("individual", "urgent"):
            self.add_error("upn", "Give a UPN only for a request for one pupil")
        return data


class NeedsForm(GDSModelForm):
    error_names = {"sen_support_since": "the date the pupil went on SEN support"}
    sen_support_since = _date("On SEN support since")

    class Meta:
        model = FundingRequest
        fields = ["primary_need", "secondary_need", "sen_support_since", "band",
                  "ordinarily_available_provision", "agencies_involved"]  # fmt: skip
        labels = {
            "primary_need": "Primary need (SEN2 code)",
            "secondary_need": "Secondary need (optional)",
            "band": "Band of need (optional)",
            "ordinarily_available_provision": "Ordinarily available provision already in place",
            "agencies_involved": "Agencies already involved",
        }
        help_texts = {
            "band": "From the LA's banded descriptors; it suggests the usual award range.",
            "agencies_involved": "For example, educational psychology, speech and language "
            "therapy, CAMHS. Write 'none' if none.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["band"].queryset = NeedBand.objects.all()
        self.fields["band"].label_from_instance = lambda b: (
            f"{b.need} band {b.band}: {b.descriptor[:60]} "
            f"(usually {format_gbp(b.usual_award_min)}–{format_gbp(b.usual_award_max)})"
        )

    def clean_sen_support_since(self):
        return _not_future(
            self.cleaned_data.get("sen_support_since"),
            "The date the pupil went on SEN support must be today or in the past",
        )

    def clean(self):
        data = super().clean()
        primary, secondary, band = (
            data.get("primary_need"),
            data.get("secondary_need"),
            data.get("band"),
        )
        if primary and secondary and primary == secondary:
            self.add_error("secondary_need", "The secondary need must differ from the primary need")
        if band and band.need != primary:
            self.add_error("band", "Choose a band for the primary need")
        return data


class CycleForm(GDSModelForm):
    error_names = {"assess": "what you found", "plan": "what was tried",
                   "duration_weeks": "the number of weeks", "impact": "the impact"}  # fmt: skip

    class Meta:
        model = ReviewCycle
        fields = ["assess", "plan", "duration_weeks", "impact"]
        widgets = {
            "assess": forms.Textarea(attrs={"rows": 3}),
            "plan": forms.Textarea(attrs={"rows": 3}),
            "duration_weeks": _number(3),
            "impact": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "assess": "Assess: what did you find?",
            "plan": "Plan and do: what was tried?",
            "duration_weeks": "For how many weeks?",
            "impact": "Review: what was the impact?",
        }

    def clean_duration_weeks(self):
        value = self.cleaned_data["duration_weeks"]
        if value < 1 or value > 104:
            raise forms.ValidationError("A cycle lasts between 1 and 104 weeks")
        return value


def _decimal(label: str, invalid: str, width: int, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=8,
        decimal_places=2,
        widget=_number(width, decimal=True),
        error_messages={
            "invalid": invalid,
            "max_digits": invalid,
            "max_decimal_places": invalid,
            "max_whole_digits": invalid,
        },
        **kwargs,
    )


class _LineForm(GDSModelForm):
    """A provision line; its shape is checked by ``rules.line_problems``, as the API's and
    the service's are, so every problem shows at once beside its field."""

    kind_value: str | None = None

    def _line_problems(self, data: dict, card_in_use: bool) -> None:
        kind = self.kind_value or data.get("kind")
        if not kind:
            return  # the kind field says what is missing
        problems = rules.line_problems(
            kind=kind,
            hours_per_week=data.get("hours_per_week"),
            weeks=data.get("weeks"),
            hourly_rate=data.get("hourly_rate"),
            amount=data.get("amount"),
            rate_card=data.get("rate_card"),
            rate_reason=data.get("rate_reason", ""),
            card_in_use=card_in_use,
        )
        for field, message in problems.items():
            if field in self.fields and not self.has_error(field):
                self.add_error(field, message)

    def line_fields(self) -> dict:
        """What the service takes (``services.LINE_FIELDS``)."""
        data = {k: v for k, v in self.cleaned_data.items() if k in self.fields}
        if self.kind_value:
            data["kind"] = self.kind_value
        return data


class ProvisionLineForm(_LineForm):
    """A staffing line: hours a week × weeks × hourly rate, the rate from the LA's card."""

    kind_value = CostKind.STAFFING
    description = forms.CharField(
        label="What provision?",
        max_length=200,
        help_text="For example, teaching assistant support in class, 1:1",
        error_messages={
            "required": "Say what the provision is",
            "max_length": "Say what the provision is in 200 characters or fewer",
        },
    )
    rate_card = forms.ModelChoiceField(
        queryset=RateCardEntry.objects.none(),
        label="Role on the LA's rate card",
        required=False,
        empty_label="Another role (not on the card)",
        error_messages={"invalid_choice": "Choose a role from the LA's rate card"},
    )
    hours_per_week = _decimal("Hours a week", "Enter the hours a week as a number, like 10", 4)
    weeks = _decimal("Number of weeks", "Enter the number of weeks as a number, like 38", 4)
    hourly_rate = MoneyField(
        label="Rate (£ an hour)", name="the hourly rate", example="15.50", max_value=500,
        max_digits=8, width=5, required=False,
    )  # fmt: skip
    rate_reason = forms.CharField(
        label="Why is the rate not the card's? (if it is not)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The panel reads this beside the card's rate, for example “specialist "
        "teacher with a BSL qualification”.",
        error_messages={"max_length": "Give the reason in 1,000 characters or fewer"},
    )

    class Meta:
        model = ProvisionLine
        fields = ["description", "rate_card", "hours_per_week", "weeks", "hourly_rate",
                  "rate_reason"]  # fmt: skip

    def __init__(self, *args, card=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.card = list(card)
        if self.card:
            self.fields["rate_card"].queryset = RateCardEntry.objects.filter(
                pk__in=[e.pk for e in self.card]
            )
            self.fields["rate_card"].label_from_instance = lambda e: (
                f"{e.role}: {format_gbp(e.hourly_rate)} an hour"
            )
            self.fields[
                "hourly_rate"
            ].help_text = "Leave empty to use the card's rate for the role."
        else:
            # No rate card for the year: the rate is the school's, and needs no reason.
            del self.fields["rate_card"], self.fields["rate_reason"]

    def clean(self):
        data = super().clean()
        self._line_problems(data, card_in_use=bool(self.card))
        return data


class CostLineForm(_LineForm):
    """Any cost that is not staffing: equipment, training or CPD, a service, small capital."""

    kind = forms.ChoiceField(
        choices=[c for c in CostKind.choices if c[0] != CostKind.STAFFING],
        label="What kind of cost is it?",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what kind of cost it is",
            "invalid_choice": "Choose what kind of cost it is",
        },
    )
    description = forms.CharField(
        label="What is the cost for?",
        max_length=200,
        help_text="For example, a writing slope and pencil grips",
        error_messages={
            "required": "Say what the cost is for",
            "max_length": "Say what the cost is for in 200 characters or fewer",
        },
    )
    amount = MoneyField(
        label="Amount (£)", name="the amount", example="350.00", min_value=Decimal("0.01"),
        max_value=rules.MAX_LINE_AMOUNT, max_digits=10, width=10, required=False,
    )  # fmt: skip
    note = forms.CharField(
        label="Note for the panel (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example, the supplier's quote, or who runs the training.",
        error_messages={"max_length": "Give the note in 1,000 characters or fewer"},
    )

    class Meta:
        model = ProvisionLine
        fields = ["kind", "description", "amount", "note"]

    def __init__(self, *args, card=(), **kwargs):
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        self._line_problems(data, card_in_use=False)
        return data


class ProvisionForm(GDSModelForm):
    start_date = _date("Start date")
    end_date = _date("End date")

    class Meta:
        model = FundingRequest
        fields = ["outcomes_sought", "start_date", "end_date"]
        labels = {"outcomes_sought": "Outcomes sought"}
        help_texts = {"outcomes_sought": "What the pupil will be able to do by the end."}

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date must be on or after the start date")
        if end and end < timezone.localdate():
            self.add_error("end_date", "The end date must be in the future")
        return data


class ConsentForm(GDSModelForm):
    consent_date = _date("Date consent was given")

    class Meta:
        model = FundingRequest
        fields = ["parental_consent", "consent_date", "parent_voice", "pupil_voice"]
        labels = {
            "parental_consent": "The parent or carer has consented to this request "
            "and to sharing it with the panel",
            "parent_voice": "The parent or carer's views",
            "pupil_voice": "The pupil's views",
        }

    def clean_consent_date(self):
        return _not_future(
            self.cleaned_data.get("consent_date"),
            "The date of consent must be today or in the past",
        )

    def clean(self):
        data = super().clean()
        if (
            data.get("parental_consent")
            and not data.get("consent_date")
            and not self.has_error("consent_date")
        ):
            self.add_error("consent_date", "Enter the date consent was given")
        if data.get("consent_date") and not data.get("parental_consent"):
            self.add_error("parental_consent", "Confirm consent, or remove the date")
        return data


class DocumentForm(GDSForm):
    error_names = {"kind": "what the document is", "file": "a file"}
    kind = forms.ChoiceField(
        choices=DocumentKind.choices, label="What is it?", initial=DocumentKind.OTHER
    )
    file = forms.FileField(
        label="Upload a file",
        help_text=f"PDF, DOCX, XLSX, PNG or JPEG, smaller than "
        f"{settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.",
    )

    def __init__(self, *args, refused_too_big: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if refused_too_big:
            # The file was dropped as it arrived (funding.uploads): say why, not "choose a file".
            self.fields["file"].error_messages["required"] = too_big_message()


class ReconsiderForm(GDSForm):
    error_names = {"kind": "what the document is", "file": "a file", "message": "the new evidence"}
    """The school's one request for reconsideration: the new evidence, and a document if any."""

    message = forms.CharField(
        label="What is the new evidence?",
        help_text="What has changed or come to light since the panel's decision, and why "
        "the panel should look at the request again.",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "Enter the new evidence"},
    )
    kind = forms.ChoiceField(
        choices=DocumentKind.choices, label="What is the document?", initial="assessment"
    )
    file = forms.FileField(
        label="Upload a document (optional)",
        required=False,
        help_text=f"For example a new report from another agency. PDF, DOCX, XLSX, PNG or "
        f"JPEG, smaller than {settings.DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.",
    )

    def __init__(self, *args, refused_too_big: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.refused_too_big = refused_too_big

    def clean(self):
        data = super().clean()
        if self.refused_too_big:
            self.add_error("file", too_big_message())
        return data


class MessageForm(GDSForm):
    message = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, label="Message", required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].label = label
        self.fields["message"].required = required


class FilterForm(PlainMessagesMixin, forms.Form):
    """The list filters; invalid values are ignored rather than shown as errors."""

    cluster = forms.IntegerField(required=False)
    stream = forms.IntegerField(required=False)
    state = forms.ChoiceField(choices=[("", "Any"), *LISTED_STATES], required=False)
    need = forms.ChoiceField(required=False, choices=[])
    submitted_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    submitted_to = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("created", "Most recently started"),
            ("oldest", "Waiting longest"),
            ("newest", "Newest submitted"),
            ("amount", "Largest amount"),
            ("reference", "Reference"),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .models import SEN2Need

        self.fields["need"].choices = [("", "Any")] + SEN2Need.choices


class StreamForm(GDSModelForm):
    max_award = MoneyField(
        label="Maximum award (£)", name="the maximum award", example="6,000", min_value=Decimal("0.01"),
        max_digits=10,
    )  # fmt: skip
    eligible_phases = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, label="Phases that may apply"
    )

    class Meta:
        model = FundingStream
        fields = ["code", "name", "description", "max_award", "max_duration_weeks",
                  "eligible_phases", "is_open"]  # fmt: skip
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from clusters.models import Phase

        self.fields["eligible_phases"].choices = Phase.choices

    def clean_code(self):
        code = self.cleaned_data["code"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2,6}", code):
            raise forms.ValidationError("Enter a code of 2 to 6 letters, like ENG")
        return code

    def clean_max_duration_weeks(self):
        value = self.cleaned_data["max_duration_weeks"]
        if value < 1 or value > 156:
            raise forms.ValidationError("The maximum duration is between 1 and 156 weeks")
        return value


class RateForm(GDSForm):
    """One standard hourly rate on the LA's rate card."""

    role = forms.CharField(
        label="Role",
        max_length=80,
        help_text="For example, Teaching assistant, HLTA or Specialist teacher.",
        error_messages={
            "required": "Enter the role, like Teaching assistant",
            "max_length": "Enter the role in 80 characters or fewer",
        },
    )
    year = forms.IntegerField(
        label="Financial year it starts",
        help_text="The year the financial year starts on 1 April: 2026 for April 2026 to "
        "March 2027.",
        widget=_number(4),
        error_messages={
            "required": "Enter the year the financial year starts, like 2026",
            "invalid": "Enter the year the financial year starts, like 2026",
        },
    )
    hourly_rate = MoneyField(
        label="Rate (£ an hour)", name="the hourly rate", example="15.50",
        min_value=Decimal("0.01"), max_value=rules.MAX_HOURLY_RATE, max_digits=8, width=5,
    )  # fmt: skip


class NeedBandForm(GDSForm):
    """A banded descriptor of need: the need, the level, what it looks like, the usual range."""

    need = forms.ChoiceField(
        label="Primary need",
        choices=[("", "Choose the primary need"), *SEN2Need.choices],
        error_messages={"required": "Choose the primary need the band describes"},
    )
    band = forms.IntegerField(
        label="Band",
        help_text="0 for no additional need, then higher as the need grows; panels and "
        "reports name the band by its number.",
        widget=_number(2),
        error_messages={
            "required": "Enter the band, like 2",
            "invalid": "Enter the band as a number, like 2",
        },
    )
    descriptor = forms.CharField(
        label="What need at this band looks like",
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={
            "required": "Describe the need at this band",
            "max_length": "Describe the need in 2,000 characters or fewer",
        },
    )
    usual_award_min = MoneyField(
        label="Lowest usual award (£)", name="the lowest usual award", example="2,000",
        min_value=0, max_value=Decimal("100000"), width=10,
    )  # fmt: skip
    usual_award_max = MoneyField(
        label="Highest usual award (£)", name="the highest usual award", example="6,000",
        min_value=0, max_value=Decimal("100000"), width=10,
    )  # fmt: skip


def _months_ahead(today: date, count: int = 13) -> list[tuple[str, str]]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((f"{year:04d}-{month:02d}", date(year, month, 1).strftime("%B %Y")))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


class NoticeForm(GDSForm):
    """An intention to request: the pupil, the fund, when, and whose reports are awaited."""

    error_names = {
        "stream": "the fund",
        "expected_month": "the month you expect to submit",
        "reports_awaited": "whose reports you are waiting for",
    }
    school = forms.ModelChoiceField(queryset=None, label="School", empty_label=None)
    pupil_initials = forms.CharField(
        label="Pupil's initials",
        help_text="Initials only: never the pupil's name or UPN.",
        widget=forms.TextInput(attrs={"class": "govuk-input--width-4", "autocomplete": "off"}),
        error_messages={"required": "Enter the pupil's initials, like AB"},
    )
    year_group = forms.ChoiceField(
        label="Year group",
        choices=[("", "Choose the year group"), *YearGroup.choices],
        error_messages={"required": "Choose the pupil's year group"},
    )
    stream = forms.ModelChoiceField(
        queryset=FundingStream.objects.none(),
        label="Which fund will you ask?",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Choose the fund you will ask",
            "invalid_choice": "Choose a fund that is open to your school",
        },
    )
    expected_month = forms.ChoiceField(
        label="When do you expect to submit the request?",
        choices=[],
        error_messages={
            "required": "Choose the month you expect to submit",
            "invalid_choice": "Choose a month from this month to a year ahead",
        },
    )
    reports_awaited = forms.CharField(
        label="Whose reports are you waiting for?",
        help_text="The professionals, like the educational psychologist or the speech and "
        "language therapist, and when you expect each report.",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Enter whose reports you are waiting for"},
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools
        if len(schools) == 1:
            self.fields["school"].initial = schools[0].pk
            self.initial.setdefault("school", schools[0].pk)
            self.fields["school"].widget = forms.HiddenInput()
        self.fields["stream"].queryset = FundingStream.objects.filter(is_open=True)
        self.fields["expected_month"].choices = [
            ("", "Choose a month"),
            *_months_ahead(timezone.localdate()),
        ]

    def clean_pupil_initials(self):
        value = (self.cleaned_data.get("pupil_initials") or "").strip().upper().replace(".", "")
        if not re.fullmatch(r"[A-Z]{1,3}", value):
            raise forms.ValidationError("Enter initials as 1 to 3 letters, like AB")
        return value

    def clean_expected_month(self):
        year, month = self.cleaned_data["expected_month"].split("-")
        return date(int(year), int(month), 1)

    def clean(self):
        data = super().clean()
        school, stream = data.get("school"), data.get("stream")
        if school and stream and school.phase not in stream.eligible_phases:
            self.add_error(
                "stream",
                f"{stream.name} is not open to {school.get_phase_display().lower()} schools",
            )
        return data
