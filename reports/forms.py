from decimal import Decimal

from django import forms

from clusters.models import SchoolYearStats
from portal.forms import PlainMessagesMixin

from .models import ReportKind, ScopeKind
from .selectors import requestable_clusters, requestable_districts


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

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
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
        years = list(
            SchoolYearStats.objects.order_by("-academic_year")
            .values_list("academic_year", flat=True)
            .distinct()
        )
        self.fields["academic_year"].choices = [(y, f"{y}/{(y + 1) % 100:02d}") for y in years] or [
            (2025, "2025/26")
        ]

    def scope_parts(self) -> tuple[str, int | None]:
        value = self.cleaned_data["scope"]
        if ":" in value:
            kind, pk = value.split(":", 1)
            return kind, int(pk)
        return value, None
