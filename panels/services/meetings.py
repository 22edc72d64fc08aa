"""Scheduling requests onto meetings, the meeting itself, attendance, conflicts and moderation."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from funding.models import FundingRequest
from funding.services import apply_transition
from portal.roles import scope_for

from .. import policy
from ..models import (
    CRITERIA,
    AgendaItem,
    Attendance,
    ConflictDeclaration,
    Decision,
    ItemKind,
    Meeting,
    MeetingStatus,
    ModerationView,
    PanelMember,
)
from ..recusal import Quorum, quorum, recusals_for
from ..selectors import next_open_meeting, panel_for_request
from ._common import PanelError, _today
from .chairing import settle_acting_chairs
from .scheduling import put_on_agenda


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
    policy.require_manage_panels(by)
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
    return put_on_agenda(
        funding_request, meeting, user=by, message=f"On the agenda of {meeting}", today=today
    )


@transaction.atomic
def unschedule_request(item: AgendaItem, *, by: AbstractBaseUser, reason: str = "") -> None:
    policy.require_manage_panels(by)
    if item.meeting.status != MeetingStatus.SCHEDULED or hasattr(item, "decision"):
        raise PanelError("Only an item of a meeting not yet started can be taken off.")
    funding_request = item.request
    item.delete()
    apply_transition(funding_request, "unschedule", user=by, message=reason)


@transaction.atomic
def open_meeting(meeting: Meeting, *, by: AbstractBaseUser, today: date | None = None) -> Meeting:
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("chair").get(pk=meeting.pk)
    )
    if not policy.runs_meeting(by, meeting):
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
    if not policy.runs_meeting(by, meeting):
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
    settle_acting_chairs(meeting)
    return meeting_quorum(meeting)


def meeting_quorum(meeting: Meeting) -> Quorum:
    present = [a.member for a in meeting.attendance.select_related("member")]
    return quorum(meeting.panel, present, meeting.chair_id)


def item_quorum(item: AgendaItem) -> Quorum:
    """The meeting's quorum less the members recused from this item; the chair it needs
    is the item's (its acting chair, if the meeting's chair is recused)."""
    meeting = item.meeting
    present = [a.member for a in meeting.attendance.select_related("member")]
    recused = recusals_for([item], meeting.panel).recused_ids(item)
    return quorum(meeting.panel, present, item.item_chair_id, excluded_ids=recused)


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
    # A conflict withdrawn earlier stays on the record beside this new one.
    conflict, _ = ConflictDeclaration.objects.update_or_create(
        item=item, member=member, withdrawn_at=None, defaults={"reason": reason}
    )
    ModerationView.objects.filter(item=item, member=member).delete()
    if item.meeting.status == MeetingStatus.OPEN:
        # The chair (or the acting chair) may just have stepped out of this item.
        settle_acting_chairs(item.meeting)
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
