from decimal import Decimal

from django import forms
from django.conf import settings

from budgets.models import FinancialYear
from clusters.models import SchoolYearStats
from funding.models import FundingStream
from portal.fields import MoneyField
from portal.forms import PlainMessagesMixin

from .models import ReportKind, ScopeKind
from .selectors import requestable_clusters, requestable_districts


def _weight(whose: str, example: int, help_text: str = "") -> forms.DecimalField:
    """One fair-share weight of need for a run (optional; zero or more)."""
    return forms.DecimalField(
        label=f"Weight of {whose} (fair share, optional)",
        help_text=help_text,
        required=False,
        min_value=Decimal("0"),
        max_digits=7,
        decimal_places=2,
        error_messages={
            "invalid": f"Enter the weight of {whose} as a number, like {example}",
            "min_value": "A weight cannot be below zero",
        },
    )


class ReportRequestForm(PlainMessagesMixin, forms.Form):
    kind = forms.ChoiceField(
        label="Which report",
        choices=ReportKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which report to produce"},
    )
    scope = forms.ChoiceField(label="For", widget=forms.Select(attrs={"class": "govuk-select"}))
    academic_year = forms.TypedChoiceField(
        label="Academic year", coerce=int, widget=forms.Select(attrs={"class": "govuk-select"})
    )
    national_ehcp_pct = forms.DecimalField(
        label="National % of pupils with an EHCP (optional)",
        help_text="For the high-SEND flag, from DfE's 'Special educational needs in England' "
        "for the same year, e.g. 2.5. Leave empty to leave the flag out.",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        decimal_places=2,
        error_messages={
            "invalid": "Enter the national percentage as a number, like 2.5",
            # No "%" here: Django fills these messages in with "%" formatting.
            "min_value": "Enter a national percentage between 0 and 100",
            "max_value": "Enter a national percentage between 0 and 100",
            "max_decimal_places": "Enter the national percentage with at most 2 decimal places",
        },
    )

    # The fair-share report's weights of need for this run (empty: the LA's formula).
    weight_roll = _weight(
        "pupils on roll",
        50,
        help_text="Leave the three weights empty to use the weights the LA allocated with. "
        "They need not add up to 100: each counts in proportion.",
    )
    weight_fsm = _weight("FSM pupils", 25)
    weight_sen_support = _weight("SEN-support pupils", 25)
    # The impact report's own: a fund (else all) and the LA's yearly placement costs.
    stream = forms.ChoiceField(
        label="Fund (impact report, optional)",
        required=False,
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )
    cost_specialist = MoneyField(
        name="the cost of a specialist placement",
        label="Yearly cost of a specialist placement (impact report, optional)",
        help_text="For the cost-avoidance estimate. Leave empty for the LA's usual figure.",
        required=False,
        min_value=0,
    )
    cost_ap = MoneyField(
        name="the cost of an alternative-provision placement",
        label="Yearly cost of an alternative-provision placement (impact report, optional)",
        required=False,
        min_value=0,
    )

    term = forms.ChoiceField(
        label="Term (Schools Forum KPI pack)",
        help_text="The pack is for the whole county: every report's headline figures.",
        required=False,
        choices=[
            ("", "Choose a term"),
            ("autumn", "Autumn"),
            ("spring", "Spring"),
            ("summer", "Summer"),
        ],  # fmt: skip
        widget=forms.Select(attrs={"class": "govuk-select"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stream"].choices = [("", "All funds")] + [
            (str(s.pk), s.name) for s in FundingStream.objects.order_by("name")
        ]
        choices = []
        districts = list(requestable_districts(user))
        if districts:
            choices.append((ScopeKind.COUNTY.value, "The whole county"))
            choices.append(
                ("Districts", [(f"district:{d.pk}", f"{d.name} district") for d in districts])
            )
        clusters = [(f"cluster:{c.pk}", f"{c.name} cluster") for c in requestable_clusters(user)]
        choices.append(("Clusters", clusters))
        self.fields["scope"].choices = choices
        # The years with school figures, and those with budgets (the forecast's).
        years = sorted(
            set(SchoolYearStats.objects.values_list("academic_year", flat=True).distinct())
            | set(FinancialYear.objects.values_list("start_year", flat=True)),
            reverse=True,
        )
        self.fields["academic_year"].choices = [(y, f"{y}/{(y + 1) % 100:02d}") for y in years] or [
            (2025, "2025/26")
        ]

    WEIGHTS = {"weight_roll": "roll", "weight_fsm": "fsm", "weight_sen_support": "sen_support"}

    def clean(self):
        data = super().clean()
        given = [data.get(f) for f in self.WEIGHTS]
        if data.get("kind") == ReportKind.KPI_PACK and not data.get("term"):
            self.add_error("term", "Choose the term of the Schools Forum KPI pack")
        if any(v is not None for v in given) and not sum(v or 0 for v in given):
            self.add_error(
                "weight_roll",
                "The weights add up to zero: give pupils on roll, FSM or SEN support a weight",
            )
        return data

    def pack_options(self) -> dict:
        """The Schools Forum KPI pack's term (the other reports have none)."""
        if self.cleaned_data["kind"] != ReportKind.KPI_PACK:
            return {}
        return {"term": self.cleaned_data.get("term") or None}

    def weights(self) -> dict | None:
        """The weights set for this run, or None for the LA's allocation formula."""
        given = {k: self.cleaned_data.get(f) for f, k in self.WEIGHTS.items()}
        if all(v is None for v in given.values()):
            return None
        return {k: v or 0 for k, v in given.items()}

    def impact_options(self) -> dict:
        """The fund and placement costs, for the impact report only."""
        data = self.cleaned_data
        if data["kind"] != ReportKind.IMPACT:
            return {}
        costs = {"specialist_placement": data.get("cost_specialist"),
                 "ap_placement": data.get("cost_ap")}  # fmt: skip
        return {
            "stream_id": int(data["stream"]) if data.get("stream") else None,
            "unit_costs": {k: v for k, v in costs.items() if v is not None},
        }

    def scope_parts(self) -> tuple[str, int | None]:
        value = self.cleaned_data["scope"]
        if ":" in value:
            kind, pk = value.split(":", 1)
            return kind, int(pk)
        return value, None


class EscalationUploadForm(PlainMessagesMixin, forms.Form):
    extract = forms.FileField(
        label="The LA's escalation extract (CSV)",
        help_text="Columns UPN, Event, Date (dd-mm-yyyy) and, for placements, End date. "
        "Events: EHC needs assessment requested, EHCP issued, Specialist placement, "
        "Alternative provision placement, Permanent exclusion. It replaces the last "
        "extract; the file itself is not kept.",
        error_messages={
            "required": "Choose the CSV file to upload",
            "empty": "The file is empty",
            "invalid": "Choose the CSV file to upload",
            "missing": "Choose the CSV file to upload",
        },
    )

    def clean_extract(self):
        upload = self.cleaned_data["extract"]
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("The file must be a CSV file (ending .csv)")
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"The file is {upload.size // 1_000_000} MB: the limit is {limit // 1_000_000} MB"
            )
        return upload
