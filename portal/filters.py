"""Filters shared by the apps' API lists."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.CharFilter):
    """An id. Anything that is not one a row could have (``1e30``, ``-1``, ``x``) finds
    nothing, rather than reaching the database as a number it cannot hold."""

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        try:
            number = int(value)
        except ValueError:
            return qs.none()
        if not 0 < number < 2**63:
            return qs.none()
        return qs.filter(**{self.field_name: number})
