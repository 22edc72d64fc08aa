"""Forms for the finance officer's allocation, adjustments and overrides, and export filters."""

from __future__ import annotations

from decimal import Decimal

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Fieldset, Layout, Size
from django import forms

from clusters.models import Cluster, School
from funding.models import FundingRequest, FundingStream
from portal.fields import MoneyField
from portal.forms import DateField, PlainMessagesMixin

from .allocation import Weights
from .models import TERMS, ClusterBudget, FinancialYear, TermDates


class GovukMixin(PlainMessagesMixin):
    """Give each widget its GOV.UK Frontend class, and tie its hint to it for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            css = (
                "govuk-select"
                if isinstance(widget, forms.Select)
                else "govuk-textarea"
                if isinstance(widget, forms.Textarea)
                else "govuk-input govuk-input--width-10"
            )
            widget.attrs.setdefault("class", css)
            if field.help_text:
                widget.attrs.setdefault("aria-describedby", f"{self[name].auto_id}-hint")


def _money(label: str, name: str, **kw) -> MoneyField:
    return MoneyField(label=label, name=name, max_digits=14, **kw)


class AllocationForm(GovukMixin, forms.Form):
    stream = forms.ModelChoiceField(
        FundingStream.objects.all(),
        label="Funding stream",
        error_messages={"required": "Choose the funding stream to allocate"},
    )
    year = forms.ModelChoiceField(
        FinancialYear.objects.all(),
        label="Financial year",
        error_messages={"required": "Choose the financial year"},
    )
    pot = _money("County pot (£)", "the county pot", example="250,000", min_value=Decimal("0.01"))
    weight_roll = forms.DecimalField(
        label="Weight for pupils on roll",
        max_digits=7,
        decimal_places=4,
        min_value=0,
        initial=Decimal("0.4"),
    )
    weight_fsm = forms.DecimalField(
        label="Weight for FSM pupils",
        max_digits=7,
        decimal_places=4,
        min_value=0,
        initial=Decimal("0.3"),
    )
    weight_sen_support = forms.DecimalField(
        label="Weight for SEN-support pupils",
        max_digits=7,
        decimal_places=4,
        min_value=0,
        initial=Decimal("0.3"),
    )
    lump_sum = _money(
        "Lump sum per cluster (£, optional)",
        "the lump sum",
        example="5,000",
        required=False,
        initial=Decimal("0"),
    )

    @property
    def weights(self) -> Weights:
        d = self.cleaned_data
        return Weights(d["weight_roll"], d["weight_fsm"], d["weight_sen_support"])


class AdjustmentForm(GovukMixin, forms.Form):
    budget = forms.ModelChoiceField(
        ClusterBudget.objects.select_related("cluster", "stream", "year"), label="Budget"
    )
    amount = _money(
        "Amount (£)",
        "the amount",
        allow_negative=True,
        help_text="Positive to add money, negative to take it away. When moving money, the amount to move.",
    )
    move_to = forms.ModelChoiceField(
        ClusterBudget.objects.select_related("cluster", "stream", "year"),
        label="Move it to (optional)",
        required=False,
        help_text="Another cluster's budget for the same stream and year.",
    )
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}))


class OverrideForm(GovukMixin, forms.Form):
    reference = forms.CharField(label="Request reference", max_length=20)
    reason = forms.CharField(
        label="Why this approval may go over budget", widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_reference(self):
        ref = self.cleaned_data["reference"].strip().upper()
        try:
            self.funding_request = FundingRequest.objects.get(reference=ref)
        except FundingRequest.DoesNotExist:
            raise forms.ValidationError("There is no request with that reference.") from None
        return ref


class ExportFilterForm(GovukMixin, forms.Form):
    cluster = forms.ModelChoiceField(Cluster.objects.all(), required=False)
    stream = forms.ModelChoiceField(FundingStream.objects.all(), required=False)
    year = forms.ModelChoiceField(
        FinancialYear.objects.all(), required=False, to_field_name="start_year"
    )
    date_from = forms.DateField(label="From", required=False)
    date_to = forms.DateField(label="To", required=False)

    def filters(self) -> dict:
        d = self.cleaned_data
        return {
            "cluster": d["cluster"].pk if d.get("cluster") else None,
            "stream": d["stream"].pk if d.get("stream") else None,
            "year": d["year"].start_year if d.get("year") else None,
            "date_from": d.get("date_from"),
            "date_to": d.get("date_to"),
        }


class SchoolChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} (URN {obj.urn}) — {obj.cluster.name}"


class MovePupilForm(GovukMixin, forms.Form):
    new_school = SchoolChoiceField(
        School.objects.none(),
        label="The pupil's new school",
        error_messages={"required": "Choose the school the pupil has moved to"},
    )
    reason = forms.CharField(
        label="Why the funding moves",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter a reason: it is kept on the ledger"},
    )
    override_reason = forms.CharField(
        label="Over-budget override (finance officers only)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "Only if the new cluster's budget cannot cover what moves: why it may go below "
            "zero. The dashboards flag every override."
        ),
    )

    def __init__(self, *args, funding_request=None, **kwargs):
        super().__init__(*args, **kwargs)
        schools = School.objects.filter(is_open=True, cluster__isnull=False).select_related(
            "cluster"
        )
        if funding_request is not None:
            schools = schools.exclude(pk=funding_request.school_id)
        self.fields["new_school"].queryset = schools.order_by("cluster__name", "name")


class ReduceAwardForm(GovukMixin, forms.Form):
    new_amount = _money(
        "New award (£)",
        "the new award",
        help_text="The whole award after the reduction, including anything already paid.",
    )
    reason = forms.CharField(
        label="Why the award is reduced",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Enter a reason: it is kept on the ledger"},
    )


class TermDatesForm(PlainMessagesMixin, forms.Form):
    """One academic year's terms and half-terms, a fieldset per term (GOV.UK date inputs)."""

    academic_year = forms.IntegerField(
        label="Academic year it starts",
        help_text="The year the academic year starts in September: 2026 for 2026/27.",
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-4", "inputmode": "numeric"}
        ),
        error_messages={
            "required": "Enter the year the academic year starts, like 2026",
            "invalid": "Enter the year the academic year starts, like 2026",
        },
    )

    def __init__(self, *args, existing: TermDates | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        fieldsets = []
        for key, name, half, _after in TERMS:
            names = []
            for part, words in (
                ("first", "First day of term"),
                ("half_first", f"First day of the {half}"),
                ("half_last", f"Last day of the {half}"),
                ("last", "Last day of term"),
            ):
                field_name = f"{key}_{part}"
                label = str(TermDates._meta.get_field(field_name).verbose_name)
                self.fields[field_name] = DateField(label=words, name=f"the {label}")
                self.fields[field_name].help_text = "For example, 3 9 2026"
                names.append(field_name)
            fieldsets.append(Fieldset(*names, legend=f"{name} term", legend_size=Size.MEDIUM))
        if existing is not None:
            del self.fields["academic_year"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            *([] if existing is not None else ["academic_year"]), *fieldsets
        )

    def days(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "academic_year"}
