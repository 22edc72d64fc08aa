"""The API's list filters (the pages use the same fields through FilterForm)."""

import django_filters
from django.db.models import Q

from portal.filters import IdFilter

from .models import FundingRequest, SEN2Need
from .selectors import shows_pupil_detail
from .workflow import LISTED_STATES


class RequestFilter(django_filters.FilterSet):
    cluster = IdFilter(field_name="cluster_id")
    stream = IdFilter(field_name="stream_id")
    school = IdFilter(field_name="school_id")
    state = django_filters.ChoiceFilter(choices=LISTED_STATES)
    need = django_filters.ChoiceFilter(choices=SEN2Need.choices, method="filter_need")
    submitted_from = django_filters.DateFilter(field_name="submitted_at", lookup_expr="date__gte")
    submitted_to = django_filters.DateFilter(field_name="submitted_at", lookup_expr="date__lte")

    class Meta:
        model = FundingRequest
        fields = ["cluster", "stream", "school", "state", "need", "submitted_from", "submitted_to"]

    def filter_need(self, queryset, name, value):
        # Need is pupil detail: a finance officer may not even filter by it.
        if self.request is not None and not shows_pupil_detail(self.request.user):
            return queryset
        return queryset.filter(Q(primary_need=value) | Q(secondary_need=value))
