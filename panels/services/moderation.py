"""Independent moderation: the chair's reveal of the members' views, and a conflict
withdrawn.

A member records their own view before seeing the others' named scores
(``policy.sees_views``); the item's chair may show the panel every view at the meeting
(``reveal_spread``, on the timeline and in the minutes). A conflict declared by mistake
is withdrawn with a reason (``withdraw_conflict``): the declaration stays for the LA's
record, the member is no longer recused, and who chairs the item is settled again.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from funding.services import record_note

from .. import policy
from ..models import AgendaItem, ConflictDeclaration, Meeting, MeetingStatus, SpreadReveal
from ..recusal import recusals_for
from ._common import PanelError
from .chairing import settle_acting_chairs
from .meetings import _member_on


def _locked_item(item: AgendaItem) -> AgendaItem:
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("panel", "chair__user")
        .get(pk=item.meeting_id)
    )
    item = (
        AgendaItem.objects.select_related("request", "request__school", "acting_chair__user")
        .select_for_update(of=("self",))
        .get(pk=item.pk)
    )
    item.meeting = meeting
    return item


@transaction.atomic
def reveal_spread(
    item: AgendaItem, *, by: AbstractBaseUser, at: datetime | None = None
) -> SpreadReveal:
    """The item's chair shows the panel every member's view (named scores and the spread),
    whether or not each has recorded their own. Once, at an open meeting."""
    item = _locked_item(item)
    policy.require_reveal_spread(by, item)
    if SpreadReveal.objects.filter(item=item).exists():
        raise PanelError("The members' views on this item are already shown to the panel.")
    reveal = SpreadReveal.objects.create(
        item=item, revealed_by=by, revealed_at=at or timezone.now()
    )
    record_note(
        item.request,
        user=by,
        kind="spread_revealed",
        message=f"The chair showed the panel the members' views at the meeting of "
        f"{item.meeting.date:%d %B %Y}.",
    )
    return reveal


@transaction.atomic
def withdraw_conflict(
    item: AgendaItem, *, by: AbstractBaseUser, reason: str, at: datetime | None = None
) -> ConflictDeclaration:
    """A member withdraws a conflict they declared by mistake, saying why. The declaration
    is kept (with the withdrawal) for the LA's record; a recusal from the member's own
    school is computed, not declared, and cannot be withdrawn."""
    item = _locked_item(item)
    meeting = item.meeting
    reason = (reason or "").strip()
    member = _member_on(meeting, by)
    if member is None:
        raise PanelError("Only a member of this panel can withdraw a conflict on its items.")
    if meeting.status not in (MeetingStatus.SCHEDULED, MeetingStatus.OPEN):
        raise PanelError("The meeting is over: the conflict stays on its record.")
    if hasattr(item, "decision"):
        raise PanelError("This item has been decided: the conflict stays on its record.")
    if recusals_for([item], meeting.panel).from_school(item, member):
        raise PanelError(
            f"You are recused because you are from the requesting school "
            f"({item.request.school.name}): that cannot be withdrawn."
        )
    conflict = (
        ConflictDeclaration.objects.select_for_update()
        .filter(item=item, member=member, withdrawn_at__isnull=True)
        .first()
    )
    if conflict is None:
        raise PanelError("You have not declared a conflict on this item.")
    if not reason:
        raise PanelError(
            "Say why you are withdrawing the conflict: it is kept with the declaration "
            "for the LA's record."
        )
    conflict.withdrawn_at = at or timezone.now()
    conflict.withdrawal_reason = reason[:300]
    conflict.save(update_fields=["withdrawn_at", "withdrawal_reason"])
    if meeting.status == MeetingStatus.OPEN:
        # The chair may step back into this item (and an acting chair step down).
        settle_acting_chairs(meeting)
    return conflict
