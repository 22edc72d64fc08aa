"""Who is recused from which agenda item, and whether an item or meeting is quorate.

Computed, not stored, for the automatic case (a member from the requesting
school), so a membership change can never leave a stale "not recused" row
behind; declared conflicts are rows. The loader works for a whole meeting in a
constant number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from clusters.models import Membership
from portal import wording

from .models import AgendaItem, ConflictDeclaration, MemberRole, Panel, PanelMember


@dataclass
class Quorum:
    quorate: bool
    voting: int
    headteachers: int
    chair_present: bool
    problems: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.quorate:
            return (
                f"Quorate: {wording.counted(self.voting, 'voting member')} present, "
                f"{self.headteachers} of them {wording.noun(self.headteachers, 'headteacher')}."
            )
        return "Not quorate: " + " ".join(self.problems)


def quorum(
    panel: Panel,
    present: Iterable[PanelMember],
    chair_id: int | None,
    excluded_ids: Iterable[int] = (),
) -> Quorum:
    """Apply the panel's rule to the members present, less any recused (``excluded_ids``)."""
    excluded = set(excluded_ids)
    counted = [m for m in present if m.voting and m.pk not in excluded]
    voting = len(counted)
    heads = sum(1 for m in counted if m.role == MemberRole.HEADTEACHER)
    chair_present = chair_id is not None and any(m.pk == chair_id for m in counted)
    problems = []
    if voting < panel.quorum_voting:
        problems.append(
            f"{wording.counted(voting, 'voting member')} present, {panel.quorum_voting} needed."
        )
    if heads < panel.quorum_headteachers:
        problems.append(
            f"{wording.counted(heads, 'headteacher')} present, {panel.quorum_headteachers} needed."
        )
    if panel.quorum_needs_chair and not chair_present:
        problems.append("The chair is not present (or is recused).")
    return Quorum(not problems, voting, heads, chair_present, problems)


class Recusals:
    """Recusals for a set of items among a set of members (3 queries, whatever the sizes)."""

    def __init__(self, items: list[AgendaItem], members: list[PanelMember]):
        self.members = {m.pk: m for m in members}
        user_ids = {m.user_id for m in members}
        self.user_schools: dict[int, set[int]] = defaultdict(set)
        # Every membership, ended ones too (not ``current()``): having worked at the
        # requesting school is reason enough to stand aside; recusal only narrows.
        for user_id, school_id in Membership.objects.filter(
            user_id__in=user_ids, school__isnull=False
        ).values_list("user_id", "school_id"):
            self.user_schools[user_id].add(school_id)
        self.declared: dict[tuple[int, int], str] = {
            (c.item_id, c.member_id): c.reason
            for c in ConflictDeclaration.objects.filter(
                item__in=[i.pk for i in items], withdrawn_at__isnull=True
            )
        }
        self.items = {i.pk: i for i in items}

    def from_school(self, item: AgendaItem, member: PanelMember) -> bool:
        """The member sits for, or works at, the requesting school."""
        school_id = item.request.school_id
        return member.school_id == school_id or school_id in self.user_schools[member.user_id]

    def reason(self, item: AgendaItem, member: PanelMember) -> str | None:
        """Why ``member`` is recused from ``item``, or None."""
        if self.from_school(item, member):
            return f"From the requesting school ({item.request.school.name})"
        return self.declared.get((item.pk, member.pk))

    def chair_recusal(self, item: AgendaItem) -> str | None:
        """Why the meeting's chair is recused from ``item``, in words fit for the minutes
        (a declared conflict's own reason stays in the LA's record), or None."""
        chair = self.members.get(item.meeting.chair_id)
        if chair is None:
            return None
        if self.from_school(item, chair):
            return f"the chair, {chair.name}, is from the requesting school"
        if (item.pk, chair.pk) in self.declared:
            return f"the chair, {chair.name}, declared a conflict of interest"
        return None

    def for_item(self, item: AgendaItem) -> list[tuple[PanelMember, str]]:
        found = []
        for member in self.members.values():
            why = self.reason(item, member)
            if why:
                found.append((member, why))
        return found

    def published_for_item(self, item: AgendaItem) -> list[tuple[PanelMember, str]]:
        """``for_item`` as the published minutes say it: that a member declared a conflict,
        never its reason (that stays in the LA's record)."""
        return self.shown_for_item(item, full=False)

    def shown_for_item(
        self, item: AgendaItem, *, full: bool, own_ids: Iterable[int] = ()
    ) -> list[tuple[PanelMember, str]]:
        """``for_item`` as one reader may see it: every reason if ``full`` (the LA), else
        the reasons of the reader's own seats (``own_ids``) and, for everyone else's
        declared conflict, only that it was declared."""
        if full:
            return self.for_item(item)
        own = set(own_ids)
        return [
            (
                m,
                why
                if m.pk in own or self.from_school(item, m)
                else "declared a conflict of interest",
            )
            for m, why in self.for_item(item)
        ]

    def recused_ids(self, item: AgendaItem) -> set[int]:
        return {m.pk for m, _ in self.for_item(item)}

    def user_recused(self, item: AgendaItem, user_id: int, school_ids: Iterable[int]) -> bool:
        """A user is recused if any of their memberships on the panel is, or their school asks."""
        if item.request.school_id in set(school_ids):
            return True
        return any(self.reason(item, m) for m in self.members.values() if m.user_id == user_id)


def recusals_for(items: list[AgendaItem], panel: Panel) -> Recusals:
    members = list(PanelMember.objects.filter(panel=panel).select_related("user"))
    return Recusals(items, members)
