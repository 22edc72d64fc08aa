from django import template

from reports.formatting import format_value

register = template.Library()


@register.filter
def fmt(value, kind):
    return format_value(value, kind)


@register.filter
def cell(row, key):
    return row.get(key)


@register.filter
def column_label(key, labels):
    return labels.get(key, key)


@register.filter
def column_fmt(key, fmts):
    return fmts.get(key, "text")
