"""Filters shared by the apps' API lists."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field


def as_id(value: str | None) -> int | None:
    """The id a row could have, written in ASCII digits, or None. (``"²".isdigit()`` is
    true and ``int("²")`` fails; a number past 64 bits crashes the database.)"""
    value = (value or "").strip()
    if not (value.isascii() and value.isdecimal()):
        return None
    number = int(value)
    return number if 0 < number < 2**63 else None


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
