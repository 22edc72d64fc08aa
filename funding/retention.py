"""The retention schedule of requests' personal data, declared as data
(docs/architecture.md §11). ``funding.services.apply_retention`` applies it.

A request whose life has ended (``workflow.ENDED``: closed, withdrawn, declined, or a
deleted draft) keeps its personal data for a number of years after that, one number
per class (``settings.RETENTION_DOCUMENTS_YEARS``, ``RETENTION_FREE_TEXT_YEARS``,
``RETENTION_PUPIL_FIELDS_YEARS``); then the class is removed, once. The figures
stay: amounts, dates, need and band, outcome, school, cluster, stream, year group,
sex and the pupil key, so every report reads the same before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from .models import RetentionClass

# What a required text field reads once removed (its database check refuses "").
REMOVED = "Removed under the retention schedule."


@dataclass(frozen=True)
class HeldText:
    """Text fields of one model that hold what people wrote about a pupil."""

    model: str  # app_label.ModelName
    to_request: str  # the lookup from the model to its request
    fields: tuple[str, ...]


# Everything written in words about a request, in every app. Choices, amounts, dates and
# who did what stay. Not here: the ledger's reasons (append-only, the LA's financial
# record, about money), a meeting's venue and an acting chair's reason (about the panel).
FREE_TEXT: tuple[HeldText, ...] = (
    HeldText(
        "funding.FundingRequest",
        "pk",
        (
            "ordinarily_available_provision",
            "outcomes_sought",
            "agencies_involved",
            "parent_voice",
            "pupil_voice",
            "project_summary",
        ),
    ),
    HeldText("funding.ReviewCycle", "request", ("assess", "plan", "impact")),
    HeldText("funding.ProvisionLine", "request", ("description", "note", "rate_reason")),
    # Return questions, withdrawal reasons, documents' names.
    HeldText("funding.RequestEvent", "request", ("message",)),
    HeldText("funding.IntentionNotice", "request", ("reports_awaited",)),
    HeldText("panels.Decision", "request", ("rationale", "conditions")),
    HeldText("panels.DecisionAction", "decision__request", ("detail",)),
    HeldText(
        "panels.ChairsActionProposal", "request", ("rationale", "conditions", "refusal_reason")
    ),
    HeldText("panels.ModerationView", "item__request", ("comment",)),
    HeldText("panels.ConflictDeclaration", "item__request", ("reason", "withdrawal_reason")),
    HeldText("panels.Appeal", "request", ("notes",)),
    HeldText("panels.OutcomeReview", "request", ("evidence",)),
    HeldText("panels.OutcomeResult", "review__request", ("outcome", "evidence")),
    HeldText("panels.Letter", "item__request", ("body",)),
)

# The pupil fields cleared (to their empty value). Year group, sex, needs and band stay:
# the reports' equality and need figures count them, and without initials, a date or a
# document none of them points at one child. The pupil key stays for the escalation
# links (see docs/architecture.md §11).
PUPIL_FIELDS: dict[str, tuple[str, ...]] = {
    "funding.FundingRequest": ("pupil_initials", "sen_support_since"),
    "funding.IntentionNotice": ("pupil_initials",),
}

_SETTINGS = {
    RetentionClass.DOCUMENTS: "RETENTION_DOCUMENTS_YEARS",
    RetentionClass.FREE_TEXT: "RETENTION_FREE_TEXT_YEARS",
    RetentionClass.PUPIL_FIELDS: "RETENTION_PUPIL_FIELDS_YEARS",
}


def years(data_class: str) -> int:
    """The schedule's years for a class (at least one)."""
    return max(1, int(getattr(settings, _SETTINGS[data_class])))


def years_before(moment: datetime, n: int) -> datetime:
    """The same day and time ``n`` years before (29 February: the 28th)."""
    try:
        return moment.replace(year=moment.year - n)
    except ValueError:
        return moment.replace(year=moment.year - n, day=28)


def cutoffs(now: datetime) -> dict[str, datetime]:
    """For each class, the moment a request must have ended before to lose it now."""
    return {c: years_before(now, years(c)) for c in RetentionClass.values}
