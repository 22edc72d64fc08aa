"""What a request needs before it can go to the LA: pure checks, no writes.

The task list, the "check your answers" page, the API and the submit guards
all read these, so the SENCO is told exactly what the guard will refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from portal.money import format_gbp

from .models import CostKind, FundingRequest, RequestType, YearGroup


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


def section_status(
    fr: FundingRequest, slug: str, missing: list[str], broken: list[str] | None = None
) -> str:
    """'complete', 'incomplete', 'not started' or, when the section breaks one of the
    stream's rules (``broken``), 'attention' for the task list."""
    if broken:
        return "attention"
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


_BULLET = re.compile(r"^\s*(?:[-*\u2022\u2013]|\(?\d{1,2}[.)]|\(?[a-z][.)])\s+")


def outcomes_of(text: str) -> list[str]:
    """The outcomes a request seeks, one a line ("- ", "1. ", "a) " bullets dropped); a
    single paragraph is one outcome. The review answers each, in this order."""
    outcomes = [_BULLET.sub("", line).strip() for line in (text or "").splitlines()]
    return [o for o in outcomes if o]


def consent_problems(fr: FundingRequest, today: date | None = None) -> list[str]:
    if not needs_consent(fr):
        return []
    today = today or timezone.localdate()
    if not fr.parental_consent or not fr.consent_date:
        return ["Record the parent or carer's consent and its date before you submit"]
    if fr.consent_date > today:
        return ["The date of consent cannot be in the future"]
    return []


# Year groups a school phase teaches; a phase not listed (all-through, special, other)
# may teach any year group.
PHASE_YEAR_GROUPS: dict[str, frozenset[str]] = {
    "nursery": frozenset({"N1", "N2", "R"}),
    "primary": frozenset({"N1", "N2", "R", "1", "2", "3", "4", "5", "6"}),
    "secondary": frozenset({"7", "8", "9", "10", "11", "12", "13", "14"}),
    "post16": frozenset({"12", "13", "14"}),
}


def year_group_fits(stream, year_group: str) -> bool:
    """The stream's phases teach this year group (any phase without a list teaches all)."""
    phases = stream.eligible_phases or []
    return any(
        phase not in PHASE_YEAR_GROUPS or year_group in PHASE_YEAR_GROUPS[phase] for phase in phases
    )


def stream_rule_problems(fr: FundingRequest, lines=None, today: date | None = None) -> list[str]:
    """The stream's rules and sane dates; each problem is a sentence for the SENCO."""
    by_section = stream_rule_problems_by_section(fr, lines, today)
    return [p for problems in by_section.values() for p in problems]


def stream_rule_problems_by_section(
    fr: FundingRequest, lines=None, today: date | None = None
) -> dict[str, list[str]]:
    """:func:`stream_rule_problems` by the task-list section that has to change to mend
    each ("school" for what no section mends: the school's phase)."""
    today = today or timezone.localdate()
    stream = fr.stream
    lines = list(fr.provision_lines.all()) if lines is None else list(lines)
    problems: dict[str, list[str]] = {"school": [], **{slug: [] for slug in SECTION_SLUGS}}
    phase = fr.school.phase
    if phase not in (stream.eligible_phases or []):
        problems["school"].append(
            f"{stream.name} is not open to {fr.school.get_phase_display().lower()} schools"
        )
    if fr.year_group and is_individual(fr) and not year_group_fits(stream, fr.year_group):
        problems["pupil"].append(
            f"{stream.name} is not open to pupils in {YearGroup(fr.year_group).label}"
        )
    provision = problems["provision"]
    total, contribution, requested = money(fr, lines)
    if lines and requested <= 0:
        provision.append(
            "The school's own contribution covers the whole cost, so there is nothing to ask for"
        )
    if requested > stream.max_award:
        provision.append(
            f"The amount requested ({format_gbp(requested)}) is more than the {stream.name} "
            f"maximum of {format_gbp(stream.max_award)}"
        )
    if fr.start_date and fr.end_date:
        if fr.end_date < fr.start_date:
            provision.append("The end date must be on or after the start date")
        else:
            weeks = duration_weeks(fr)
            if weeks > stream.max_duration_weeks:
                provision.append(
                    f"The provision lasts {weeks} weeks, more than the {stream.name} "
                    f"maximum of {stream.max_duration_weeks} weeks"
                )
        if fr.end_date < today:
            provision.append("The end date has already passed")
    for line in lines:
        if line.kind == CostKind.STAFFING and line.weeks and line.weeks > stream.max_duration_weeks:
            provision.append(
                f"“{line.description}” runs for {line.weeks:g} weeks, more than the "
                f"maximum of {stream.max_duration_weeks}"
            )
    if fr.sen_support_since and fr.sen_support_since > today:
        problems["needs"].append("The date the pupil went on SEN support cannot be in the future")
    if fr.sen_support_since and fr.start_date and fr.sen_support_since > fr.start_date:
        problems["needs"].append("The pupil must be on SEN support before the provision starts")
    return problems


# --- Provision lines ------------------------------------------------------------------

MAX_HOURS_PER_WEEK = Decimal("60")
MAX_WEEKS = Decimal("104")
MAX_HOURLY_RATE = Decimal("500")
MAX_LINE_AMOUNT = Decimal("100000")


def financial_year(day: date) -> int:
    """The financial year ``day`` falls in, by the year it starts (1 April)."""
    return day.year if day.month >= 4 else day.year - 1


def rate_year(fr: FundingRequest, today: date | None = None) -> int:
    """The rate card year a request's staffing is costed at: the year its provision
    starts, else this year."""
    return financial_year(fr.start_date or today or timezone.localdate())


def line_problems(
    *,
    kind: str,
    hours_per_week: Decimal | None,
    weeks: Decimal | None,
    hourly_rate: Decimal | None,
    amount: Decimal | None,
    rate_card=None,
    rate_reason: str = "",
    card_in_use: bool = False,
) -> dict[str, str]:
    """What is wrong with a provision line, by field (empty when it may be saved).

    A staffing line has hours a week, weeks and a rate, and no amount; any other line
    has an amount and no hours, weeks nor rate. With a rate card for the year
    (``card_in_use``), a staffing rate other than the card's, or a role not on the
    card, needs a reason. The form, the API and the service all ask this.
    """
    problems: dict[str, str] = {}
    if kind not in CostKind.values:
        return {"kind": "Choose what kind of cost it is"}
    if kind != CostKind.STAFFING:
        if hours_per_week is not None:
            problems["hours_per_week"] = (
                "Only a staffing line has hours a week: give the amount instead"
            )
        if weeks is not None:
            problems["weeks"] = "Only a staffing line has a number of weeks: give the amount"
        if hourly_rate is not None or rate_card is not None:
            problems["hourly_rate"] = "Only a staffing line has an hourly rate: give the amount"
        if amount is None:
            problems["amount"] = "Enter the amount, like 350.00"
        elif amount <= 0 or amount > MAX_LINE_AMOUNT:
            problems["amount"] = (
                f"The amount must be more than £0 and at most {format_gbp(MAX_LINE_AMOUNT)}"
            )
        return problems
    if amount is not None:
        problems["amount"] = (
            "A staffing line is costed from its hours, weeks and rate: leave the amount empty"
        )
    if hours_per_week is None:
        problems["hours_per_week"] = "Enter the hours a week, like 10"
    elif hours_per_week <= 0 or hours_per_week > MAX_HOURS_PER_WEEK:
        problems["hours_per_week"] = "Hours a week must be more than 0 and at most 60"
    if weeks is None:
        problems["weeks"] = "Enter the number of weeks, like 38"
    elif weeks <= 0 or weeks > MAX_WEEKS:
        problems["weeks"] = "Number of weeks must be more than 0 and at most 104"
    rate = hourly_rate if hourly_rate is not None else getattr(rate_card, "hourly_rate", None)
    if rate is None:
        problems["hourly_rate"] = "Enter the hourly rate, like 15.50, or choose a role on the card"
    elif rate < 0 or rate > MAX_HOURLY_RATE:
        problems["hourly_rate"] = (
            f"The hourly rate must be between £0.00 and {format_gbp(MAX_HOURLY_RATE)}"
        )
    elif card_in_use and not (rate_reason or "").strip():
        if rate_card is None:
            problems["rate_reason"] = (
                "Say why this role is not on the LA's rate card, or choose a role that is"
            )
        elif rate != rate_card.hourly_rate:
            problems["rate_reason"] = (
                f"Say why the rate is not the rate card's {format_gbp(rate_card.hourly_rate)} "
                f"an hour for {rate_card.role.lower()}"
            )
    return problems


# --- A continuation against the request it continues ---------------------------------

# The fields a continuation is compared on, with the label the page shows.
COMPARED_FIELDS = (
    ("request_type", "Kind of request"),
    ("pupil_initials", "Pupil's initials"),
    ("year_group", "Year group"),
    ("number_of_pupils", "Number of pupils"),
    ("primary_need", "Primary need"),
    ("secondary_need", "Secondary need"),
    ("band", "Band of need"),
    ("ordinarily_available_provision", "Ordinarily available provision"),
    ("agencies_involved", "Agencies involved"),
    ("outcomes_sought", "Outcomes sought"),
    ("start_date", "Start date"),
    ("end_date", "End date"),
)


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


def _shown(fr: FundingRequest, name: str) -> str:
    value = getattr(fr, name)
    if value in (None, ""):
        return "Not given"
    display = getattr(fr, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def _line_words(line) -> str:
    if line.kind == CostKind.STAFFING:
        return (
            f"{line.description}: {line.hours_per_week:g} hours a week × {line.weeks:g} weeks × "
            f"{format_gbp(line.hourly_rate)} = {format_gbp(line.cost)}"
        )
    return f"{line.description} ({line.get_kind_display().lower()}): {format_gbp(line.cost)}"


def changes_since(
    earlier: FundingRequest, current: FundingRequest, earlier_lines, lines
) -> list[Change]:
    """What the continuation changes against the request it continues: each field that
    differs, each provision line added or removed, and the cost."""
    found = [
        Change(label, _shown(earlier, name), _shown(current, name))
        for name, label in COMPARED_FIELDS
        if getattr(earlier, name) != getattr(current, name)
    ]
    before = [_line_words(line) for line in earlier_lines]
    after = [_line_words(line) for line in lines]
    for words in before:
        if words not in after:
            found.append(Change("Provision removed", words, "Not asked for now"))
    for words in after:
        if words not in before:
            found.append(Change("Provision added or changed", "Not in the earlier request", words))
    earlier_total = money(earlier, earlier_lines)[0]
    total = money(current, lines)[0]
    if earlier_total != total:
        found.append(Change("Total cost", format_gbp(earlier_total), format_gbp(total)))
    return found
