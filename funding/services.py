"""Every write to a funding request. One function per use case, each in one transaction.

The lifecycle itself is data (``funding.workflow``); :func:`apply_transition`
applies it: it locks the request row, checks the source state, who is acting,
the message if one is needed and each guard, then moves the state, records a
timeline event and runs the side effects registered for that transition, all
in one transaction. Other apps plug in without this module knowing them:

* ``register_guard(name)`` for a guard named in the workflow (panels: quorate,
  not_recused; budgets: budget_available);
* ``register_actor_resolver(fn)`` for relative roles (panels: the chair);
* ``register_effect(transition_name)`` for side effects (budgets: commit and
  release money; notifications).

A transition that needs details takes them as its typed command (declared with
it in ``funding.workflow``: ``Award(amount=...)``, ``Close(amount_spent=...)``);
effects return what they did, and :func:`apply_transition` hands it back in a
:class:`TransitionResult`.
"""

from __future__ import annotations

import logging
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import filetype
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from clusters.models import School
from portal import pupil_key
from portal.errors import ConflictError, DomainError
from portal.money import format_gbp
from portal.notifications import announce_transition
from portal.storage import STORAGE_ERRORS, UNAVAILABLE_MESSAGE
from portal.versions import advance as _advance
from portal.versions import check as _check_version
from portal.wording import counted

from . import policy, retention, rules
from .models import (
    CostKind,
    DocumentKind,
    FundingRequest,
    FundingStream,
    IntentionNotice,
    NeedBand,
    ProvisionLine,
    RateCardEntry,
    ReferenceCounter,
    RequestDocument,
    RequestEvent,
    RetentionClass,
    RetentionPurge,
    ReviewCycle,
    SEN2Need,
)
from .uploads import too_big_message
from .workflow import EDITABLE, ENDED, TRANSITIONS, Actor, Award, Command, State, Submit, Transition

log = logging.getLogger(__name__)


class TransitionError(DomainError):
    """A transition that may not happen; the message is for the person who tried."""


@dataclass(frozen=True)
class TransitionContext:
    user: AbstractBaseUser | None
    message: str = ""
    actors: frozenset[str] = frozenset()
    # The transition's details, of the command type ``funding.workflow`` declares for it
    # (None for a transition that takes none).
    command: Command | None = None


@dataclass(frozen=True)
class TransitionResult:
    """What a transition did: the fresh request and each effect's result, by its name."""

    request: FundingRequest
    effects: Mapping[str, Any] = field(default_factory=dict)


Guard = Callable[[FundingRequest, TransitionContext], str | None]
# An effect returns its result (kept under the name it is registered with) or None.
Effect = Callable[[FundingRequest, Transition, TransitionContext], Any]
ActorResolver = Callable[[AbstractBaseUser, FundingRequest], set[str]]
Prepare = Callable[[FundingRequest, Transition, TransitionContext], list[str] | None]

_GUARDS: dict[str, Guard] = {}
_EFFECTS: dict[str, list[Effect]] = defaultdict(list)
_EFFECT_NAMES: dict[Effect, str] = {}
_ACTOR_RESOLVERS: list[ActorResolver] = []
_PREPARES: dict[str, list[Prepare]] = defaultdict(list)


def register_guard(name: str) -> Callable[[Guard], Guard]:
    """Register the function that checks guard ``name``; it returns a problem or None."""

    def decorator(fn: Guard) -> Guard:
        _GUARDS[name] = fn
        return fn

    return decorator


def register_effect(
    transition_name: str, *, result: str | None = None
) -> Callable[[Effect], Effect]:
    """Run ``fn`` inside the transaction after ``transition_name`` ("*" for every one).

    With ``result``, what ``fn`` returns is in ``TransitionResult.effects[result]``.
    """

    def decorator(fn: Effect) -> Effect:
        if fn not in _EFFECTS[transition_name]:
            _EFFECTS[transition_name].append(fn)
        if result is not None:
            _EFFECT_NAMES[fn] = result
        return fn

    return decorator


def register_prepare(transition_name: str) -> Callable[[Prepare], Prepare]:
    """Run ``fn`` just before the state is saved; it returns the fields it changed."""

    def decorator(fn: Prepare) -> Prepare:
        if fn not in _PREPARES[transition_name]:
            _PREPARES[transition_name].append(fn)
        return fn

    return decorator


def register_actor_resolver(fn: ActorResolver) -> ActorResolver:
    if fn not in _ACTOR_RESOLVERS:
        _ACTOR_RESOLVERS.append(fn)
    return fn


def actors_for(user: AbstractBaseUser | None, funding_request: FundingRequest) -> frozenset[str]:
    """What ``user`` is in relation to this request."""
    if user is None:
        return frozenset({Actor.SYSTEM})
    actors: set[str] = set()
    if policy.is_requesting_school(user, funding_request):
        actors.add(Actor.SCHOOL)
    if policy.acts_as_send_officer(user):
        actors.add(Actor.SEND_OFFICER)
    for resolver in _ACTOR_RESOLVERS:
        actors |= resolver(user, funding_request)
    return frozenset(actors)


def available_transitions(
    user: AbstractBaseUser, funding_request: FundingRequest
) -> list[Transition]:
    """The actions to offer this user on this request (guards are checked when taken)."""
    actors = actors_for(user, funding_request)
    return [
        t for t in TRANSITIONS.values() if funding_request.state in t.sources and t.actors & actors
    ]


def _command_for(transition_def: Transition, command: Command | None) -> Command | None:
    """The transition's command: the one given, checked, or its empty default."""
    wanted = transition_def.command
    if wanted is None:
        if command is not None:
            raise TransitionError(f"“{transition_def.label}” takes no details.")
        return None
    if command is None:
        try:
            return wanted()
        except TypeError:
            raise TransitionError(
                f"“{transition_def.label}” needs its details ({wanted.__name__})."
            ) from None
    if type(command) is not wanted:
        raise TransitionError(
            f"“{transition_def.label}” takes {wanted.__name__}, not {type(command).__name__}."
        )
    return command


def apply_transition(
    funding_request: FundingRequest,
    name: str,
    *,
    user: AbstractBaseUser | None,
    message: str = "",
    command: Command | None = None,
) -> TransitionResult:
    """Move the request along transition ``name``, or refuse and change nothing.

    ``user=None`` means the portal itself (a scheduled job). ``command`` carries the
    details the transition takes (see ``funding.workflow``). Returns the fresh,
    updated request and what its effects did.
    """
    try:
        transition_def = TRANSITIONS[name]
    except KeyError:
        raise TransitionError(f"There is no action called “{name}”.") from None
    command = _command_for(transition_def, command)

    with transaction.atomic():
        locked = FundingRequest.objects.select_for_update(no_key=True).get(pk=funding_request.pk)
        if locked.state not in transition_def.sources:
            raise TransitionError(
                f"This request is {locked.get_state_display().lower()}, so you cannot "
                f"“{transition_def.label.lower()}” now."
            )
        actors = actors_for(user, locked)
        if not transition_def.actors & actors:
            raise TransitionError(f"You cannot “{transition_def.label.lower()}” on this request.")
        message = (message or "").strip()
        if transition_def.needs_message and not message:
            raise TransitionError("Enter a message or reason: it goes on the request's timeline.")
        context = TransitionContext(user=user, message=message, actors=actors, command=command)
        for guard_name in transition_def.guards:
            guard = _GUARDS.get(guard_name)
            if guard is None:
                raise TransitionError(
                    f"“{transition_def.label}” is not available yet: its check "
                    f"“{guard_name}” is not installed."
                )
            problem = guard(locked, context)
            if problem:
                raise TransitionError(problem)

        from_state = locked.state
        now = timezone.now()
        locked.state = transition_def.target
        locked.state_changed_at = now
        # Fields that must change with the state (e.g. the reference a submitted
        # request must carry) are set by "prepare" hooks and saved in the same row write.
        extra_fields: list[str] = []
        for prepare in _PREPARES[transition_def.name]:
            extra_fields += prepare(locked, transition_def, context) or []
        _advance(locked)
        locked.save(
            update_fields=["state", "state_changed_at", "updated_at", "version", *extra_fields]
        )
        RequestEvent.objects.create(
            request=locked,
            actor=user,
            kind=transition_def.name,
            from_state=from_state,
            to_state=locked.state,
            message=message,
        )
        results: dict[str, Any] = {}
        for effect in [*_EFFECTS[transition_def.name], *_EFFECTS["*"]]:
            outcome = effect(locked, transition_def, context)
            if effect in _EFFECT_NAMES:
                results[_EFFECT_NAMES[effect]] = outcome
    return TransitionResult(request=locked, effects=results)


# ---------------------------------------------------------------------------
# Writes other apps ask for. This module is the request's one writer (the test
# tests/test_one_writer.py keeps it so): the panels and budgets apps change a
# request or its timeline only through these, inside their own transaction.
# ---------------------------------------------------------------------------


def _locked(funding_request: FundingRequest) -> FundingRequest:
    return FundingRequest.objects.select_for_update(of=("self",), no_key=True).get(
        pk=funding_request.pk
    )


def _event(
    locked: FundingRequest, *, user: AbstractBaseUser | None, kind: str, message: str
) -> RequestEvent:
    """A timeline entry for something that happened without a change of state."""
    return RequestEvent.objects.create(
        request=locked,
        actor=user,
        kind=kind,
        from_state=locked.state,
        to_state=locked.state,
        message=message,
    )


@transaction.atomic
def record_note(
    funding_request: FundingRequest, *, user: AbstractBaseUser | None, kind: str, message: str
) -> RequestEvent:
    """Put a notable change that moves no state on the request's timeline (e.g. an appeal
    dismissed)."""
    return _event(_locked(funding_request), user=user, kind=kind, message=message)


@transaction.atomic
def reduce_award(
    funding_request: FundingRequest, new_amount: Decimal, *, user: AbstractBaseUser, message: str
) -> FundingRequest:
    """The request's amount awarded becomes ``new_amount``; the timeline says why.

    The money follows in the caller's transaction (``budgets.services.reduce_award``).
    """
    locked = _locked(funding_request)
    locked.amount_awarded = new_amount
    locked.save(update_fields=["amount_awarded", "updated_at", _advance(locked)])
    _event(locked, user=user, kind="award_reduced", message=message)
    return locked


@transaction.atomic
def move_to_school(
    funding_request: FundingRequest, school: School, *, user: AbstractBaseUser, message: str
) -> FundingRequest:
    """The funded pupil moved: the request now belongs to ``school`` and its cluster.

    The money follows in the caller's transaction (``budgets.services.move_pupil``).
    """
    locked = _locked(funding_request)
    locked.school, locked.cluster_id = school, school.cluster_id
    locked.save(update_fields=["school", "cluster", "updated_at", _advance(locked)])
    _event(locked, user=user, kind="pupil_moved", message=message)
    return locked


@transaction.atomic
def hand_over_drafts(
    *, from_user: AbstractBaseUser, to_user: AbstractBaseUser, school: School, by: AbstractBaseUser
) -> list[FundingRequest]:
    """A leaver's drafts at ``school`` become ``to_user``'s (the draft's holder is its
    ``created_by``); each timeline says so. The accounts app's ``end_membership`` calls
    this in its transaction, having checked ``to_user`` is a SENCO there."""
    handed = []
    for fr in FundingRequest.objects.select_for_update(of=("self",)).filter(
        school=school, created_by_id=from_user.pk, state=State.DRAFT
    ):
        fr.created_by = to_user
        fr.save(update_fields=["created_by", "updated_at", _advance(fr)])
        _event(
            fr,
            user=by,
            kind="handed_over",
            message=f"Handed over from {from_user.get_full_name() or from_user.get_username()}, "
            f"who is leaving the school, to {to_user.get_full_name() or to_user.get_username()}.",
        )
        handed.append(fr)
    return handed


# ---------------------------------------------------------------------------
# Use cases of the funding app: drafting, documents and the transitions this
# app owns (submit, return, resubmit, triage, withdraw). Each is one
# transaction; the transitions go through :func:`apply_transition`.
# ---------------------------------------------------------------------------

# Fields the school edits, by task-list section (the API accepts the same).
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "pupil": ("request_type", "pupil_initials", "year_group", "sex", "number_of_pupils",
              "project_summary"),
    "needs": ("primary_need", "secondary_need", "sen_support_since", "band",
              "ordinarily_available_provision", "agencies_involved"),
    "provision": ("outcomes_sought", "start_date", "end_date"),
    "consent": ("parental_consent", "consent_date", "parent_voice", "pupil_voice"),
}  # fmt: skip
EDITABLE_FIELDS = frozenset(f for fields in SECTION_FIELDS.values() for f in fields)


class EditError(DomainError):
    """An edit that may not happen; the message is for the person who tried."""


def _lock_for_edit(
    funding_request: FundingRequest,
    user: AbstractBaseUser,
    version: int | None = None,
    *,
    yours: Mapping[str, Any] | None = None,
    compare: Any = None,
) -> FundingRequest:
    """The request row, locked, if ``user`` may edit it now (call inside a transaction).

    ``version`` is the one the edit was based on: a stale one is refused
    (:class:`portal.versions.StaleVersion`, naming what differs between ``yours`` and the
    saved request, or ``compare``). The version moves on here, for the caller's save.
    """
    locked = FundingRequest.objects.select_related("stream", "school").select_for_update(
        of=("self",), no_key=True
    )
    locked = locked.get(pk=funding_request.pk)
    if not policy.is_requesting_school(user, locked):
        raise EditError("Only the school's SENCO or headteacher can change this request.")
    if locked.state not in EDITABLE:
        raise EditError(
            f"This request is {locked.get_state_display().lower()}, so it cannot be changed."
        )
    _check_version(locked, version, yours=yours, compare=compare, what="this request")
    _advance(locked)
    return locked


def _touch(locked: FundingRequest) -> None:
    """Save the locked request's new version (an edit of its lines, cycles or documents)."""
    locked.save(update_fields=["updated_at", "version"])


def _recalculate(locked: FundingRequest) -> None:
    """Store the totals computed from the provision lines (never typed by anyone)."""
    lines = list(ProvisionLine.objects.filter(request=locked))
    total, contribution, requested = rules.money(locked, lines)
    locked.total_cost, locked.school_contribution, locked.amount_requested = (
        total,
        contribution,
        requested,
    )
    locked.save(update_fields=["total_cost", "school_contribution", "amount_requested",
                               "updated_at", "version"])  # fmt: skip


@transaction.atomic
def create_draft(
    *,
    user: AbstractBaseUser,
    school: School,
    stream: FundingStream,
    request_type: str = "individual",
) -> FundingRequest:
    """A SENCO or head starts a request for their school."""
    if not policy.can_start_request_for(user, school):
        raise EditError("You can only start requests for your own school.")
    if not stream.is_open:
        raise EditError(f"{stream.name} is closed to new requests.")
    if school.cluster_id is None:
        raise EditError("Your school is not in a cluster yet: ask the LA to add it to one.")
    funding_request = FundingRequest.objects.create(
        school=school,
        cluster_id=school.cluster_id,
        stream=stream,
        request_type=request_type,
        created_by=user,
        number_of_pupils=1,
    )
    RequestEvent.objects.create(
        request=funding_request, actor=user, kind="created", to_state=State.DRAFT
    )
    return funding_request


@transaction.atomic
def update_request(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    version: int | None = None,
    **fields: Any,
) -> FundingRequest:
    """Save what the school typed into one or more sections, complete or not (a draft).
    ``upn`` (optional) is turned into the pupil key here and never kept. ``version``: the
    request's version the edit was based on (a stale one is refused).
    """
    upn = fields.pop("upn", None)
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise EditError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    locked = _lock_for_edit(funding_request, user, version, yours=fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    if locked.request_type in ONE_PUPIL:
        locked.number_of_pupils = 1
    elif locked.pupil_key:
        locked.pupil_key = ""  # a group has no one pupil to follow
    if upn:
        locked.pupil_key = _pupil_key_of(upn, locked)
    if locked.band_id and locked.band.need != locked.primary_need:
        # A band describes one area of need; a changed need clears a stale band.
        locked.band = None
    locked.save()
    _recalculate(locked)
    return locked


ONE_PUPIL = (rules.RequestType.INDIVIDUAL, rules.RequestType.URGENT)


def _pupil_key_of(upn: str, locked: FundingRequest) -> str:
    upn = pupil_key.normalise(upn)
    problem = pupil_key.upn_problem(upn)
    if problem:
        raise EditError(problem + ".")
    if locked.request_type not in ONE_PUPIL:
        raise EditError("A UPN is for a request for one pupil, not a group or a project.")
    return pupil_key.pupil_key(upn)


@transaction.atomic
def save_cycle(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    cycle: ReviewCycle | None = None,
    assess: str,
    plan: str,
    duration_weeks: int,
    impact: str,
    version: int | None = None,
) -> ReviewCycle:
    """Add an assess-plan-do-review cycle, or change one."""
    yours = {"assess": assess, "plan": plan, "duration_weeks": duration_weeks, "impact": impact}
    if cycle is not None:
        cycle = ReviewCycle.objects.filter(pk=cycle.pk).first() or cycle
    locked = _lock_for_edit(funding_request, user, version, yours=yours if cycle else None,
                            compare=cycle)  # fmt: skip
    if cycle is None:
        order = ReviewCycle.objects.filter(request=locked).count() + 1
        cycle = ReviewCycle(request=locked, order=order)
    elif cycle.request_id != locked.pk:
        raise EditError("That cycle belongs to another request.")
    cycle.assess, cycle.plan, cycle.duration_weeks, cycle.impact = (
        assess,
        plan,
        duration_weeks,
        impact,
    )
    cycle.save()
    _touch(locked)
    return cycle


@transaction.atomic
def remove_cycle(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    cycle_id: int,
    version: int | None = None,
) -> None:
    locked = _lock_for_edit(funding_request, user, version)
    ReviewCycle.objects.filter(request=locked, pk=cycle_id).delete()
    _touch(locked)


LINE_FIELDS = ("kind", "description", "hours_per_week", "weeks", "hourly_rate", "amount",
               "note", "rate_card", "rate_reason")  # fmt: skip


def rate_card_for(fr: FundingRequest) -> list[RateCardEntry]:
    """The LA's rate card for the year the request's staffing is costed at."""
    return RateCardEntry.card(rules.rate_year(fr))


def _fill_line(
    locked: FundingRequest, line: ProvisionLine, card: list[RateCardEntry], **fields: Any
) -> ProvisionLine:
    """Set a line's fields after the one check of its shape (``rules.line_problems``)."""
    unknown = set(fields) - set(LINE_FIELDS)
    if unknown:
        raise EditError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    kind = fields.get("kind") or CostKind.STAFFING
    entry = fields.get("rate_card")
    if entry is not None and entry.pk not in {e.pk for e in card}:
        raise EditError(
            "Choose a role from the LA's rate card for the year the provision starts.",
            field="rate_card",
        )
    values = {
        "hours_per_week": fields.get("hours_per_week"),
        "weeks": fields.get("weeks"),
        "hourly_rate": fields.get("hourly_rate"),
        "amount": fields.get("amount"),
    }
    reason = (fields.get("rate_reason") or "").strip()
    problems = rules.line_problems(
        kind=kind, rate_card=entry, rate_reason=reason, card_in_use=bool(card), **values
    )
    if problems:
        field_name, message = next(iter(problems.items()))
        raise EditError(message + ".", field=field_name)
    line.kind = kind
    line.description = (fields.get("description") or "").strip()
    if not line.description:
        raise EditError("Say what the provision is.", field="description")
    line.note = (fields.get("note") or "").strip()
    if kind == CostKind.STAFFING:
        line.hours_per_week, line.weeks = values["hours_per_week"], values["weeks"]
        # The card fills the rate when none is typed.
        line.hourly_rate = values["hourly_rate"]
        if line.hourly_rate is None:
            line.hourly_rate = entry.hourly_rate
        line.rate_card = entry
        line.card_rate = entry.hourly_rate if entry is not None else None
        off_card = bool(card) and (entry is None or line.hourly_rate != entry.hourly_rate)
        line.rate_reason = reason if off_card else ""
        line.amount = None
    else:
        line.hours_per_week = line.weeks = line.hourly_rate = None
        line.rate_card, line.card_rate, line.rate_reason = None, None, ""
        line.amount = values["amount"]
    return line


@transaction.atomic
def save_provision_line(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    line: ProvisionLine | None = None,
    version: int | None = None,
    **fields: Any,
) -> ProvisionLine:
    """Add or change a provision line (staffing, or another cost); the totals follow.

    ``fields`` are :data:`LINE_FIELDS`; a staffing line's rate comes from the rate card
    when none is given, and a rate off the card needs ``rate_reason``. ``version``: the
    request's version the edit was based on (a stale one is refused, naming what differs
    from the line as saved).
    """
    saved_line = ProvisionLine.objects.filter(pk=line.pk).first() if line is not None else None
    locked = _lock_for_edit(funding_request, user, version,
                            yours=fields if saved_line else None, compare=saved_line)  # fmt: skip
    if line is None:
        order = ProvisionLine.objects.filter(request=locked).count() + 1
        line = ProvisionLine(request=locked, order=order)
    elif line.request_id != locked.pk:
        raise EditError("That line belongs to another request.")
    _fill_line(locked, line, rate_card_for(locked), **fields)
    line.save()
    _recalculate(locked)
    return line


@transaction.atomic
def remove_provision_line(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    line_id: int,
    version: int | None = None,
) -> None:
    locked = _lock_for_edit(funding_request, user, version)
    ProvisionLine.objects.filter(request=locked, pk=line_id).delete()
    _recalculate(locked)


# --- Documents ------------------------------------------------------------------

# Detected type -> (MIME type, extensions a name may end with).
ALLOWED_DOCUMENTS = {
    "pdf": ("application/pdf", {".pdf"}),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        {".docx"},
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        {".xlsx"},
    ),
    "png": ("image/png", {".png"}),
    "jpg": ("image/jpeg", {".jpg", ".jpeg"}),
}


def _sniff(head: bytes, upload) -> str | None:
    """The document's real type from its content; the name plays no part."""
    kind = filetype.guess(head)
    extension = kind.extension if kind else None
    if extension in ("zip", "docx", "xlsx"):
        # Office files are zip archives; look inside rather than trust the first bytes.
        try:
            upload.seek(0)
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        finally:
            upload.seek(0)
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return None
    return extension if extension in ALLOWED_DOCUMENTS else None


def check_upload(upload) -> tuple[str, str]:
    """(detected type, MIME type) of an acceptable upload, or EditError."""
    max_bytes = settings.DOCUMENT_MAX_BYTES
    if upload.size is None or upload.size > max_bytes:
        raise EditError(too_big_message())
    if upload.size == 0:
        raise EditError("The selected file is empty.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = _sniff(head, upload)
    if kind is None:
        raise EditError("The file must be a PDF, DOCX, XLSX, PNG or JPEG.")
    mime, extensions = ALLOWED_DOCUMENTS[kind]
    name = (upload.name or "").lower()
    if not any(name.endswith(ext) for ext in extensions):
        raise EditError(
            f"The file's content is {kind.upper()} but its name says otherwise: "
            "rename it or choose the right file."
        )
    return kind, mime


@transaction.atomic
def upload_document(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    upload,
    kind: str,
    version: int | None = None,
) -> RequestDocument:
    """Keep a supporting document in private storage, after checking size and content."""
    locked = _lock_for_edit(funding_request, user, version)
    checked = check_upload(upload)
    document = _store_document(locked, user=user, upload=upload, kind=kind, checked=checked)
    _touch(locked)
    return document


def _store_document(
    locked: FundingRequest, *, user: AbstractBaseUser, upload, kind: str, checked: tuple[str, str]
) -> RequestDocument:
    """Write a checked upload to private storage and record it (inside the caller's transaction)."""
    detected, mime = checked
    document = RequestDocument(
        request=locked,
        kind=kind,
        original_name=(upload.name or "document")[-200:],
        content_type=mime,
        size=upload.size,
        uploaded_by=user,
    )
    # A random stored name: the original name is only ever shown, never used as a path.
    upload.seek(0)
    try:
        document.file.save(f"{uuid.uuid4().hex}.{detected}", ContentFile(upload.read()), save=False)
    except STORAGE_ERRORS as exc:
        # The store is down (or full): refuse before any row is written, so the
        # caller's transaction leaves the request exactly as it was.
        log.warning("document not stored for request %s: %r", locked.pk, exc)
        raise EditError(UNAVAILABLE_MESSAGE, status=503, field="file") from exc
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    RequestEvent.objects.create(
        request=locked, actor=user, kind="document_added", message=document.original_name
    )
    return document


@transaction.atomic
def remove_document(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    document_id: int,
    version: int | None = None,
) -> None:
    locked = _lock_for_edit(funding_request, user, version)
    document = RequestDocument.objects.filter(request=locked, pk=document_id).first()
    if document is None:
        return
    _touch(locked)
    name, storage = document.file.name, document.file.storage
    RequestEvent.objects.create(
        request=locked, actor=user, kind="document_removed", message=document.original_name
    )
    document.delete()
    # Remove the file only once the row is surely gone.
    transaction.on_commit(lambda: storage.delete(name))


# --- Transitions owned by this app ------------------------------------------------


def submit_request(funding_request: FundingRequest, *, user: AbstractBaseUser) -> FundingRequest:
    return apply_transition(funding_request, "submit", user=user).request


def return_request(
    funding_request: FundingRequest, *, user: AbstractBaseUser, message: str
) -> FundingRequest:
    return apply_transition(funding_request, "return", user=user, message=message).request


def resubmit_request(
    funding_request: FundingRequest, *, user: AbstractBaseUser, message: str
) -> FundingRequest:
    return apply_transition(funding_request, "resubmit", user=user, message=message).request


def triage_request(
    funding_request: FundingRequest, *, user: AbstractBaseUser, message: str = ""
) -> FundingRequest:
    return apply_transition(funding_request, "triage", user=user, message=message).request


def withdraw_request(
    funding_request: FundingRequest, *, user: AbstractBaseUser, message: str
) -> FundingRequest:
    return apply_transition(funding_request, "withdraw", user=user, message=message).request


def delete_draft(
    funding_request: FundingRequest, *, user: AbstractBaseUser, message: str = ""
) -> FundingRequest:
    """The school deletes a draft it no longer wants. Only a draft: a request the LA has
    seen is withdrawn instead, with a reason, so its history stays in view."""
    if funding_request.state != State.DRAFT:
        raise TransitionError(
            f"{funding_request} is {funding_request.get_state_display().lower()}: only a "
            "draft can be deleted. Withdraw it instead, saying why."
        )
    return apply_transition(funding_request, "delete", user=user, message=message).request


@register_prepare("delete")
def _on_delete(fr: FundingRequest, t: Transition, ctx: TransitionContext) -> list[str]:
    # Kept for the audit: who deleted it and when, on the row its timeline belongs to.
    fr.deleted_at = timezone.now()
    fr.deleted_by = ctx.user
    return ["deleted_at", "deleted_by"]


@transaction.atomic
def reconsider_request(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    message: str,
    upload=None,
    kind: str = DocumentKind.ASSESSMENT,
) -> FundingRequest:
    """The school asks, once, for a declined request to be reconsidered with new evidence.

    The new evidence is the message and, optionally, a document; the request goes back
    to the LA as submitted, under its reference. A second try is refused by the
    "reconsideration_unused" guard.
    """
    # Check the file first: a refused file must leave the request as it was.
    checked = check_upload(upload) if upload is not None else None
    fr = apply_transition(funding_request, "reconsider", user=user, message=message).request
    if upload is not None:
        # Stored last, in the same transaction: nothing after it can roll the row back.
        _store_document(fr, user=user, upload=upload, kind=kind, checked=checked)
    return fr


APP_TRANSITIONS = {
    "submit": submit_request,
    "return": return_request,
    "resubmit": resubmit_request,
    "triage": triage_request,
    "withdraw": withdraw_request,
}


def run_transition(
    funding_request: FundingRequest, name: str, *, user: AbstractBaseUser, message: str = ""
) -> FundingRequest:
    """The page and API entry point for this app's actions."""
    if name not in APP_TRANSITIONS:
        raise TransitionError(f"There is no action called “{name}” here.")
    if name == "submit":
        return submit_request(funding_request, user=user)
    if name == "triage":
        return triage_request(funding_request, user=user, message=message)
    return APP_TRANSITIONS[name](funding_request, user=user, message=message)


# --- Guards ------------------------------------------------------------------------


def _lines(fr: FundingRequest) -> list[ProvisionLine]:
    return list(ProvisionLine.objects.filter(request=fr))


@register_guard("complete")
def _guard_complete(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    missing = [m for items in rules.missing_by_section(fr).values() for m in items]
    if missing:
        return "The request is not complete yet: " + "; ".join(missing) + "."
    return None


@register_guard("consent_recorded")
def _guard_consent(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    problems = rules.consent_problems(fr)
    return problems[0] + "." if problems else None


@register_guard("stream_open")
def _guard_stream_open(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    if not fr.stream.is_open:
        return f"{fr.stream.name} is closed to new requests."
    return None


@register_guard("stream_rules")
def _guard_stream_rules(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    problems = rules.stream_rule_problems(fr, _lines(fr))
    return "; ".join(problems) + "." if problems else None


RECONSIDERED_ONCE = (
    "This request has already been reconsidered once: a declined request can be "
    "reconsidered only once. Speak to the LA SEND team about the appeal route."
)


@register_guard("reconsideration_unused")
def _guard_reconsideration(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    return RECONSIDERED_ONCE if fr.reconsideration_used else None


def reconsideration_problem(fr: FundingRequest) -> str | None:
    """Why the school cannot ask for this request to be reconsidered, or None if it can."""
    if fr.state != State.DECLINED:
        return (
            f"This request is {fr.get_state_display().lower()}: only a declined request "
            "can be reconsidered."
        )
    return RECONSIDERED_ONCE if fr.reconsideration_used else None


# --- Effects ------------------------------------------------------------------------


def allocate_reference(fr: FundingRequest, on: date | None = None) -> str:
    """The next reference for the stream and year, e.g. ENG-2026-00123; gap-free.

    The counter row is locked until the submit commits, so concurrent submits
    queue on it, and a submit that rolls back gives its number back.
    """
    year = (on or timezone.localdate()).year
    stream = FundingStream.objects.only("code").get(pk=fr.stream_id)
    counter, _ = ReferenceCounter.objects.get_or_create(stream_id=fr.stream_id, year=year)
    ReferenceCounter.objects.filter(pk=counter.pk).select_for_update().update(
        last_number=F("last_number") + 1
    )
    number = ReferenceCounter.objects.values_list("last_number", flat=True).get(pk=counter.pk)
    return f"{stream.code}-{year}-{number:05d}"


@register_prepare("submit")
def _on_submit(fr: FundingRequest, t: Transition, ctx: TransitionContext) -> list[str]:
    if not fr.reference:
        # ``submitted_on`` lets the demo and imports of past requests number them by their year.
        command = ctx.command
        assert isinstance(command, Submit)
        fr.reference = allocate_reference(fr, command.submitted_on)
    # The LA's clock to a decision starts at the first submission.
    fr.submitted_at = fr.submitted_at or timezone.now()
    return ["reference", "submitted_at"]


def _on_award(fr: FundingRequest, t: Transition, ctx: TransitionContext) -> list[str]:
    # The amount awarded is saved with the state, in the same row write.
    command = ctx.command
    assert isinstance(command, Award)
    fr.amount_awarded = command.amount
    return ["amount_awarded"]


register_prepare("approve")(_on_award)
register_prepare("partially_approve")(_on_award)


@register_effect("reconsider")
def _on_reconsider(fr: FundingRequest, t: Transition, ctx: TransitionContext) -> None:
    fr.reconsideration_used = True
    fr.save(update_fields=["reconsideration_used", "updated_at"])


@register_effect("*")
def _notify(fr: FundingRequest, t: Transition, ctx: TransitionContext) -> None:
    # Who hears of which transition is portal.notifications' table, not this app's.
    announce_transition(
        fr, t, user=ctx.user, by_school=Actor.SCHOOL in ctx.actors, message=ctx.message
    )


@transaction.atomic
def create_request(
    *,
    user: AbstractBaseUser,
    school: School,
    stream: FundingStream,
    request_type: str = "individual",
    fields: dict[str, Any] | None = None,
    cycles: list[dict[str, Any]] | None = None,
    provision_lines: list[dict[str, Any]] | None = None,
) -> FundingRequest:
    """Start a request with whatever the school already has (the API's create), all or nothing."""
    funding_request = create_draft(
        user=user, school=school, stream=stream, request_type=request_type
    )
    return save_request(
        funding_request,
        user=user,
        fields=fields or {},
        cycles=cycles,
        provision_lines=provision_lines,
    )


@transaction.atomic
def save_request(
    funding_request: FundingRequest,
    *,
    user: AbstractBaseUser,
    fields: dict[str, Any],
    cycles: list[dict[str, Any]] | None = None,
    provision_lines: list[dict[str, Any]] | None = None,
    version: int | None = None,
) -> FundingRequest:
    """The API's edit: fields, and (when given) the whole list of cycles and of lines.

    ``version``: the request's version the edit was based on (a stale one is refused
    and nothing, not even one line, is saved).
    """
    locked = update_request(funding_request, user=user, version=version, **fields)
    if cycles is not None:
        ReviewCycle.objects.filter(request=locked).delete()
        ReviewCycle.objects.bulk_create(
            [ReviewCycle(request=locked, order=i, **c) for i, c in enumerate(cycles, start=1)]
        )
    if provision_lines is not None:
        card = rate_card_for(locked)
        filled = []
        for i, fields in enumerate(provision_lines, start=1):
            try:
                filled.append(_fill_line(locked, ProvisionLine(request=locked, order=i), card,
                                         **fields))  # fmt: skip
            except EditError as exc:
                raise EditError(f"Provision line {i}: {exc.message}", field=exc.field) from None
        ProvisionLine.objects.filter(request=locked).delete()
        ProvisionLine.objects.bulk_create(filled)
        _recalculate(locked)
    return locked


# --- Funding streams (LA SEND officers) -------------------------------------------------

STREAM_FIELDS = ("code", "name", "description", "max_award", "max_duration_weeks",
                 "eligible_phases", "is_open")  # fmt: skip


@transaction.atomic
def save_stream(
    *,
    user: AbstractBaseUser,
    stream: FundingStream | None = None,
    version: int | None = None,
    **fields: Any,
) -> FundingStream:
    """An LA SEND officer adds a stream or changes one (requests already made keep theirs).

    ``version``: the stream's version the change was based on (a stale one is refused).
    """
    policy.require_manage_streams(user)
    unknown = set(fields) - set(STREAM_FIELDS)
    if unknown:
        raise EditError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    if stream is not None:
        stream = FundingStream.objects.select_for_update().get(pk=stream.pk)
        _check_version(stream, version, yours=fields, what="this funding stream")
        _advance(stream)
    stream = stream or FundingStream()
    for name, value in fields.items():
        setattr(stream, name, value)
    stream.full_clean()
    stream.save()
    return stream


# --- Continuations (renewals) ------------------------------------------------------------

# What a continuation copies from the request it continues: the pupil, the needs and what
# is sought. Dates, consent and the pupil's and parent's views are asked afresh.
CONTINUED_FIELDS = ("request_type", "pupil_initials", "pupil_key", "year_group", "sex", "number_of_pupils",
                    "project_summary", "primary_need", "secondary_need", "sen_support_since",
                    "band_id", "ordinarily_available_provision", "agencies_involved",
                    "outcomes_sought")  # fmt: skip
LINE_COPIED = ("order", "kind", "description", "hours_per_week", "weeks", "hourly_rate",
               "amount", "note", "rate_card_id", "card_rate", "rate_reason")  # fmt: skip
CYCLE_COPIED = ("order", "assess", "plan", "duration_weeks", "impact")


@transaction.atomic
def start_continuation(earlier: FundingRequest, *, user: AbstractBaseUser) -> FundingRequest:
    """A new draft pre-filled from ``earlier`` (pupil, needs, outcomes, the graduated
    approach's cycles, provision lines) and linked to it, for the school to renew funding that is running or has closed."""
    earlier = FundingRequest.objects.select_related("stream", "school").get(pk=earlier.pk)
    if not policy.can_start_continuation(user, earlier):
        raise EditError(
            f"{earlier} is {earlier.get_state_display().lower()}: a continuation starts from "
            "a request that is funded or closed, by its own school."
        )
    ongoing = (
        FundingRequest.objects.filter(continues=earlier)
        .exclude(state__in=[State.WITHDRAWN, State.DECLINED, State.CLOSED])
        .first()
    )
    if ongoing is not None:
        raise ConflictError(
            f"{earlier} already has a continuation in progress ({ongoing}): carry on with that one."
        )
    fr = create_draft(
        user=user, school=earlier.school, stream=earlier.stream, request_type=earlier.request_type
    )
    for name in CONTINUED_FIELDS:
        setattr(fr, name, getattr(earlier, name))
    fr.continues = earlier
    fr.save()
    ProvisionLine.objects.bulk_create(
        [
            ProvisionLine(request=fr, **{name: getattr(line, name) for name in LINE_COPIED})
            for line in ProvisionLine.objects.filter(request=earlier).order_by("order")
        ]
    )
    # The graduated approach so far goes on too: the school adds the funded period's cycle.
    ReviewCycle.objects.bulk_create(
        [
            ReviewCycle(request=fr, **{name: getattr(c, name) for name in CYCLE_COPIED})
            for c in ReviewCycle.objects.filter(request=earlier).order_by("order")
        ]
    )
    _recalculate(fr)
    _event(fr, user=user, kind="continuation_started", message=f"Continues {earlier}.")
    _event(_locked(earlier), user=user, kind="continued", message=f"Continued by draft #{fr.pk}.")
    return fr


# --- The rate card (LA officers) -----------------------------------------------------

RATE_FIELDS = ("role", "year", "hourly_rate")


@transaction.atomic
def save_rate(
    *,
    user: AbstractBaseUser,
    entry: RateCardEntry | None = None,
    role: str,
    year: int,
    hourly_rate: Decimal,
) -> RateCardEntry:
    """An LA officer adds a standard rate or changes one. Lines already costed keep the
    rate they were saved with (and the card's rate then), so a change is not retrospective."""
    policy.require_manage_rate_card(user)
    role = " ".join((role or "").split())
    if not role:
        raise EditError("Enter the role, like Teaching assistant.", field="role")
    if len(role) > 80:
        raise EditError("The role must be 80 characters or fewer.", field="role")
    if not 2000 <= year <= 2100:
        raise EditError("Enter the year the financial year starts, like 2026.", field="year")
    if hourly_rate <= 0 or hourly_rate > rules.MAX_HOURLY_RATE:
        raise EditError(
            f"The hourly rate must be more than £0.00 and at most "
            f"{format_gbp(rules.MAX_HOURLY_RATE)}.",
            field="hourly_rate",
        )
    clash = RateCardEntry.objects.filter(role__iexact=role, year=year)
    if entry is not None:
        clash = clash.exclude(pk=entry.pk)
        entry = RateCardEntry.objects.select_for_update().get(pk=entry.pk)
    if clash.exists():
        raise EditError(
            f"The card already has a rate for {role.lower()} in {year} to {year + 1}: "
            "change that one instead.",
            field="role",
        )
    entry = entry or RateCardEntry()
    entry.role, entry.year, entry.hourly_rate = (
        role,
        year,
        Decimal(hourly_rate).quantize(Decimal("0.01")),
    )
    entry.updated_by = user
    entry.save()
    return entry


# The largest usual award a band may suggest: no fund's maximum is near it.
MAX_BAND_AWARD = Decimal("100000.00")
MAX_BAND_LEVEL = 9
ZERO = Decimal("0.00")


@transaction.atomic
def save_need_band(
    *,
    user: AbstractBaseUser,
    need_band: NeedBand | None = None,
    need: str,
    band: int,
    descriptor: str,
    usual_award_min: Decimal,
    usual_award_max: Decimal,
) -> NeedBand:
    """The LA SEND officer adds a banded descriptor of need or changes one.

    A band requests are already placed in keeps its need and level (those requests would
    silently change meaning): the officer adds a new band instead. Its descriptor and
    usual range may change; decisions already made keep the award they made.
    """
    policy.require_manage_need_bands(user)
    descriptor = (descriptor or "").strip()
    labels = dict(SEN2Need.choices)
    if need not in labels:
        raise EditError("Choose the primary need the band describes.", field="need")
    if not 0 <= band <= MAX_BAND_LEVEL:
        raise EditError(f"The band must be a number from 0 to {MAX_BAND_LEVEL}.", field="band")
    if not descriptor:
        raise EditError("Describe the need at this band.", field="descriptor")
    if len(descriptor) > 2000:
        raise EditError("The description must be 2,000 characters or fewer.", field="descriptor")
    for name, value, words in (
        ("usual_award_min", usual_award_min, "The lowest usual award"),
        ("usual_award_max", usual_award_max, "The highest usual award"),
    ):
        if not ZERO <= value <= MAX_BAND_AWARD:
            raise EditError(
                f"{words} must be between £0.00 and {format_gbp(MAX_BAND_AWARD)}.", field=name
            )
    if usual_award_max < usual_award_min:
        raise EditError(
            "The highest usual award must be the same as or more than the lowest.",
            field="usual_award_max",
        )
    clash = NeedBand.objects.filter(need=need, band=band)
    if need_band is not None:
        clash = clash.exclude(pk=need_band.pk)
        need_band = NeedBand.objects.select_for_update().get(pk=need_band.pk)
        moved = (need_band.need, need_band.band) != (need, band)
        in_use = FundingRequest.objects.filter(band=need_band).count()
        if moved and in_use:
            raise EditError(
                f"{counted(in_use, 'request')} {'is' if in_use == 1 else 'are'} placed in this band, so its "
                "need and level cannot change: add a new band instead.",
                field="band",
            )
    if clash.exists():
        raise EditError(
            f"There is already a band {band} for {labels[need].lower()}: change that one instead.",
            field="band",
        )
    need_band = need_band or NeedBand()
    need_band.need, need_band.band, need_band.descriptor = need, band, descriptor
    need_band.usual_award_min = Decimal(usual_award_min).quantize(Decimal("0.01"))
    need_band.usual_award_max = Decimal(usual_award_max).quantize(Decimal("0.01"))
    need_band.save()
    return need_band


# --- Rotating the pupil key secret ----------------------------------------------------


def stored_pupil_keys() -> set[str]:
    return set(
        FundingRequest.objects.exclude(pupil_key="")
        .values_list("pupil_key", flat=True)
        .distinct()
        .iterator()
    )


def rekey_pupils(mapping: Mapping[str, str], forget: set[str] = frozenset()) -> int:
    """Replace each request's pupil key by its key under the new secret (``mapping``,
    from ``portal.pupil_key.rekey_map``); the keys in ``forget`` are cleared (those
    pupils' requests are no longer linked). Call inside the rotation's transaction.
    Returns the number of requests changed."""
    rows = list(
        FundingRequest.objects.exclude(pupil_key="")
        .select_for_update(no_key=True)
        .only("pk", "pupil_key")
    )
    changed = []
    for row in rows:
        if row.pupil_key in mapping:
            row.pupil_key = mapping[row.pupil_key]
        elif row.pupil_key in forget:
            row.pupil_key = ""
        else:
            raise EditError("A stored pupil key has no UPN in the extract.")
        changed.append(row)
    FundingRequest.objects.bulk_update(changed, ["pupil_key"], batch_size=2000)
    return len(changed)


# --- Intention to request notices ------------------------------------------------------

NOTICE_FIELDS = ("stream", "pupil_initials", "year_group", "expected_month", "reports_awaited")


@transaction.atomic
def give_notice(
    *,
    user: AbstractBaseUser,
    school: School,
    stream: FundingStream,
    pupil_initials: str,
    year_group: str,
    expected_month: date,
    reports_awaited: str,
) -> IntentionNotice:
    """A SENCO tells the LA a request is coming (who for, which fund, when, and whose
    reports it waits for), so the LA can plan its panels' agendas."""
    if not policy.can_start_request_for(user, school):
        raise EditError("You can only give notice for your own school.")
    if school.cluster_id is None:
        raise EditError("Your school is not in a cluster yet: ask the LA to add it to one.")
    if not stream.is_open:
        raise EditError(f"{stream.name} is closed to new requests.", field="stream")
    month = expected_month.replace(day=1)
    if month < timezone.localdate().replace(day=1):
        raise EditError("The month you expect to submit must be this month or later.",
                        field="expected_month")  # fmt: skip
    if not reports_awaited.strip():
        raise EditError("Enter whose reports you are waiting for.", field="reports_awaited")
    return IntentionNotice.objects.create(
        school=school,
        cluster_id=school.cluster_id,
        stream=stream,
        pupil_initials=pupil_initials,
        year_group=year_group,
        expected_month=month,
        reports_awaited=reports_awaited.strip(),
        created_by=user,
    )


@transaction.atomic
def start_request_from_notice(notice: IntentionNotice, *, user: AbstractBaseUser) -> FundingRequest:
    """The school turns its notice into the draft: pre-filled with the pupil, the fund and
    the professionals involved, and recorded on the notice."""
    notice = IntentionNotice.objects.select_for_update().get(pk=notice.pk)
    if notice.started:
        raise ConflictError(
            f"This notice is already a request (draft #{notice.request_id}): carry on with that one."
        )
    fr = create_draft(user=user, school=notice.school, stream=notice.stream)
    fr.pupil_initials = notice.pupil_initials
    fr.year_group = notice.year_group
    fr.agencies_involved = f"Reports awaited (from the notice): {notice.reports_awaited}"
    fr.save(update_fields=["pupil_initials", "year_group", "agencies_involved", "updated_at"])
    notice.request = fr
    notice.save(update_fields=["request"])
    _event(fr, user=user, kind="from_notice", message=f"Started from notice #{notice.pk}.")
    return fr


# --- The retention schedule (funding/retention.py; docs/architecture.md §11) ----------


@transaction.atomic
def purge_request(
    request_id: int, classes: tuple[str, ...] | list[str], *, now: datetime
) -> list[RetentionPurge]:
    """Remove the classes of one ended request's data that are past their years, each
    once, with its audit record. Checked again under the request's lock, so two runs at
    once never purge (nor audit) a class twice. A store that is down raises: the
    transaction is undone and the next night tries again."""
    locked = FundingRequest.with_deleted.select_for_update(of=("self",), no_key=True).get(
        pk=request_id
    )
    if locked.state not in ENDED or locked.state_changed_at is None:
        return []
    cut = retention.cutoffs(now)
    done = set(RetentionPurge.objects.filter(request=locked).values_list("data_class", flat=True))
    todo = [c for c in classes if c not in done and locked.state_changed_at < cut[c]]
    purges = []
    for data_class in RetentionClass.values:  # in the schedule's order
        if data_class not in todo:
            continue
        items, detail = _PURGES[data_class](locked)
        purges.append(
            RetentionPurge(
                request=locked,
                data_class=data_class,
                purged_at=now,
                ended_at=locked.state_changed_at,
                years=retention.years(data_class),
                items=items,
                detail=detail,
            )
        )
    return RetentionPurge.objects.bulk_create(purges)


def _purge_documents(locked: FundingRequest) -> tuple[int, str]:
    documents = list(RequestDocument.objects.filter(request=locked).only("pk", "file"))
    # The stored objects first: a refusal from the store undoes the transaction, so no
    # row is ever gone while its object stays.
    for document in documents:
        if document.file.name:
            document.file.storage.delete(document.file.name)
    RequestDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()
    return len(documents), counted(len(documents), "document") + " deleted from storage"


def _purge_free_text(locked: FundingRequest) -> tuple[int, str]:
    rows = 0
    for held in retention.FREE_TEXT:
        model = apps.get_model(held.model)
        # Empty stays empty; anything written becomes the marker (required fields are
        # checked non-empty by the database).
        rows += model._base_manager.filter(**{held.to_request: locked.pk}).update(
            **{
                name: Case(When(**{name: ""}, then=Value("")), default=Value(retention.REMOVED))
                for name in held.fields
            }
        )
    return rows, f"text removed from {counted(rows, 'record')}"


def _purge_pupil_fields(locked: FundingRequest) -> tuple[int, str]:
    rows, names = 0, []
    for label, fields in retention.PUPIL_FIELDS.items():
        model = apps.get_model(label)
        lookup = "pk" if model is FundingRequest else "request"
        empty = {name: None if model._meta.get_field(name).null else "" for name in fields}
        rows += model._base_manager.filter(**{lookup: locked.pk}).update(**empty)
        names += fields
    return rows, "cleared: " + ", ".join(dict.fromkeys(names))


_PURGES = {
    RetentionClass.DOCUMENTS: _purge_documents,
    RetentionClass.FREE_TEXT: _purge_free_text,
    RetentionClass.PUPIL_FIELDS: _purge_pupil_fields,
}


@dataclass(frozen=True)
class RetentionRun:
    due: list  # funding.selectors.DuePurge
    purges: list[RetentionPurge]


def apply_retention(*, now: datetime | None = None, dry_run: bool = False) -> RetentionRun:
    """The schedule applied to every ended request (the nightly beat and
    ``manage.py apply_retention``): one transaction per request, so one store error
    holds back only its request. A dry run reads what would go and writes nothing."""
    from . import selectors

    now = now or timezone.now()
    due = selectors.due_for_retention(now)
    if dry_run:
        return RetentionRun(due=due, purges=[])
    purges: list[RetentionPurge] = []
    for item in due:
        purges += purge_request(item.request_id, item.classes, now=now)
    if purges:
        log.info("retention: %s removed from %s", len(purges), len(due))
    return RetentionRun(due=due, purges=purges)
