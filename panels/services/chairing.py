"""Who chairs each item: an acting chair for an item the meeting's chair is recused from.

The chair is recused from their own school's request and from an item they declared a
conflict on. A voting member present and not recused then takes the chair for that
item: the panel's vice-chair if eligible (``settle_acting_chairs``, run whenever
attendance or a conflict changes), otherwise a member the chair names
(``name_acting_chair``). The eligibility rule is ``policy.acting_chair_refusal``; who
may decide an item is ``policy.can_decide_item``. The timeline says who chaired the
item when its decision is recorded (``note_acting_chair``).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from funding.services import record_note

from .. import policy
from ..models import AgendaItem, Attendance, ItemKind, Meeting, PanelMember
from ..recusal import Recusals
from ._common import PanelError


def _present_ids(meeting: Meeting) -> set[int]:
    return set(Attendance.objects.filter(meeting=meeting).values_list("member_id", flat=True))


def _reason(why: str, tail: str) -> str:
    return f"{why[0].upper()}{why[1:]}; {tail}."


VICE_CHAIR_TAKES = "the vice-chair takes the chair for this item"


def chair_recused_warning(why: str) -> str:
    """What the LA officer is told on scheduling an item the meeting's chair is recused
    from (``why`` from ``Recusals.chair_recusal``)."""
    return (
        f"{why[0].upper()}{why[1:]}, so is recused from this item: the vice-chair, or a "
        "voting member the chair names at the meeting, will chair it."
    )


def _eligible(
    member: PanelMember | None, item: AgendaItem, present: set[int], recusals: Recusals
) -> bool:
    return member is not None and (
        policy.acting_chair_refusal(member, item, present_ids=present, recusals=recusals) is None
    )


def settle_acting_chairs(meeting: Meeting) -> None:
    """Give each undecided item the chair is recused from its acting chair where the rule
    decides it: the vice-chair, if present and not recused, unless the chair has named
    someone still eligible. An acting chair no longer eligible (or needed) steps down.
    A constant number of queries, whatever the agenda."""
    items = list(
        meeting.items.filter(kind=ItemKind.DECISION, decision__isnull=True).select_related(
            "request", "request__school"
        )
    )
    if not items:
        return
    members = list(PanelMember.objects.filter(panel_id=meeting.panel_id).select_related("user"))
    by_id = {m.pk: m for m in members}
    recusals = Recusals(items, members)
    present = _present_ids(meeting)
    vice = by_id.get(meeting.panel.vice_chair_id)
    for item in items:
        item.meeting = meeting
        why = recusals.chair_recusal(item)
        current = by_id.get(item.acting_chair_id)
        if why is not None and _eligible(current, item, present, recusals):
            continue
        if why is not None and _eligible(vice, item, present, recusals):
            chosen, reason = vice, _reason(why, VICE_CHAIR_TAKES)
        else:
            chosen, reason = None, ""
        if (chosen.pk if chosen else None) != item.acting_chair_id:
            item.acting_chair, item.acting_chair_reason = chosen, reason
            item.save(update_fields=["acting_chair", "acting_chair_reason"])


@transaction.atomic
def name_acting_chair(item: AgendaItem, *, by: AbstractBaseUser, member: PanelMember) -> AgendaItem:
    """The chair (or an LA SEND officer) names who chairs an item the chair is recused
    from: a voting member present, not recused, not advisory. Refused with the reason,
    changing nothing."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("panel", "chair__user")
        .get(pk=item.meeting_id)
    )
    policy.require_name_acting_chair(by, meeting)
    item = (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("request", "request__school")
        .get(pk=item.pk)
    )
    item.meeting = meeting
    if item.kind != ItemKind.DECISION:
        raise PanelError("Only an item for decision has a chair of its own.")
    if hasattr(item, "decision"):
        raise PanelError("This item has been decided: who chaired it is on the record.")
    members = list(PanelMember.objects.filter(panel_id=meeting.panel_id).select_related("user"))
    recusals = Recusals([item], members)
    why = recusals.chair_recusal(item)
    if why is None:
        raise PanelError("The meeting's chair is not recused from this item, so chairs it.")
    problem = policy.acting_chair_refusal(
        member, item, present_ids=_present_ids(meeting), recusals=recusals
    )
    if problem:
        raise PanelError(problem)
    if member.pk == meeting.panel.vice_chair_id:
        tail = VICE_CHAIR_TAKES
    else:
        tail = f"{by.get_full_name() or by.get_username()} named {member.name} to chair this item"
    item.acting_chair, item.acting_chair_reason = member, _reason(why, tail)
    item.save(update_fields=["acting_chair", "acting_chair_reason"])
    return item


def note_acting_chair(item: AgendaItem, *, by: AbstractBaseUser) -> None:
    """On the request's timeline, with its decision: who chaired the item and why."""
    if item.acting_chair_id is None:
        return
    record_note(
        item.request,
        user=by,
        kind="acting_chair",
        message=f"{item.acting_chair.name} chaired this item at the meeting of "
        f"{item.meeting.date:%d %B %Y}. {item.acting_chair_reason}",
    )
