"""The ``gbp`` filter, built into every template (see TEMPLATES in settings)."""

from django import template

from portal.money import format_gbp

register = template.Library()


@register.filter
def gbp(value) -> str:
    """``{{ amount|gbp }}`` → ``£1,234.50``; no amount → ``–``."""
    if value is None or value == "":
        return "–"
    return format_gbp(value)
