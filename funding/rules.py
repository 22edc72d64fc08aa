"""What a request needs before it can go to the LA: pure checks, no writes.

The task list, the "check your answers" page, the API and the submit guards
all read these, so the SENCO is told exactly what the guard will refuse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from portal.money import format_gbp

from .models import FundingRequest, RequestType


@dataclass(frozen=True)
class Section:
    slug: str
    title: str


SECTIONS = (
    Section("pupil", "Pupil or group"),
    Section("needs", "Needs and provision in place"),
    Section("evidence", "Graduated approach evidence"),
    Section("provision", "Provision, costs and outcomes"),
    Section("consent", "Consent and voice"),
    Section("documents", "Supporting documents"),
)
SECTION_SLUGS = tuple(s.slug for s in SECTIONS)


def is_individual(fr: FundingRequest) -> bool:
    return fr.request_type in (RequestType.INDIVIDUAL, RequestType.URGENT)


def needs_consent(fr: FundingRequest) -> bool:
    # A school project names no pupil, so no parent consents to it.
    return fr.request_type != RequestType.PROJECT


def pupils_counted(fr: FundingRequest) -> int:
    """Pupils the school's per-pupil contribution applies to."""
    if is_individual(fr):
        return 1
    if fr.request_type == RequestType.GROUP:
        return max(fr.number_of_pupils or 0, 0)
    return 0


def money(fr: FundingRequest, lines) -> tuple[Decimal, Decimal, Decimal]:
    """Total cost, school contribution (first £6,000 per pupil), amount asked of the cluster."""
    total = sum((line.cost for line in lines), Decimal("0.00"))
    per_pupil = Decimal(settings.SCHOOL_CONTRIBUTION_PER_PUPIL)
    contribution = min(total, per_pupil * pupils_counted(fr))
    return total, contribution, total - contribution


def duration_weeks(fr: FundingRequest) -> int | None:
    if fr.start_date and fr.end_date:
        return ((fr.end_date - fr.start_date).days + 1 + 6) // 7
    return None


def missing_by_section(fr: FundingRequest, cycles=None, lines=None) -> dict[str, list[str]]:
    """What is still missing, section by section (empty lists when complete)."""
    cycles = list(fr.cycles.all()) if cycles is None else list(cycles)
    lines = list(fr.provision_lines.all()) if lines is None else list(lines)
    missing: dict[str, list[str]] = {slug: [] for slug in SECTION_SLUGS}

    pupil = missing["pupil"]
    if is_individual(fr):
        if not fr.pupil_initials:
            pupil.append("Enter the pupil's initials")
        if not fr.year_group:
            pupil.append("Select the pupil's year group")
        if not fr.sex:
            pupil.append("Select the pupil's sex")
    else:
        if fr.request_type == RequestType.GROUP and (fr.number_of_pupils or 0) < 2:
            pupil.append("Enter how many pupils are in the group (at least 2)")
        if not fr.project_summary:
            pupil.append("Describe the group or project")

    needs = missing["needs"]
    if fr.request_type != RequestType.PROJECT:
        if not fr.primary_need:
            needs.append("Select the primary need")
        if not fr.sen_support_since:
            needs.append("Enter the date the pupil went on SEN support")
    if not fr.ordinarily_available_provision:
        needs.append("Describe the ordinarily available provision already in place")
    if not fr.agencies_involved:
        needs.append("Say which agencies are already involved (or 'none')")

    if fr.request_type != RequestType.PROJECT and not cycles:
        missing["evidence"].append("Add at least one assess-plan-do-review cycle")

    provision = missing["provision"]
    if not lines:
        provision.append("Add at least one costed provision line")
    if not fr.outcomes_sought:
        provision.append("Describe the outcomes sought")
    if not fr.start_date:
        provision.append("Enter the start date")
    if not fr.end_date:
        provision.append("Enter the end date")

    consent = missing["consent"]
    if needs_consent(fr):
        if not fr.parental_consent:
            consent.append("Record that the parent or carer has consented")
        if not fr.consent_date:
            consent.append("Enter the date consent was given")
        if not fr.parent_voice:
            consent.append("Record the parent or carer's views")
        if is_individual(fr) and not fr.pupil_voice:
            consent.append("Record the pupil's views")
    return missing


def section_status(fr: FundingRequest, slug: str, missing: list[str]) -> str:
    """'complete', 'incomplete' or 'not started' for the task list."""
    if not missing:
        return "complete"
    started = {
        "pupil": fr.pupil_initials or fr.year_group or fr.project_summary,
        "needs": fr.primary_need or fr.ordinarily_available_provision,
        "evidence": False,
        "provision": fr.outcomes_sought or fr.start_date or fr.total_cost,
        "consent": fr.parental_consent or fr.parent_voice,
    }.get(slug)
    return "incomplete" if started else "not started"


def consent_problems(fr: FundingRequest, today: date | None = None) -> list[str]:
    if not needs_consent(fr):
        return []
    today = today or timezone.localdate()
    if not fr.parental_consent or not fr.consent_date:
        return ["Record the parent or carer's consent and its date before you submit"]
    if fr.consent_date > today:
        return ["The date of consent cannot be in the future"]
    return []


def stream_rule_problems(fr: FundingRequest, lines=None, today: date | None = None) -> list[str]:
    """The stream's rules and sane dates; each problem is a sentence for the SENCO."""
    today = today or timezone.localdate()
    stream = fr.stream
    lines = list(fr.provision_lines.all()) if lines is None else list(lines)
    problems = []
    phase = fr.school.phase
    if phase not in (stream.eligible_phases or []):
        problems.append(
            f"{stream.name} is not open to {fr.school.get_phase_display().lower()} schools"
        )
    total, contribution, requested = money(fr, lines)
    if lines and requested <= 0:
        problems.append(
            "The school's own contribution covers the whole cost, so there is nothing to ask for"
        )
    if requested > stream.max_award:
        problems.append(
            f"The amount requested ({format_gbp(requested)}) is more than the {stream.name} "
            f"maximum of {format_gbp(stream.max_award)}"
        )
    if fr.start_date and fr.end_date:
        if fr.end_date < fr.start_date:
            problems.append("The end date must be on or after the start date")
        else:
            weeks = duration_weeks(fr)
            if weeks > stream.max_duration_weeks:
                problems.append(
                    f"The provision lasts {weeks} weeks, more than the {stream.name} "
                    f"maximum of {stream.max_duration_weeks} weeks"
                )
        if fr.end_date < today:
            problems.append("The end date has already passed")
    for line in lines:
        if line.weeks > stream.max_duration_weeks:
            problems.append(
                f"“{line.description}” runs for {line.weeks} weeks, more than the "
                f"maximum of {stream.max_duration_weeks}"
            )
    if fr.sen_support_since and fr.sen_support_since > today:
        problems.append("The date the pupil went on SEN support cannot be in the future")
    if fr.sen_support_since and fr.start_date and fr.sen_support_since > fr.start_date:
        problems.append("The pupil must be on SEN support before the provision starts")
    return problems
