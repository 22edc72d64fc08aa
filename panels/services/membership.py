"""Panels, their members and the chairs' rota."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from clusters.models import Membership, Role
from portal import versions, wording
from portal.errors import ConflictError
from portal.roles import scope_for

from .. import policy, rota
from ..models import Meeting, MeetingStatus, MemberAbsence, MemberRole, Panel, PanelMember
from ._common import PanelError, _today


@transaction.atomic
def create_panel(
    *, by: AbstractBaseUser, cluster=None, district=None, name: str = "", **rule
) -> Panel:
    policy.require_manage_panels(by)
    where = cluster or district
    if where is None or (cluster and district):
        raise PanelError("A panel serves one cluster or one district.")
    return Panel.objects.create(
        cluster=cluster, district=district, name=name or f"{where.name} panel", **rule
    )


# What the panel's set-up form changes (the vice-chair and the members have their own).
PANEL_FIELDS = ("name", "quorum_voting", "quorum_headteachers", "quorum_needs_chair",
                "closing_days")  # fmt: skip
PANEL_LABELS = {"quorum_voting": "Voting members needed",
                "quorum_headteachers": "Headteachers needed",
                "quorum_needs_chair": "The chair must be present",
                "closing_days": "Days before a meeting that requests close",
                "vice_chair": "Vice-chair"}  # fmt: skip


def _lock_panel(panel: Panel, version: int | None, *, yours: dict[str, Any] | None = None) -> Panel:
    """The panel row, locked, its version checked (a stale edit is refused, naming what
    differs) and moved on for the caller's save (call inside a transaction)."""
    locked = Panel.objects.select_for_update().get(pk=panel.pk)
    versions.check(locked, version, yours=yours, labels=PANEL_LABELS, what="this panel")
    versions.advance(locked)
    return locked


@transaction.atomic
def update_panel(
    panel: Panel, *, by: AbstractBaseUser, version: int | None = None, **fields: Any
) -> Panel:
    """The LA SEND officer changes the panel's name, quorum rule or closing days.

    ``version``: the panel's version the change was based on (a stale one is refused,
    naming each field's two values, and nothing changes)."""
    policy.require_manage_panels(by)
    unknown = set(fields) - set(PANEL_FIELDS)
    if unknown:
        raise PanelError(f"These cannot be changed here: {', '.join(sorted(unknown))}.")
    locked = _lock_panel(panel, version, yours=fields)
    for name, value in fields.items():
        setattr(locked, name, value)
    if locked.quorum_headteachers > locked.quorum_voting:
        raise PanelError("The headteachers needed must be no more than the voting members needed.")
    try:
        locked.full_clean(exclude=["cluster", "district", "vice_chair"])
    except ValidationError as exc:
        raise PanelError(" ".join(exc.messages)) from None
    locked.save(update_fields=[*fields, "version"])
    return locked


class RotaChangesUnconfirmed(ConflictError):
    """A change of membership would change the chair of meetings already published: the
    change is undone (its transaction), listed, and asked to be confirmed."""

    def __init__(self, changes: list, what: str):
        listed = "; ".join(
            f"{c.meeting.date:%-d %B %Y}: {c.was.name if c.was else 'nobody'} → "
            f"{c.becomes.name if c.becomes else 'nobody'}"
            for c in changes
        )
        super().__init__(
            f"{what} changes the chair of {wording.counted(len(changes), 'meeting')} already "
            f"published ({listed}). Confirm the change to go ahead."
        )
        self.changes, self.what = changes, what


def _replan(panel: Panel, *, confirmed: bool, what: str) -> int:
    """Re-balance the rota after a change of membership, in the caller's transaction; if
    that changes the chair of a published meeting, only once the officer has confirmed."""
    _, changes = rota_plan(panel, [], today=_today(None))
    if changes and not confirmed:
        raise RotaChangesUnconfirmed(changes, what)
    return rebalance_rota(panel)


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
    version: int | None = None,
    confirm_chair_changes: bool = False,
) -> PanelMember:
    """Add a member; a head or SENCO rep sits for their school, which drives recusal.

    ``version``: the panel's version the page was read at (a stale one is refused).
    ``confirm_chair_changes``: the officer has seen which published meetings' chairs the
    re-balanced rota changes (without it, such a change is refused and nothing saved)."""
    policy.require_manage_panels(by)
    locked = _lock_panel(panel, version)
    if school is None and role in (MemberRole.HEADTEACHER, MemberRole.SENCO_REP):
        wanted = Role.HEADTEACHER if role == MemberRole.HEADTEACHER else Role.SENCO
        membership = (
            Membership.objects.current()
            .filter(user=user, role=wanted)
            .select_related("school")
            .first()
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
    locked.save(update_fields=["version"])
    _replan(panel, confirmed=confirm_chair_changes, what=f"Adding {member.name} to the panel")
    return member


@transaction.atomic
def end_membership(
    member: PanelMember,
    *,
    by: AbstractBaseUser,
    end_date: date,
    version: int | None = None,
    confirm_chair_changes: bool = False,
) -> PanelMember:
    """``version`` and ``confirm_chair_changes``: as for :func:`add_member`."""
    policy.require_manage_panels(by)
    locked = _lock_panel(member.panel, version)
    if end_date < member.start_date:
        raise PanelError("The end date must be on or after the start date.")
    member.end_date = end_date
    member.save(update_fields=["end_date"])
    locked.save(update_fields=["version"])
    _replan(
        member.panel,
        confirmed=confirm_chair_changes,
        what=f"Ending {member.name}'s membership on {end_date:%-d %B %Y}",
    )
    return member


@transaction.atomic
def record_absence(
    member: PanelMember,
    *,
    by: AbstractBaseUser,
    start_date: date,
    end_date: date,
    reason: str = "",
    version: int | None = None,
    confirm_chair_changes: bool = False,
) -> MemberAbsence:
    """``version`` and ``confirm_chair_changes``: as for :func:`add_member`."""
    policy.require_manage_panels(by)
    locked = _lock_panel(member.panel, version)
    if end_date < start_date:
        raise PanelError("The end date must be on or after the start date.")
    absence = MemberAbsence.objects.create(
        member=member, start_date=start_date, end_date=end_date, reason=reason
    )
    locked.save(update_fields=["version"])
    _replan(
        member.panel,
        confirmed=confirm_chair_changes,
        what=f"{member.name} away from {start_date:%-d %B} to {end_date:%-d %B %Y}",
    )
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


def _fixed(meetings: list[Meeting], today: date) -> dict[int, int | None]:
    # Past and started meetings and LA swaps keep their chair (and count towards the rota).
    return {
        i: m.chair_id
        for i, m in enumerate(meetings)
        if m.pk is not None
        and (m.date < today or m.status != MeetingStatus.SCHEDULED or m.is_swapped)
    }


def rota_plan(panel: Panel, new: list[Meeting], *, today: date) -> tuple[dict, list]:
    """The rota with the unsaved meetings ``new`` added, written nowhere: the chair each new
    one would get (by ``id()``), and the published meetings whose chair would change
    (``calendar.ChairChange``), for the preview that asks to confirm them."""
    from ..calendar import ChairChange

    meetings = sorted(
        [*panel.meetings.exclude(status=MeetingStatus.CANCELLED), *new],
        key=lambda m: (m.date, m.pk or 0),
    )
    fixed = _fixed(meetings, today)
    plan = rota.assign_chairs([m.date for m in meetings], _candidates(panel), fixed)
    members = {m.pk: m for m in PanelMember.objects.filter(panel=panel).select_related("user")}
    chairs, changes = {}, []
    for i, (meeting, chair_id) in enumerate(zip(meetings, plan, strict=True)):
        if meeting.pk is None:
            chairs[id(meeting)] = members.get(chair_id)
        elif i not in fixed and meeting.chair_id != chair_id:
            changes.append(
                ChairChange(meeting, members.get(meeting.chair_id), members.get(chair_id))
            )
    return chairs, changes


def rebalance_rota(panel: Panel, *, today: date | None = None) -> int:
    """Re-plan the chairs of future, un-swapped meetings; returns how many changed.

    Past and started meetings and LA swaps are kept (and counted), so a change of
    membership re-balances only what is still to come.
    """
    today = _today(today)
    meetings = list(panel.meetings.exclude(status=MeetingStatus.CANCELLED).order_by("date", "pk"))
    fixed = _fixed(meetings, today)
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
def swap_chair(
    meeting: Meeting, *, by: AbstractBaseUser, member: PanelMember, reason: str
) -> Meeting:
    """An LA officer gives one meeting another chair, with a reason."""
    policy.require_manage_panels(by)
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


@transaction.atomic
def set_vice_chair(
    panel: Panel,
    *,
    by: AbstractBaseUser,
    member: PanelMember | None,
    version: int | None = None,
) -> Panel:
    """The LA SEND officer names the panel's vice-chair (None: no vice-chair). The
    vice-chair takes the chair for an item the meeting's chair is recused from.
    ``version``: the panel's version the change was based on (a stale one is refused)."""
    policy.require_manage_panels(by)
    panel = _lock_panel(panel, version, yours={"vice_chair": member})
    if member is not None:
        if member.panel_id != panel.pk or not member.serves_on(_today(None)):
            raise PanelError(f"{member.name} is not a current member of this panel.")
        if not member.voting:
            raise PanelError(f"{member.name} is an advisory member: the vice-chair votes.")
    panel.vice_chair = member
    panel.save(update_fields=["vice_chair", "version"])
    return panel
