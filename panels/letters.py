"""Decision letters: the LA's wording per outcome, filled in from a fixed list of facts.

A template is plain text with ``{placeholder}`` names from :data:`PLACEHOLDERS` and
nothing else: no template code, no attribute access, no format specs, so whatever an
officer types can only ever be printed (``template_problems`` refuses any other
``{…}``). The facts are pseudonymised (the pupil's initials, year group and sex) and
never carry a conflict reason. The letter's words are filled in once, when the
meeting's letters are produced (``panels.services.letters``); the page and the PDF
render those kept words, like the minutes and the agenda pack (a tagged PDF/UA-1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from funding.models import FundingRequest
from portal.audit import record_view
from portal.money import format_gbp

from .models import AgendaItem, Decision, DecisionAction, Letter, LetterTemplate, Outcome

# What a template may use, with what each says (the editor lists them).
PLACEHOLDERS: dict[str, str] = {
    "school": "The school's name",
    "reference": "The request's reference",
    "pupil": "The pupil, pseudonymised: initials, year group and sex",
    "fund": "The fund the request was made to",
    "panel": "The panel's name",
    "meeting_date": "The date of the meeting",
    "outcome": "The outcome, in words",
    "amount_requested": "The amount the school asked for",
    "amount_awarded": "The amount awarded (blank if none)",
    "rationale": "The panel's reasons, as the chair recorded them",
    "conditions": "The conditions of the award (“None.” if none)",
    "review_date": "The date the school reports on the outcomes (blank if none)",
    "follow_ups": "The advice and referrals, each with who follows up and by when",
    "deferred_to": "The meeting the request is deferred to",
    "appeal_route": "How to ask for reconsideration or appeal",
    "la_name": "The local authority's name",
}

# What a letter for each outcome must say, whatever the LA's wording.
REQUIRED: dict[str, tuple[str, ...]] = {
    Outcome.APPROVED: ("rationale", "amount_awarded", "review_date", "appeal_route"),
    Outcome.PARTIALLY_APPROVED: ("rationale", "amount_awarded", "review_date", "appeal_route"),
    Outcome.DECLINED: ("rationale", "appeal_route"),
    Outcome.DEFERRED: ("rationale", "deferred_to"),
    Outcome.MORE_INFORMATION: ("rationale",),
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _names(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text or "")


def template_problems(outcome: str, subject: str, body: str) -> dict[str, list[str]]:
    """What is wrong with a template, by field ({} when nothing): an unknown placeholder
    is named with the list to choose from; a missing required one says why it is needed."""
    problems: dict[str, list[str]] = {}
    known = ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)
    for field, text in (("subject", subject), ("body", body)):
        if not (text or "").strip():
            problems.setdefault(field, []).append(
                "Enter the subject line." if field == "subject" else "Enter the letter's text."
            )
        unknown = [n for n in dict.fromkeys(_names(text)) if n not in PLACEHOLDERS]
        for name in unknown:
            problems.setdefault(field, []).append(
                f"“{{{name}}}” is not a placeholder letters can use. Use only: {known}."
            )
    used = set(_names(body))
    missing = [n for n in REQUIRED.get(outcome, ()) if n not in used]
    if missing:
        label = Outcome(outcome).label.lower() if outcome in Outcome.values else outcome
        problems.setdefault("body", []).append(
            f"A letter for “{label}” must include "
            + ", ".join(f"{{{n}}}" for n in missing)
            + ": the school is always told it."
        )
    return problems


def fill(text: str, facts: dict[str, str]) -> str:
    """The text with each placeholder replaced by its fact (text only: never evaluated)."""
    return _PLACEHOLDER.sub(lambda m: facts.get(m.group(1), m.group(0)), text)


def pupil_text(fr: FundingRequest) -> str:
    parts = [fr.pupil_initials or "Pupil", fr.get_year_group_display(), fr.get_sex_display()]
    return ", ".join(p for p in parts if p)


def appeal_route(fr: FundingRequest, outcome: str, *, appeal_heard: bool) -> str:
    """The route open to the school after this decision (the portal's own rules: one
    reconsideration of a decline, then one appeal heard by the LA)."""
    if outcome != Outcome.DECLINED:
        return (
            "If you disagree with this decision, contact the LA SEND team, who can tell "
            "you about the appeal route."
        )
    if appeal_heard:
        return "An appeal has already been heard on this request: the appeal route is closed."
    if fr.reconsideration_used:
        return (
            "This request has already been reconsidered once, so it cannot be reconsidered "
            "again. You can appeal to the LA SEND team: they hear one appeal and will tell "
            "you the outcome."
        )
    return (
        "If you disagree with this decision, you can ask the panel to reconsider it once, "
        "with new evidence, from the request's page in the portal. If the panel declines "
        "it again, you can appeal to the LA SEND team: they hear one appeal and will tell "
        "you the outcome."
    )


def follow_up_lines(actions: list[DecisionAction]) -> list[str]:
    return [
        f"{a.get_kind_display()}: {a.detail} Followed up by {a.owner} by {a.due_by:%-d %B %Y}."
        for a in actions
    ]


def facts_for(
    item: AgendaItem,
    decision: Decision | None,
    actions: list[DecisionAction],
    *,
    outcome: str,
    rationale: str,
    appeal_heard: bool,
) -> dict[str, str]:
    """The facts a template may print, from the item and its decision (pseudonymised)."""
    fr, meeting = item.request, item.meeting
    deferred_to = decision.deferred_to if decision else None
    lines = follow_up_lines(actions)
    return {
        "school": fr.school.name,
        "reference": fr.reference,
        "pupil": pupil_text(fr),
        "fund": fr.stream.name,
        "panel": meeting.panel.name,
        "meeting_date": f"{meeting.date:%-d %B %Y}",
        "outcome": Outcome(outcome).label,
        "amount_requested": format_gbp(fr.amount_requested),
        "amount_awarded": format_gbp(decision.amount)
        if decision and decision.amount is not None
        else "",
        "rationale": rationale,
        "conditions": (decision.conditions if decision else "") or "None.",
        "review_date": f"{decision.review_date:%-d %B %Y}"
        if decision and decision.review_date
        else "",
        "follow_ups": "\n".join(lines) if lines else "None.",
        "deferred_to": f"the meeting of {deferred_to.date:%-d %B %Y}"
        if deferred_to
        else "the panel's next meeting",
        "appeal_route": appeal_route(fr, outcome, appeal_heard=appeal_heard),
        "la_name": settings.LA_NAME,
    }


# --- The LA's starting wording (seeded by a data migration; used if a row is missing) ---

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    Outcome.APPROVED: (
        "Funding approved: {reference}",
        "The {panel} met on {meeting_date} and considered your request {reference} for "
        "{pupil} to the {fund}.\n\n"
        "I am pleased to tell you that the panel has approved the request in full: "
        "{amount_awarded} will be paid to the school.\n\n"
        "The panel's reasons: {rationale}\n\n"
        "Conditions of the funding: {conditions}\n\n"
        "Please report on the outcomes for the pupil by {review_date}, in the portal. "
        "The panel also agreed this support:\n{follow_ups}\n\n"
        "{appeal_route}\n\n"
        "You may share this letter with the pupil's parents or carers.",
    ),
    Outcome.PARTIALLY_APPROVED: (
        "Funding approved in part: {reference}",
        "The {panel} met on {meeting_date} and considered your request {reference} for "
        "{pupil} to the {fund}.\n\n"
        "The panel has approved the request in part: {amount_awarded} of the "
        "{amount_requested} requested will be paid to the school.\n\n"
        "The panel's reasons: {rationale}\n\n"
        "Conditions of the funding: {conditions}\n\n"
        "Please report on the outcomes for the pupil by {review_date}, in the portal. "
        "The panel also agreed this support:\n{follow_ups}\n\n"
        "{appeal_route}\n\n"
        "You may share this letter with the pupil's parents or carers.",
    ),
    Outcome.DECLINED: (
        "Funding not agreed: {reference}",
        "The {panel} met on {meeting_date} and considered your request {reference} for "
        "{pupil} to the {fund}.\n\n"
        "The panel has decided not to agree funding for this request.\n\n"
        "The panel's reasons: {rationale}\n\n"
        "The support the panel offers instead:\n{follow_ups}\n\n"
        "{appeal_route}\n\n"
        "You may share this letter with the pupil's parents or carers.",
    ),
    Outcome.DEFERRED: (
        "Decision deferred: {reference}",
        "The {panel} met on {meeting_date} and did not reach a decision on your request "
        "{reference} for {pupil} to the {fund}.\n\n"
        "The reason: {rationale}\n\n"
        "The request will be heard at {deferred_to}. You do not need to do anything unless "
        "the LA SEND team asks you for more information.\n\n"
        "Support agreed in the meantime:\n{follow_ups}",
    ),
    Outcome.MORE_INFORMATION: (
        "More information needed: {reference}",
        "The {panel} met on {meeting_date} and considered your request {reference} for "
        "{pupil} to the {fund}.\n\n"
        "The panel needs more information before it can decide: {rationale}\n\n"
        "The request has been returned to you in the portal. Please add what the panel "
        "asks for and resubmit it; it will then go to a later meeting.\n\n"
        "Support agreed in the meantime:\n{follow_ups}",
    ),
}


def default_template(outcome: str) -> LetterTemplate:
    subject, body = DEFAULT_TEMPLATES[outcome]
    return LetterTemplate(outcome=outcome, subject=subject, body=body)


# --- The letter as a page and a PDF ----------------------------------------------------


@dataclass(frozen=True)
class LetterView:
    """What the letter page and PDF show: the kept words, in paragraphs."""

    letter: Letter
    paragraphs: list[list[str]]  # each paragraph as its lines
    pupil: str  # pseudonymised


def letter_view(letter: Letter) -> LetterView:
    paragraphs = [p.split("\n") for p in re.split(r"\n\s*\n", letter.body.strip()) if p.strip()]
    return LetterView(letter, paragraphs, pupil_text(letter.item.request))


def letter_filename(letter: Letter) -> str:
    return f"decision-letter-{letter.item.request.reference or letter.pk}.pdf"


def render_letter_pdf(view: LetterView) -> bytes:
    from weasyprint import HTML

    html = render_to_string(
        "panels/letters/letter_pdf.html",
        {"view": view, "letter": view.letter, "la_name": settings.LA_NAME},
    )
    return HTML(string=html).write_pdf(pdf_variant="pdf/ua-1")


def letter_download(request: HttpRequest, letter: Letter, *, detail: str) -> HttpResponse:
    """The letter as a PDF, for the page and the API alike, audited as a read of the
    request it is about."""
    pdf = render_letter_pdf(letter_view(letter))
    record_view(request, letter.item.request, action="download_letter", detail=detail)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{letter_filename(letter)}"'
    response["Cache-Control"] = "private, no-store"
    return response
