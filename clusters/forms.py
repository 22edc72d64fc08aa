"""Forms for the cluster pages."""

from django import forms

from portal.forms import PlainMessagesMixin


class YearForm(PlainMessagesMixin, forms.Form):
    """Which academic year's figures a list shows (GET, so the view can be bookmarked)."""

    year = forms.TypedChoiceField(label="Academic year", coerce=int, required=False)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}/{(y + 1) % 100:02d}") for y in years]
