"""Forms for the cluster pages."""

from crispy_forms_gds.helper import FormHelper
from django import forms
from django.conf import settings

from portal.forms import PlainMessagesMixin

from .importers import _mb, parse_academic_year


class YearForm(PlainMessagesMixin, forms.Form):
    """Which academic year's figures a list shows (GET, so the view can be bookmarked)."""

    year = forms.TypedChoiceField(label="Academic year", coerce=int, required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}/{(y + 1) % 100:02d}") for y in years]


def check_csv(upload, what: str):
    """A CSV by its name, within the imports' size limit; its text is checked as read."""
    if upload is None:
        return upload
    if not upload.name.lower().endswith((".csv", ".txt")):
        raise forms.ValidationError(f"The {what} must be a CSV file (ending .csv)")
    limit = settings.IMPORT_MAX_BYTES
    if upload.size > limit:
        raise forms.ValidationError(
            f"The {what} is {_mb(upload.size)}: the limit is {_mb(limit)}. "
            "Filter it to the LA's rows first"
        )
    return upload


def _file_messages(what: str) -> dict:
    choose = f"Choose the {what} to upload"
    return {
        "required": choose,
        "invalid": choose,
        "missing": choose,
        "empty": f"The {what} is empty",
    }


class _YearField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=9, **kwargs)

    def clean(self, value):
        value = super().clean(value).strip()
        if not value:
            return None
        year, error = parse_academic_year(value)
        if error:
            raise forms.ValidationError(error.rstrip("."))
        return year


class _GDSForm(PlainMessagesMixin, forms.Form):
    """GOV.UK markup through crispy-forms-gds; the page supplies <form> and buttons."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class GiasUploadForm(_GDSForm):
    extract = forms.FileField(
        label="GIAS extract (CSV)",
        help_text="The 'establishment fields' CSV downloaded from Get Information about "
        "Schools: all of England is fine, only the LA's rows are read.",
        error_messages=_file_messages("GIAS extract"),
    )
    mapping = forms.FileField(
        label="Cluster mapping (CSV, optional)",
        required=False,
        help_text="Columns URN, District, Cluster and, optionally, Cluster code and "
        "District code. Schools it does not name keep their cluster.",
        error_messages=_file_messages("cluster mapping"),
    )
    year = _YearField(
        label="Academic year of GIAS's pupil numbers (optional)",
        help_text="For example, 2025/26: GIAS's roll, FSM and SEN counts then set that "
        "year's figures. Leave it blank to change no figures.",
    )

    def clean_extract(self):
        return check_csv(self.cleaned_data["extract"], "GIAS extract")

    def clean_mapping(self):
        return check_csv(self.cleaned_data.get("mapping"), "cluster mapping")


class StatsUploadForm(_GDSForm):
    statistics = forms.FileField(
        label="School statistics (CSV)",
        help_text="The DfE's school-level 'Special educational needs in England' file, "
        "or the LA template (urn, academic_year and the figures).",
        error_messages=_file_messages("statistics file"),
    )
    year = _YearField(
        label="Academic year (optional)",
        help_text="For example, 2025/26: only that year's rows are imported. Leave it "
        "blank to import every year in the file.",
    )

    def clean_statistics(self):
        return check_csv(self.cleaned_data["statistics"], "statistics file")


class ClusterNameForm(_GDSForm):
    name = forms.CharField(
        label="Cluster name",
        max_length=120,
        error_messages={
            "required": "Enter the cluster's name",
            "max_length": "The cluster's name must be 120 characters or fewer",
        },
    )
    # The name the page showed: a rename made meanwhile is not overwritten.
    expected_name = forms.CharField(widget=forms.HiddenInput, required=False, max_length=120)


class ClusterCreateForm(_GDSForm):
    district = forms.ModelChoiceField(
        label="District",
        queryset=None,
        empty_label="Choose the district",
        error_messages={
            "required": "Choose the district the cluster is in",
            "invalid_choice": "Choose the district the cluster is in",
        },
    )
    name = forms.CharField(
        label="Cluster name",
        max_length=120,
        error_messages={
            "required": "Enter the cluster's name",
            "max_length": "The cluster's name must be 120 characters or fewer",
        },
    )
    code = forms.CharField(
        label="Cluster code (optional)",
        required=False,
        max_length=30,
        help_text="The code the LA's cluster mapping uses. Leave it blank to make one from the names.",
        error_messages={"max_length": "The code must be 30 characters or fewer"},
    )

    def __init__(self, *args, **kwargs):
        from .models import District

        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = District.objects.order_by("name")


class _ClusterChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.district.name})"


class MoveSchoolForm(_GDSForm):
    cluster = _ClusterChoice(
        label="Move to",
        queryset=None,
        empty_label="Choose the cluster",
        error_messages={
            "required": "Choose the cluster to move the school to",
            "invalid_choice": "Choose the cluster to move the school to",
        },
    )
    # The cluster the page showed (blank: none): a move made meanwhile is not overwritten.
    expected_cluster = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, school=None, **kwargs):
        from .models import Cluster

        super().__init__(*args, **kwargs)
        clusters = Cluster.objects.select_related("district").order_by("district__name", "name")
        if school is not None and school.cluster_id:
            clusters = clusters.exclude(pk=school.cluster_id)
        self.fields["cluster"].queryset = clusters
