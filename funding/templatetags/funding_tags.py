from django import template

register = template.Library()


@register.inclusion_tag("funding/_row.html")
def summary_row(label, value, change, section, fr):
    return {"label": label, "value": value, "change": change, "section": section, "fr": fr}


STATE_TAGS = {
    "draft": "govuk-tag--grey",
    "submitted": "govuk-tag--blue",
    "returned": "govuk-tag--orange",
    "ready": "govuk-tag--turquoise",
    "on_agenda": "govuk-tag--purple",
    "approved": "govuk-tag--green",
    "partially_approved": "govuk-tag--green",
    "declined": "govuk-tag--red",
    "deferred": "govuk-tag--yellow",
    "active": "govuk-tag--green",
    "review_due": "govuk-tag--pink",
    "closed": "govuk-tag--grey",
    "withdrawn": "govuk-tag--grey",
}


@register.inclusion_tag("funding/_state.html")
def state_tag(fr):
    return {"label": fr.get_state_display(), "css": STATE_TAGS.get(fr.state, "")}


EVENT_LABELS = {
    "created": "Request started",
    "document_added": "Document added",
    "document_removed": "Document removed",
}


@register.filter
def event_label(event) -> str:
    from funding.workflow import TRANSITIONS

    if event.kind in TRANSITIONS:
        return TRANSITIONS[event.kind].label
    return EVENT_LABELS.get(event.kind, event.kind.replace("_", " ").capitalize())
