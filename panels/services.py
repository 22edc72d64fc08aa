"""Every write of the panels app: one function per use case, each in one transaction.

A request's state only moves through ``funding.services.apply_transition``;
this module adds the panel's own rows (agenda items, attendance, views,
decisions) in the same transaction and registers the guards and actor
resolver that make the panel rules part of the lifecycle (see ``apps.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import holidays
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from clusters.models import Membership, Role
from funding.models import FundingRequest, RequestType
from funding.services import (
    TransitionContext,
    TransitionError,
    apply_transition,
    record_note,
    register_actor_resolver,
    register_guard,
)
from funding.workflow import Actor, Award, Close, Decide, Schedule, State
from portal.errors import DomainError
from portal.money import format_gbp
from portal.notifications import notify
from portal.roles import scope_for

from . import rota
from .models import (
    CRITERIA,
    OUTCOME_TRANSITION,
    AgendaItem,
    Appeal,
    AppealOutcome,
    Attendance,
    ConflictDeclaration,
    Decision,
    ItemKind,
    Meeting,
    MeetingStatus,
    MemberAbsence,
    MemberRole,
    ModerationView,
    Outcome,
    OutcomeReview,
    Panel,
    PanelMember,
)
from .recusal import Quorum, quorum, recusals_for
from .selectors import current_chair, next_open_meeting, panel_for_request

if TYPE_CHECKING:
    from budgets.selectors import Settlement

PENNY = Decimal("0.01")


class PanelError(DomainError):
    """A panel action that may not happen; the message is for the person who tried."""


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def _require_send_officer(user: AbstractBaseUser) -> None:
    if not scope_for(user).is_send_officer:
        raise PanelError("Only an LA SEND officer can do this.")


# ---------------------------------------------------------------------------
# Panels, members and the rota
# ---------------------------------------------------------------------------


@transaction.atomic
def create_panel(
    *, by: AbstractBaseUser, cluster=None, district=None, name: str = "", **rule
) -> Panel:
    _require_send_officer(by)
    where = cluster or district
    if where is None or (cluster and district):
        raise PanelError("A panel serves one cluster or one district.")
    return Panel.objects.create(
        cluster=cluster, district=district, name=name or f"{where.name} panel", **rule
    )


@transaction.atomic
def add_member(
    panel: Panel,
    *,
    by: AbstractBaseUser,
    user: AbstractBaseUser,
    role: str,
    voting: bool = True,
    start_date: date,
    end_date: date | None = None,
    school=None,
) -> PanelMember:
    """Add a member; a head or SENCO rep sits for their school, which drives recusal."""
    _require_send_officer(by)
    if school is None and role in (MemberRole.HEADTEACHER, MemberRole.SENCO_REP):
        wanted = Role.HEADTEACHER if role == MemberRole.HEADTEACHER else Role.SENCO
        membership = (
            Membership.objects.filter(user=user, role=wanted).select_related("school").first()
        )
        if membership is None:
            raise PanelError(
                f"{user.get_full_name() or user.username} is not a "
                f"{Role(wanted).label.lower()} of any school."
            )
        school = membership.school
    if (
        role == MemberRole.HEADTEACHER
        and panel.cluster_id
        and school.cluster_id != panel.cluster_id
    ):
        raise PanelError("A headteacher member must lead a school in the panel's cluster.")
    if end_date and end_date < start_date:
        raise PanelError("The end date must be on or after the start date.")
    member = PanelMember.objects.create(
        panel=panel,
        user=user,
        role=role,
        voting=voting,
        school=school,
        start_date=start_date,
        end_date=end_date,
    )
    # Members who are not school staff get the portal's panel-member role, so the
    # dashboard and their scope know them.
    if school is None and panel.cluster_id and not scope_for(user).is_la:
        Membership.objects.get_or_create(user=user, role=Role.PANEL_MEMBER, cluster=panel.cluster)
    rebalance_rota(panel)
    return member


@transaction.atomic
def end_membership(member: PanelMember, *, by: AbstractBaseUser, end_date: date) -> PanelMember:
    _require_send_officer(by)
    if end_date < member.start_date:
        raise PanelError("The end date must be on or after the start date.")
    member.end_date = end_date
    member.save(update_fields=["end_date"])
    rebalance_rota(member.panel)
    return member


@transaction.atomic
def record_absence(
    member: PanelMember, *, by: AbstractBaseUser, start_date: date, end_date: date, reason: str = ""
) -> MemberAbsence:
    _require_send_officer(by)
    if end_date < start_date:
        raise PanelError("The end date must be on or after the start date.")
    absence = MemberAbsence.objects.create(
        member=member, start_date=start_date, end_date=end_date, reason=reason
    )
    rebalance_rota(member.panel)
    return absence


def _candidates(panel: Panel) -> list[rota.Candidate]:
    members = PanelMember.objects.filter(panel=panel).prefetch_related("absences").order_by("pk")
    return [
        rota.Candidate(
            id=m.pk,
            role=m.role,
            start=m.start_date,
            end=m.end_date,
            away=tuple((a.start_date, a.end_date) for a in m.absences.all()),
        )
        for m in members
    ]


def rebalance_rota(panel: Panel, *, today: date | None = None) -> int:
    """Re-plan the chairs of future, un-swapped meetings; returns how many changed.

    Past and started meetings and LA swaps are kept (and counted), so a change of
    membership re-balances only what is still to come.
    """
    today = _today(today)
    meetings = list(panel.meetings.exclude(status=MeetingStatus.CANCELLED).order_by("date", "pk"))
    fixed = {
        i: m.chair_id
        for i, m in enumerate(meetings)
        if m.date < today or m.status != MeetingStatus.SCHEDULED or m.is_swapped
    }
    plan = rota.assign_chairs([m.date for m in meetings], _candidates(panel), fixed)
    changed = []
    for i, (meeting, chair_id) in enumerate(zip(meetings, plan, strict=True)):
        if i in fixed:
            continue
        if meeting.chair_id != chair_id or meeting.rota_chair_id != chair_id:
            meeting.chair_id = meeting.rota_chair_id = chair_id
            changed.append(meeting)
    Meeting.objects.bulk_update(changed, ["chair", "rota_chair"])
    return len(changed)


@transaction.atomic
def generate_year(
    panel: Panel,
    *,
    by: AbstractBaseUser,
    first_date: date,
    every_weeks: int = 4,
    location: str = "",
    today: date | None = None,
) -> list[Meeting]:
    """Publish a year of meetings (bank holidays moved off) and assign their chairs."""
    _require_send_officer(by)
    if every_weeks < 1:
        raise PanelError("Meetings must be at least a week apart.")
    years = range(first_date.year, first_date.year + 2)
    bank_holidays = frozenset(holidays.country_holidays("GB", subdiv="ENG", years=years))
    existing = set(panel.meetings.values_list("date", flat=True))
    meetings = [
        Meeting(
            panel=panel,
            date=day,
            closing_date=day - timedelta(days=panel.closing_days),
            location=location,
        )
        for day in rota.meeting_dates(
            first_date, every_weeks=every_weeks, closed_days=bank_holidays
        )
        if day not in existing
    ]
    Meeting.objects.bulk_create(meetings)
    rebalance_rota(panel, today=today)
    return list(panel.meetings.filter(date__in=[m.date for m in meetings]))


@transaction.atomic
def swap_chair(
    meeting: Meeting, *, by: AbstractBaseUser, member: PanelMember, reason: str
) -> Meeting:
    """An LA officer gives one meeting another chair, with a reason."""
    _require_send_officer(by)
    reason = (reason or "").strip()
    if not reason:
        raise PanelError("Give the reason for the swap: it appears on the rota.")
    meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise PanelError("The chair can only be swapped before the meeting starts.")
    if member.panel_id != meeting.panel_id or not member.voting:
        raise PanelError("The chair must be a voting member of this panel.")
    if not member.serves_on(meeting.date):
        raise PanelError(f"{member.name} is not a member on {meeting.date:%d %B %Y}.")
    if member.absences.filter(start_date__lte=meeting.date, end_date__gte=meeting.date).exists():
        raise PanelError(f"{member.name} is away on {meeting.date:%d %B %Y}.")
    meeting.chair = member
    meeting.swap_reason = reason
    meeting.swapped_by = by
    meeting.save(update_fields=["chair", "swap_reason", "swapped_by"])
    return meeting


# ---------------------------------------------------------------------------
# Scheduling and the meeting
# ---------------------------------------------------------------------------


@transaction.atomic
def schedule_request(
    funding_request: FundingRequest,
    *,
    by: AbstractBaseUser,
    meeting: Meeting | None = None,
    today: date | None = None,
) -> AgendaItem:
    """Put a ready (or deferred) request on a meeting of its cluster's panel.

    Without a meeting: the one it was deferred to, if still open, else the next open one.
    """
    _require_send_officer(by)
    today = _today(today)
    panel = panel_for_request(funding_request)
    if panel is None:
        raise PanelError("The request's cluster has no panel yet: set one up first.")
    if meeting is None:
        deferred = (
            Decision.objects.filter(request=funding_request, deferred_to__isnull=False)
            .select_related("deferred_to")
            .first()
        )
        if (
            deferred
            and deferred.deferred_to.status == MeetingStatus.SCHEDULED
            and (deferred.deferred_to.closing_date >= today)
        ):
            meeting = deferred.deferred_to
        else:
            meeting = next_open_meeting(panel, today=today)
        if meeting is None:
            raise PanelError(f"{panel.name} has no meeting open for requests.")
    meeting = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
    if meeting.panel_id != panel.pk:
        raise PanelError(f"This request goes to {panel.name}, not to that meeting's panel.")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise PanelError("That meeting has already started.")
    if meeting.closing_date < today:
        raise PanelError(f"That meeting closed for requests on {meeting.closing_date:%d %B %Y}.")
    order = (meeting.items.aggregate(m=Max("order"))["m"] or 0) + 1
    item = AgendaItem.objects.create(meeting=meeting, request=funding_request, order=order)
    apply_transition(
        funding_request,
        "schedule",
        user=by,
        message=f"On the agenda of {meeting}",
        command=Schedule(meeting=meeting),
    )
    return item


@transaction.atomic
def unschedule_request(item: AgendaItem, *, by: AbstractBaseUser, reason: str = "") -> None:
    _require_send_officer(by)
    if item.meeting.status != MeetingStatus.SCHEDULED or hasattr(item, "decision"):
        raise PanelError("Only an item of a meeting not yet started can be taken off.")
    funding_request = item.request
    item.delete()
    apply_transition(funding_request, "unschedule", user=by, message=reason)


def _is_chair_or_officer(meeting: Meeting, user: AbstractBaseUser) -> bool:
    return scope_for(user).is_send_officer or (
        meeting.chair_id is not None and meeting.chair.user_id == user.pk
    )


@transaction.atomic
def open_meeting(meeting: Meeting, *, by: AbstractBaseUser, today: date | None = None) -> Meeting:
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("chair").get(pk=meeting.pk)
    )
    if not _is_chair_or_officer(meeting, by):
        raise PanelError("Only the meeting's chair (or an LA SEND officer) can open it.")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise PanelError("This meeting has already been opened.")
    if _today(today) < meeting.date:
        raise PanelError(f"This meeting cannot start before {meeting.date:%d %B %Y}.")
    meeting.status = MeetingStatus.OPEN
    meeting.opened_at = timezone.now()
    meeting.save(update_fields=["status", "opened_at"])
    return meeting


@transaction.atomic
def record_attendance(
    meeting: Meeting, *, by: AbstractBaseUser, present: list[PanelMember]
) -> Quorum:
    """The chair records who is present (replacing any earlier list); returns the quorum."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("chair", "panel")
        .get(pk=meeting.pk)
    )
    if not _is_chair_or_officer(meeting, by):
        raise PanelError("Only the meeting's chair (or an LA SEND officer) records attendance.")
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Open the meeting before recording attendance.")
    for member in present:
        if member.panel_id != meeting.panel_id or not member.serves_on(meeting.date):
            raise PanelError(f"{member.name} is not a member of this panel on the day.")
    if Decision.objects.filter(item__meeting=meeting).exists():
        # Attendance is the basis of decisions already taken; it stays as it was.
        raise PanelError("Decisions have been recorded: attendance can no longer change.")
    Attendance.objects.filter(meeting=meeting).delete()
    Attendance.objects.bulk_create(
        [Attendance(meeting=meeting, member=m, school_id=m.school_id) for m in present]
    )
    return meeting_quorum(meeting)


def meeting_quorum(meeting: Meeting) -> Quorum:
    present = [a.member for a in meeting.attendance.select_related("member")]
    return quorum(meeting.panel, present, meeting.chair_id)


def item_quorum(item: AgendaItem) -> Quorum:
    """The meeting's quorum less the members recused from this item."""
    meeting = item.meeting
    present = [a.member for a in meeting.attendance.select_related("member")]
    recused = recusals_for([item], meeting.panel).recused_ids(item)
    return quorum(meeting.panel, present, meeting.chair_id, excluded_ids=recused)


# ---------------------------------------------------------------------------
# Conflicts and moderation
# ---------------------------------------------------------------------------


def _member_on(meeting: Meeting, user: AbstractBaseUser) -> PanelMember | None:
    for member in PanelMember.objects.filter(panel_id=meeting.panel_id, user=user):
        if member.serves_on(meeting.date):
            return member
    return None


def is_recused(item: AgendaItem, user: AbstractBaseUser) -> bool:
    recusals = recusals_for([item], item.meeting.panel)
    return recusals.user_recused(item, user.pk, scope_for(user).school_ids)


@transaction.atomic
def declare_conflict(item: AgendaItem, *, by: AbstractBaseUser, reason: str) -> ConflictDeclaration:
    """A member declares a conflict; any view they gave on the item no longer counts."""
    reason = (reason or "").strip()
    if not reason:
        raise PanelError("Say what the conflict is: it is shown on the item and in the minutes.")
    member = _member_on(item.meeting, by)
    if member is None:
        raise PanelError("Only a member of this panel can declare a conflict on its items.")
    if item.meeting.status == MeetingStatus.CLOSED:
        raise PanelError("The meeting is closed.")
    conflict, _ = ConflictDeclaration.objects.update_or_create(
        item=item, member=member, defaults={"reason": reason}
    )
    ModerationView.objects.filter(item=item, member=member).delete()
    return conflict


@transaction.atomic
def record_moderation(
    item: AgendaItem,
    *,
    by: AbstractBaseUser,
    scores: dict[str, int],
    recommendation: str,
    comment: str = "",
) -> ModerationView:
    """A voting member's view of an item, before or during the meeting."""
    member = _member_on(item.meeting, by)
    if member is None or not member.voting:
        raise PanelError("Only a voting member of this panel records a view.")
    if is_recused(item, by):
        raise PanelError("You are recused from this item, so you cannot record a view on it.")
    if item.meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.OPEN):
        raise PanelError("The meeting is closed: views can no longer be recorded.")
    if item.kind != ItemKind.DECISION or hasattr(item, "decision"):
        raise PanelError("This item has been decided.")
    values = {}
    for name, label in CRITERIA:
        value = scores.get(name)
        if not isinstance(value, int) or not 1 <= value <= 4:
            raise PanelError(f"Score “{label}” from 1 to 4.")
        values[name] = value
    view, _ = ModerationView.objects.update_or_create(
        item=item,
        member=member,
        defaults={**values, "recommendation": recommendation, "comment": comment.strip()},
    )
    return view


# ---------------------------------------------------------------------------
# Decisions
# ---------------------------------------------------------------------------


def _school_staff(funding_request: FundingRequest) -> list[AbstractBaseUser]:
    """Who hears of a decision: the school's SENCOs and whoever made the request."""
    users = {
        m.user
        for m in Membership.objects.filter(
            school_id=funding_request.school_id, role=Role.SENCO
        ).select_related("user")
    }
    users.add(funding_request.created_by)
    return sorted(users, key=lambda u: u.pk)


def _notify_decision(decision: Decision) -> None:
    fr = decision.request
    body = f"Outcome: {decision.get_outcome_display()}.\n\nRationale: {decision.rationale}"
    if decision.amount is not None:
        body += f"\n\nAmount awarded: {format_gbp(decision.amount)}"
    if decision.conditions:
        body += f"\n\nConditions: {decision.conditions}"
    if decision.review_date:
        body += f"\n\nReview date: {decision.review_date:%d %B %Y}"
    notify(
        _school_staff(fr),
        f"Panel decision on {fr.reference}: {decision.get_outcome_display()}",
        body,
        reverse("panels:decision", args=[decision.pk]),
    )


def _validate_outcome(
    funding_request: FundingRequest,
    outcome: str,
    amount: Decimal | None,
    review_date: date | None,
    today: date,
) -> Decimal | None:
    if outcome not in Outcome.values:
        raise PanelError("Choose an outcome.")
    if outcome == Outcome.APPROVED:
        amount = funding_request.amount_requested
    elif outcome == Outcome.PARTIALLY_APPROVED:
        if amount is None:
            raise PanelError("Enter the amount approved.")
        amount = Decimal(amount).quantize(PENNY)
        if not Decimal("0") < amount < funding_request.amount_requested:
            raise PanelError(
                f"A partial approval is more than £0 and less than the "
                f"{format_gbp(funding_request.amount_requested)} requested."
            )
    else:
        amount = None
    if outcome in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED):
        if review_date is None:
            raise PanelError("Set a review date for the funding.")
        if review_date <= today:
            raise PanelError("The review date must be in the future.")
    return amount


def _take(
    decision: Decision,
    item: AgendaItem | None,
    user: AbstractBaseUser,
    *,
    meeting: Meeting | None = None,
    la_officer: AbstractBaseUser | None = None,
    decided_at: datetime | None = None,
) -> None:
    """Move the request; for an award, the amount is set in the same transaction.

    The effect registry in ``funding.services`` is the seam to the budget service:
    the budgets app's guard (budget_available) and effects (commit on approve)
    receive the ``Award`` (amount and decision) from here and run inside this
    transaction, so an award and its commitment stand or fall together.
    """
    transition = OUTCOME_TRANSITION[decision.outcome]
    details = {
        "decision": decision,
        "item": item,
        "meeting": meeting,
        "chairs_action": la_officer is not None,
        "la_officer": la_officer,
        "decided_at": decided_at,
    }
    command = (
        Award(amount=decision.amount, **details)
        if decision.amount is not None
        else Decide(**details)
    )
    # The award's amount is saved with the state by funding (the request's one writer).
    result = apply_transition(
        decision.request, transition, user=user, message=decision.rationale, command=command
    )
    decision.request.amount_awarded = result.request.amount_awarded


@transaction.atomic
def record_decision(
    item: AgendaItem,
    *,
    by: AbstractBaseUser,
    outcome: str,
    rationale: str,
    conditions: str = "",
    review_date: date | None = None,
    amount: Decimal | None = None,
    deferred_to: Meeting | None = None,
    today: date | None = None,
    decided_at: datetime | None = None,
) -> Decision:
    """The chair records the outcome of an item at a quorate meeting.

    If recusals leave the item inquorate it is deferred instead (and the
    returned decision says so): it is never decided without a quorum.
    ``decided_at`` is for recording a past meeting's decision (the demo): an award's
    commitment is dated then rather than now.
    """
    today = _today(today)
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("panel", "chair")
        .get(pk=item.meeting_id)
    )
    item = AgendaItem.objects.select_related("request", "request__school").get(pk=item.pk)
    item.meeting = meeting
    if meeting.chair is None or meeting.chair.user_id != by.pk:
        raise PanelError("Only the meeting's chair records decisions.")
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Decisions are recorded at the meeting: open it first.")
    if item.kind != ItemKind.DECISION:
        raise PanelError("This item is for ratification, not decision.")
    if Decision.objects.filter(item=item).exists():
        raise PanelError("This item has already been decided.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise PanelError("Give the rationale: the school is told it with the decision.")
    whole = meeting_quorum(meeting)
    if not whole.quorate:
        raise PanelError(
            "The meeting is not quorate, so no decision can be recorded. "
            + " ".join(whole.problems)
        )
    if is_recused(item, by):
        raise PanelError("You are recused from this item, so you cannot decide it.")
    this_item = item_quorum(item)
    if not this_item.quorate:
        return _defer_inquorate(item, this_item, by)
    amount = _validate_outcome(item.request, outcome, amount, review_date, today)
    if (
        outcome == Outcome.DEFERRED
        and deferred_to is not None
        and (deferred_to.panel_id != meeting.panel_id or deferred_to.date <= meeting.date)
    ):
        raise PanelError("Defer to a later meeting of this panel.")
    decision = Decision.objects.create(
        request=item.request,
        item=item,
        outcome=outcome,
        amount=amount,
        rationale=rationale,
        conditions=(conditions or "").strip(),
        review_date=review_date
        if outcome in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED)
        else None,
        deferred_to=deferred_to if outcome == Outcome.DEFERRED else None,
        chair=by,
    )
    try:
        _take(decision, item, by, meeting=meeting, decided_at=decided_at)
    except TransitionError as exc:
        raise PanelError(exc.message) from exc
    _notify_decision(decision)
    return decision


def _defer_inquorate(item: AgendaItem, q: Quorum, by: AbstractBaseUser | None) -> Decision:
    meeting = item.meeting
    decision = Decision.objects.create(
        request=item.request,
        item=item,
        outcome=Outcome.DEFERRED,
        rationale="Deferred: the panel was not quorate for this item after recusals. "
        + " ".join(q.problems),
        chair=meeting.chair.user,
    )
    # The portal defers it (system actor): nobody decided anything.
    apply_transition(
        item.request, "defer", user=None, message=decision.rationale, command=Decide(item=item)
    )
    _notify_decision(decision)
    return decision


@transaction.atomic
def decide_by_chairs_action(
    funding_request: FundingRequest,
    *,
    by: AbstractBaseUser,
    la_officer: AbstractBaseUser,
    outcome: str,
    rationale: str,
    conditions: str = "",
    review_date: date | None = None,
    amount: Decimal | None = None,
    today: date | None = None,
) -> Decision:
    """An urgent request decided between meetings by the rota's chair with an LA officer.

    It goes on the next meeting's agenda for ratification.
    """
    today = _today(today)
    if funding_request.request_type != RequestType.URGENT:
        raise PanelError("Only urgent requests can be decided by chair's action.")
    if funding_request.state not in (State.READY, State.DEFERRED):
        raise PanelError("The LA must mark the request ready before the chair can act on it.")
    if outcome not in (Outcome.APPROVED, Outcome.PARTIALLY_APPROVED, Outcome.DECLINED):
        raise PanelError("Chair's action approves, approves in part or declines.")
    rationale = (rationale or "").strip()
    if not rationale:
        raise PanelError("Give the rationale: the school is told it with the decision.")
    if not scope_for(la_officer).is_send_officer:
        raise PanelError("Chair's action needs the agreement of an LA SEND officer.")
    panel = panel_for_request(funding_request)
    chair = current_chair(panel, today=today) if panel else None
    if chair is None or chair.user_id != by.pk:
        raise PanelError("Only the rota's current chair can take chair's action.")
    ratify_at = (
        panel.meetings.filter(status=MeetingStatus.SCHEDULED, date__gte=today)
        .order_by("date")
        .first()
    )
    if ratify_at is None:
        raise PanelError("There is no future meeting to ratify the decision at.")
    amount = _validate_outcome(funding_request, outcome, amount, review_date, today)
    order = (ratify_at.items.aggregate(m=Max("order"))["m"] or 0) + 1
    AgendaItem.objects.create(
        meeting=ratify_at, request=funding_request, order=order, kind=ItemKind.RATIFICATION
    )
    try:
        apply_transition(
            funding_request,
            "schedule",
            user=la_officer,
            message=f"Chair's action; for ratification at {ratify_at}",
            command=Schedule(meeting=ratify_at),
        )
        decision = Decision.objects.create(
            request=funding_request,
            outcome=outcome,
            amount=amount,
            rationale=rationale,
            conditions=(conditions or "").strip(),
            review_date=review_date if amount is not None else None,
            chair=by,
            by_chairs_action=True,
            la_officer=la_officer,
        )
        _take(decision, None, by, la_officer=la_officer)
    except TransitionError as exc:
        raise PanelError(exc.message) from exc
    _notify_decision(decision)
    return decision


@transaction.atomic
def ratify_item(item: AgendaItem, *, by: AbstractBaseUser) -> AgendaItem:
    meeting = item.meeting
    if meeting.chair is None or meeting.chair.user_id != by.pk:
        raise PanelError("Only the meeting's chair ratifies chair's actions.")
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Open the meeting first.")
    if item.kind != ItemKind.RATIFICATION or item.ratified_at:
        raise PanelError("There is nothing to ratify on this item.")
    if not meeting_quorum(meeting).quorate:
        raise PanelError("The meeting is not quorate, so it cannot ratify anything.")
    item.ratified_at = timezone.now()
    item.save(update_fields=["ratified_at"])
    return item


def _undecided(meeting: Meeting):
    # Only requests still waiting on this agenda: one withdrawn meanwhile has nothing to defer.
    return meeting.items.filter(
        kind=ItemKind.DECISION, decision__isnull=True, request__state=State.ON_AGENDA
    ).select_related("request")


@transaction.atomic
def close_meeting(meeting: Meeting, *, by: AbstractBaseUser | None) -> Meeting:
    """Close the meeting: items not decided are deferred; the minutes go to the cluster.

    ``by=None`` is the portal closing a meeting left open after its day (a daily task).
    """
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("chair", "panel")
        .get(pk=meeting.pk)
    )
    if by is not None and not _is_chair_or_officer(meeting, by):
        raise PanelError("Only the meeting's chair (or an LA SEND officer) can close it.")
    if meeting.status != MeetingStatus.OPEN:
        raise PanelError("Only a meeting in progress can be closed.")
    rationale = (
        "Not reached at the meeting: deferred to the next one."
        if by is not None
        else "Not decided before the meeting was left open past its day: deferred to the next one."
    )
    for item in _undecided(meeting):
        chair_user = meeting.chair.user if meeting.chair else by
        if chair_user is None:
            _defer_unheard(item, rationale)
            continue
        decision = Decision.objects.create(
            request=item.request,
            item=item,
            outcome=Outcome.DEFERRED,
            rationale=rationale,
            chair=chair_user,
        )
        apply_transition(
            item.request, "defer", user=None, message=decision.rationale, command=Decide(item=item)
        )
        _notify_decision(decision)
    now = timezone.now()
    meeting.status = MeetingStatus.CLOSED
    meeting.closed_at = meeting.minutes_published_at = now
    meeting.save(update_fields=["status", "closed_at", "minutes_published_at"])
    if meeting.panel.cluster_id:
        staff = [
            m.user
            for m in Membership.objects.filter(
                school__cluster_id=meeting.panel.cluster_id,
                role__in=[Role.HEADTEACHER, Role.SENCO],
            ).select_related("user")
        ]
        notify(
            {u.pk: u for u in staff}.values(),
            f"Minutes published: {meeting}",
            "The minutes of the panel meeting are published.",
            reverse("panels:minutes", args=[meeting.pk]),
        )
    return meeting


# ---------------------------------------------------------------------------
# After the decision
# ---------------------------------------------------------------------------


def _appeal_problem(funding_request: FundingRequest) -> str | None:
    if funding_request.state != State.DECLINED or not funding_request.reconsideration_used:
        return "An appeal is recorded for a request declined after its reconsideration."
    if Appeal.objects.filter(request_id=funding_request.pk).exists():
        return "An appeal has already been heard on this request: the appeal route is closed."
    return None


@transaction.atomic
def record_appeal(
    funding_request: FundingRequest,
    *,
    by: AbstractBaseUser,
    outcome: str,
    notes: str,
    heard_on: date,
    today: date | None = None,
) -> Appeal:
    """The LA's appeal route, open once the single reconsideration has been used.

    Upheld: the request goes back to ready and onto the next open meeting of its
    cluster's panel (if none is open yet it waits on the schedule page). Dismissed:
    the decline stands. Either way the school is told and no second appeal is heard.
    """
    _require_send_officer(by)
    if outcome not in AppealOutcome.values:
        raise PanelError("Choose whether the appeal is upheld or dismissed.")
    notes = (notes or "").strip()
    if not notes:
        raise PanelError("Record the appeal's reasons.")
    # The row lock makes two officers recording at once queue: the second is refused.
    locked = FundingRequest.objects.select_for_update(of=("self",)).get(pk=funding_request.pk)
    problem = _appeal_problem(locked)
    if problem:
        raise PanelError(problem)
    meeting = None
    if outcome == AppealOutcome.UPHELD:
        try:
            apply_transition(locked, "appeal_upheld", user=by, message=f"Appeal upheld: {notes}")
        except TransitionError as exc:
            raise PanelError(exc.message) from exc
        panel = panel_for_request(locked)
        if panel is not None and next_open_meeting(panel, today=today) is not None:
            item = schedule_request(locked, by=by, today=today)
            meeting = item.meeting
    appeal = Appeal.objects.create(
        request=locked,
        outcome=outcome,
        notes=notes,
        heard_on=heard_on,
        recorded_by=by,
        meeting=meeting,
    )
    if outcome == AppealOutcome.DISMISSED:
        # Not a state change, so the timeline is told here.
        record_note(locked, user=by, kind="appeal_dismissed", message=f"Appeal dismissed: {notes}")
    body = notes
    if outcome == AppealOutcome.UPHELD:
        body += (
            f"\n\nThe request goes back to the panel: it is on the agenda of {meeting}."
            if meeting
            else "\n\nThe request goes back to the panel at its next meeting open for requests."
        )
    else:
        body += "\n\nThe panel's decision stands. This was the last step of the appeal route."
    notify(
        _school_staff(locked),
        f"Appeal outcome for {locked.reference}: {appeal.get_outcome_display()}",
        body,
        reverse("funding:detail", args=[locked.pk]),
    )
    return appeal


def guard_appeal_open(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    return _appeal_problem(fr)


def spent_problem(awarded: Decimal, spent: Decimal) -> str | None:
    """The review's rule on the amount spent, for the form and the service alike."""
    if spent > awarded:
        return (
            f"You can report up to {format_gbp(awarded)}, the amount awarded. If the provision cost "
            "more, the school met the difference."
        )
    return None


@dataclass(frozen=True)
class ReportedOutcomes:
    """The review recorded and how the award's money was settled (None without a budget)."""

    review: OutcomeReview
    settlement: Settlement | None


@transaction.atomic
def report_outcomes(
    funding_request: FundingRequest,
    *,
    by: AbstractBaseUser,
    result: str,
    evidence: str,
    amount_spent: Decimal,
) -> ReportedOutcomes:
    """The SENCO's review: it closes the request and the budgets app settles its money
    from what was spent (a final payment of anything spent but unpaid, the rest back to
    the cluster budget, an overpayment flagged for recovery)."""
    evidence = (evidence or "").strip()
    if not evidence:
        raise PanelError("Give the evidence of the outcomes.")
    # Under the row lock, so a form sent twice (two tabs, a double click) is refused
    # cleanly rather than tripping the one-review-per-request constraint.
    funding_request = FundingRequest.objects.select_for_update().get(pk=funding_request.pk)
    if funding_request.state not in (State.ACTIVE, State.REVIEW_DUE):
        raise PanelError(
            f"{funding_request.reference} is {funding_request.get_state_display().lower()}: "
            "there are no outcomes to report now."
        )
    awarded = funding_request.amount_awarded or Decimal("0")
    amount_spent = Decimal(amount_spent).quantize(PENNY)
    if amount_spent < 0:
        raise PanelError("The amount spent cannot be less than £0.")
    problem = spent_problem(awarded, amount_spent)
    if problem:
        raise PanelError(problem)
    review = OutcomeReview.objects.create(
        request=funding_request,
        result=result,
        evidence=evidence,
        amount_spent=amount_spent,
        reported_by=by,
    )
    try:
        result = apply_transition(
            funding_request,
            "close",
            user=by,
            message=f"{review.get_result_display()}. {evidence}",
            command=Close(amount_spent=amount_spent, review=review),
        )
    except TransitionError as exc:
        raise PanelError(exc.message) from exc
    # The budgets app's close effect returns what it settled.
    return ReportedOutcomes(review=review, settlement=result.effects.get("settlement"))


# The daily jobs (panels.tasks). Each is idempotent: it acts only on what is due and
# still in the state it expects, and the transition re-checks that state under a row
# lock, so a re-run, a retry or two workers at once move nothing twice.


def activate_due(*, today: date | None = None) -> int:
    """Approved funding becomes active on its start date (run daily); returns how many."""
    today = _today(today)
    due = (
        FundingRequest.objects.filter(state__in=[State.APPROVED, State.PARTIALLY_APPROVED])
        .filter(Q(start_date__lte=today) | Q(start_date__isnull=True))
        .order_by("pk")
    )
    count = 0
    for fr in due:
        try:
            apply_transition(fr, "activate", user=None, message="Funding starts.")
        except TransitionError:
            continue  # moved meanwhile (withdrawn, or another run got there first)
        count += 1
    return count


def reviews_due(*, today: date | None = None) -> int:
    """Active funding whose review date has come is marked due and the school told."""
    today = _today(today)
    due = (
        FundingRequest.objects.filter(state=State.ACTIVE, decisions__review_date__lte=today)
        .distinct()
        .order_by("pk")
    )
    count = 0
    for fr in due:
        try:
            with transaction.atomic():
                apply_transition(fr, "review_due", user=None, message="Review date reached.")
                notify(
                    _school_staff(fr),
                    f"Review due for {fr.reference}",
                    "Report whether the outcomes were met, with evidence.",
                    reverse("panels:review", args=[fr.pk]),
                )
        except TransitionError:
            continue
        count += 1
    return count


def _defer_unheard(item: AgendaItem, rationale: str) -> None:
    """Defer a request nobody decided on (no decision row: nobody decided anything)."""
    fr = apply_transition(
        item.request, "defer", user=None, message=rationale, command=Decide(item=item)
    ).request
    notify(
        _school_staff(fr),
        f"Not heard: {fr.reference} is deferred to the next panel meeting",
        rationale,
        reverse("funding:detail", args=[fr.pk]),
    )


def sweep_past_meetings(*, today: date | None = None) -> dict[str, int]:
    """Meetings whose day has passed and that were left unfinished (run daily).

    Left open: the portal closes them, which defers whatever was not decided and
    publishes the minutes. Never opened, with requests still waiting on the agenda:
    the meeting did not happen, so it is cancelled and its requests deferred to the
    next one (the LA schedules them again). Returns how many of each.
    """
    today = _today(today)
    closed = 0
    for meeting in Meeting.objects.filter(status=MeetingStatus.OPEN, date__lt=today):
        try:
            close_meeting(meeting, by=None)
        except PanelError:
            continue  # closed meanwhile
        closed += 1
    missed = 0
    waiting = (
        Meeting.objects.filter(
            status=MeetingStatus.SCHEDULED,
            date__lt=today,
            items__kind=ItemKind.DECISION,
            items__request__state=State.ON_AGENDA,
        )
        .distinct()
        .order_by("date", "pk")
    )
    for meeting in waiting:
        with transaction.atomic():
            locked = Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)
            if locked.status != MeetingStatus.SCHEDULED:
                continue
            rationale = (
                f"The panel meeting of {locked.date:%d %B %Y} was not held: "
                "deferred to the next one."
            )
            for item in _undecided(locked):
                _defer_unheard(item, rationale)
            locked.status = MeetingStatus.CANCELLED
            locked.save(update_fields=["status"])
        missed += 1
    return {"closed": closed, "missed": missed}


# ---------------------------------------------------------------------------
# The lifecycle's panel guards and the chair as an actor (registered in apps.py)
# ---------------------------------------------------------------------------


def _decide(ctx: TransitionContext) -> Decide:
    # The workflow declares Decide (or Award, a Decide) for every transition these guard.
    assert isinstance(ctx.command, Decide)
    return ctx.command


def _item_for(fr: FundingRequest, ctx: TransitionContext) -> AgendaItem | None:
    item = _decide(ctx).item
    if item is not None:
        return item
    return (
        AgendaItem.objects.filter(request=fr, kind=ItemKind.DECISION, decision__isnull=True)
        .exclude(meeting__status__in=[MeetingStatus.CLOSED, MeetingStatus.CANCELLED])
        .select_related("meeting", "meeting__panel", "request", "request__school")
        .order_by("-meeting__date")
        .first()
    )


def _chairs_action_ok(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    officer = _decide(ctx).la_officer
    if officer is None or not scope_for(officer).is_send_officer:
        return "Chair's action needs the agreement of an LA SEND officer."
    if fr.request_type != RequestType.URGENT:
        return "Only urgent requests can be decided by chair's action."
    return None


def guard_quorate(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    if _decide(ctx).chairs_action:
        return _chairs_action_ok(fr, ctx)
    item = _item_for(fr, ctx)
    if item is None:
        return "This request is not on the agenda of a meeting in progress."
    if item.meeting.status != MeetingStatus.OPEN:
        return "Decisions are recorded at the meeting: the chair must open it first."
    q = item_quorum(item)
    if not q.quorate:
        return "The panel is not quorate for this item. " + " ".join(q.problems)
    return None


def guard_not_recused(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    user = ctx.user
    if user is None:
        return None
    if fr.school_id in scope_for(user).school_ids:
        return "You are recused: the request is from your school."
    if _decide(ctx).chairs_action:
        return None
    item = _item_for(fr, ctx)
    if item is not None and is_recused(item, user):
        return "You are recused from this item, so you cannot decide it."
    return None


def chair_actor(user: AbstractBaseUser, fr: FundingRequest) -> set[str]:
    """CHAIR for the chair of a meeting whose agenda holds the request, and for an
    urgent request, the rota's current chair (chair's action)."""
    if AgendaItem.objects.filter(
        request=fr,
        kind=ItemKind.DECISION,
        meeting__chair__user=user,
        meeting__status__in=[MeetingStatus.SCHEDULED, MeetingStatus.OPEN],
    ).exists():
        return {Actor.CHAIR}
    if fr.request_type == RequestType.URGENT:
        panel = panel_for_request(fr)
        chair = current_chair(panel) if panel else None
        if chair is not None and chair.user_id == user.pk:
            return {Actor.CHAIR}
    return set()


def register() -> None:
    register_guard("quorate")(guard_quorate)
    register_guard("not_recused")(guard_not_recused)
    register_guard("appeal_open")(guard_appeal_open)
    register_actor_resolver(chair_actor)
