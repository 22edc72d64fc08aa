"""Who may do what on panels, meetings, decisions and appeals: the panels app's one policy.

Plain functions ``can_<action>(user, obj=None) -> bool``; services refuse through
the ``require_<action>`` beside them (:class:`panels.services.PanelError`, with the
message the user is shown). Pages ask through ``{% can "panels.<action>" user obj %}``.
"""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.utils import timezone

from clusters.models import Role
from funding.models import FundingRequest
from funding.policy import is_requesting_school
from funding.workflow import RUNNING, State
from portal.roles import Scope, scope_for

from .models import (
    AgendaItem,
    Appeal,
    ChairsActionProposal,
    ItemKind,
    Meeting,
    MeetingStatus,
    Panel,
    PanelMember,
    ProposalStatus,
)
from .recusal import Recusals

User = AbstractBaseUser | AnonymousUser


def _refuse(message: str):
    from .services import PanelError

    return PanelError(message)


def can_see_panels(user: User) -> bool:
    scope = scope_for(user)
    return scope.is_la or scope.is_headteacher or Role.PANEL_MEMBER in scope.roles


def can_manage_panels(user: User) -> bool:
    """LA SEND officers run the panels: members, the year's meetings, agendas."""
    return scope_for(user).is_send_officer


def require_manage_panels(user: User) -> None:
    if not can_manage_panels(user):
        raise _refuse("Only an LA SEND officer can do this.")


def reads_conflict_reasons(user: User) -> bool:
    """A declared conflict's reason is the LA's record: LA SEND officers read it; other
    members see that a conflict was declared (and their own reason)."""
    return can_manage_panels(user)


def can_see_participation(user: User, panel: Panel) -> bool:
    """Which schools take part is a cluster panel's report, for LA SEND officers."""
    return can_manage_panels(user) and panel.cluster_id is not None


def can_chair(user: User, meeting: Meeting) -> bool:
    """The user is the meeting's chair."""
    return meeting.chair_id is not None and meeting.chair.user_id == user.pk


def runs_meeting(user: User, meeting: Meeting) -> bool:
    """The chair, or an LA SEND officer, runs a meeting: opens, takes attendance, closes."""
    return can_manage_panels(user) or can_chair(user, meeting)


def can_open_meeting(user: User, meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.SCHEDULED and runs_meeting(user, meeting)


def can_record_attendance(user: User, meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.OPEN and runs_meeting(user, meeting)


def can_close_meeting(user: User, meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.OPEN and runs_meeting(user, meeting)


def can_cancel_or_move_meeting(user: User, meeting: Meeting) -> bool:
    """The LA SEND officer cancels or moves a meeting not yet started."""
    return meeting.status == MeetingStatus.SCHEDULED and can_manage_panels(user)


def can_swap_chair(user: User, meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.SCHEDULED and can_manage_panels(user)


def can_record_decision(user: User, meeting: Meeting) -> bool:
    """The chair records decisions at an open meeting."""
    return meeting.status == MeetingStatus.OPEN and can_chair(user, meeting)


# --- Who chairs an item -----------------------------------------------------------
# The meeting's chair, unless recused from it (their school's request, or a conflict
# they declared): then a voting member present and not recused takes the chair for
# that item — the panel's vice-chair first, else a member the chair names.


def can_decide_item(user: User, item: AgendaItem) -> bool:
    """The member chairing the item decides it at an open meeting: its acting chair if it
    has one (never the recused meeting chair), else the meeting's chair."""
    meeting = item.meeting
    if meeting.status != MeetingStatus.OPEN or item.kind != ItemKind.DECISION:
        return False
    if item.acting_chair_id is not None:
        return item.acting_chair.user_id == user.pk
    return can_chair(user, meeting)


def require_decide_item(user: User, item: AgendaItem) -> None:
    if can_decide_item(user, item):
        return
    if item.acting_chair_id is not None and can_chair(user, item.meeting):
        raise _refuse(
            f"{item.acting_chair.name} is chairing this item: only they record its decision."
        )
    raise _refuse("Only the member chairing this item records its decision.")


def can_name_acting_chair(user: User, meeting: Meeting) -> bool:
    """Whoever runs the open meeting (the chair, recused or not, or an LA SEND officer)
    names the acting chair for an item the chair is recused from."""
    return meeting.status == MeetingStatus.OPEN and runs_meeting(user, meeting)


def require_name_acting_chair(user: User, meeting: Meeting) -> None:
    if meeting.status != MeetingStatus.OPEN:
        raise _refuse("An acting chair is named at the meeting: open it first.")
    if not runs_meeting(user, meeting):
        raise _refuse("Only the meeting's chair (or an LA SEND officer) names an acting chair.")


def acting_chair_refusal(
    member: PanelMember, item: AgendaItem, *, present_ids: set[int], recusals: Recusals
) -> str | None:
    """Why ``member`` may not chair ``item`` in place of its recused chair (None: they may)."""
    meeting = item.meeting
    if member.panel_id != meeting.panel_id or not member.serves_on(meeting.date):
        return f"{member.name} is not a member of this panel on the day of the meeting."
    if member.pk == meeting.chair_id:
        return (
            f"{member.name} chairs the meeting and is recused from this item: name another member."
        )
    if not member.voting:
        return f"{member.name} is an advisory member: only a voting member can chair an item."
    if member.pk not in present_ids:
        return f"{member.name} is not recorded as present at this meeting."
    if recusals.from_school(item, member):
        return f"{member.name} is from the requesting school, so is recused from this item."
    if recusals.reason(item, member):
        return f"{member.name} has declared a conflict on this item, so is recused from it."
    return None


# --- Independent moderation --------------------------------------------------------
# A member records their own view before seeing the others' named scores; the item's
# chair may show the panel every view at the meeting.


def sees_views(
    scope: Scope,
    member: PanelMember | None,
    *,
    recused: bool,
    recorded_own: bool,
    revealed: bool,
) -> bool:
    """The rule for the other members' views of an item (named scores and their spread): a
    member once they have recorded their own view, or once the chair has revealed them; an
    LA SEND officer who does not sit on the panel (they do not moderate); never a member
    recused from the item."""
    if recused:
        return False
    if member is None:
        return scope.is_send_officer
    return recorded_own or revealed


def item_chair_user_id(item: AgendaItem) -> int | None:
    """The user chairing the item: its acting chair, else the meeting's chair."""
    if item.acting_chair_id is not None:
        return item.acting_chair.user_id
    meeting = item.meeting
    return meeting.chair.user_id if meeting.chair_id is not None else None


def sees_spread_totals(user: User, item: AgendaItem) -> bool:
    """The item's chair (and an LA SEND officer) sees each criterion's total and mean
    beside the spread, to sum up the panel's view."""
    return item_chair_user_id(item) == user.pk or can_manage_panels(user)


def reveal_refusal(user: User, item: AgendaItem) -> str | None:
    """Why ``user`` may not reveal the members' views of ``item`` now (None: they may)."""
    if item.kind != ItemKind.DECISION:
        return "Only an item for decision has members' views to reveal."
    if item.meeting.status != MeetingStatus.OPEN:
        return "The views are revealed at the meeting: open it first."
    if item_chair_user_id(item) != user.pk:
        return "Only the member chairing this item reveals the members' views."
    scope = scope_for(user)
    members = list(PanelMember.objects.filter(panel_id=item.meeting.panel_id, user_id=user.pk))
    if Recusals([item], members).user_recused(item, user.pk, scope.school_ids):
        return "You are recused from this item: name a voting member present to chair it."
    return None


def can_reveal_spread(user: User, item: AgendaItem) -> bool:
    return user.is_authenticated and reveal_refusal(user, item) is None


def require_reveal_spread(user: User, item: AgendaItem) -> None:
    problem = reveal_refusal(user, item)
    if problem:
        raise _refuse(problem)


def can_set_vice_chair(user: User, panel: Panel) -> bool:
    """The LA SEND officer sets the vice-chair where the panel's members are managed."""
    return can_manage_panels(user)


# --- Chair's action: two people ---------------------------------------------------
# The rota's chair proposes the decision on an urgent request; the LA SEND officer they
# name confirms (or refuses) it in their own session. Nobody answers for someone else.


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def answer_refusal(user: User, proposal: ChairsActionProposal) -> tuple[str, int] | None:
    """Why ``user`` may not confirm or refuse ``proposal`` (None: they may), with the
    status the API answers: 403 to anyone but the officer the chair named."""
    if proposal.officer_id != user.pk:
        return (
            f"Only {_name(proposal.officer)}, the LA SEND officer {_name(proposal.proposed_by)} "
            "named, can confirm or refuse this chair's action: nobody can agree it for them.",
            403,
        )
    if proposal.status != ProposalStatus.AWAITING:
        return (f"This chair's action is already {proposal.get_status_display().lower()}.", 409)
    if not can_manage_panels(user):
        return ("Only an LA SEND officer can agree a chair's action.", 403)
    return None


def withdrawal_refusal(user: User, proposal: ChairsActionProposal) -> str | None:
    """Why ``user`` may not withdraw ``proposal`` (None: they may): only the chair who
    proposed it, while it waits for the officer."""
    if proposal.proposed_by_id != user.pk:
        return "Only the chair who proposed this chair's action can withdraw it."
    if proposal.status != ProposalStatus.AWAITING:
        return f"This chair's action is already {proposal.get_status_display().lower()}."
    return None


def can_withdraw_chairs_action(user: User, proposal: ChairsActionProposal) -> bool:
    return user.is_authenticated and withdrawal_refusal(user, proposal) is None


def can_answer_chairs_action(user: User, proposal: ChairsActionProposal) -> bool:
    return user.is_authenticated and answer_refusal(user, proposal) is None


def require_answer_chairs_action(user: User, proposal: ChairsActionProposal) -> None:
    problem = answer_refusal(user, proposal)
    if problem:
        from .services import PanelError

        raise PanelError(problem[0], status=problem[1])


def can_ratify(user: User, meeting: Meeting) -> bool:
    """The chair ratifies chair's actions at an open meeting."""
    return meeting.status == MeetingStatus.OPEN and can_chair(user, meeting)


def can_report_outcomes(user: User, fr: FundingRequest) -> bool:
    """The requesting school reports the outcomes of funding that is running."""
    return fr.state in RUNNING and is_requesting_school(user, fr)


def appeal_refusal(fr: FundingRequest) -> str | None:
    """Why no appeal may be recorded on this request now (None: one may)."""
    if fr.state != State.DECLINED or not fr.reconsideration_used:
        return "An appeal is recorded for a request declined after its reconsideration."
    if Appeal.objects.filter(request_id=fr.pk).exists():
        return "An appeal has already been heard on this request: the appeal route is closed."
    return None


def can_record_appeal(user: User, fr: FundingRequest) -> bool:
    """An LA SEND officer records the one appeal on a request declined after reconsideration."""
    return can_manage_panels(user) and appeal_refusal(fr) is None


def require_record_appeal(user: User, fr: FundingRequest) -> None:
    require_manage_panels(user)
    problem = appeal_refusal(fr)
    if problem:
        raise _refuse(problem)


# --- Panel papers -----------------------------------------------------------------


def reads_papers(scope: Scope, member: PanelMember | None, recused: bool) -> bool:
    """The rule for an item's full papers (request, documents, triage note, the school's
    answers): an LA SEND officer, or a voting or advisory member serving on the meeting's
    date, unless recused, in which case they see the item's title and nothing else."""
    if recused:
        return False
    return member is not None or (scope.is_la and scope.sees_pupil_detail)


def _serving_member(user: User, meeting: Meeting) -> PanelMember | None:
    return next(
        (
            m
            for m in PanelMember.objects.filter(panel_id=meeting.panel_id, user_id=user.pk)
            if m.serves_on(meeting.date)
        ),
        None,
    )


def can_read_papers(user: User, item: AgendaItem) -> bool:
    """One item's papers (3 queries; the meeting page applies ``reads_papers`` in bulk)."""
    if not user.is_authenticated:
        return False
    scope = scope_for(user)
    members = list(PanelMember.objects.filter(panel_id=item.meeting.panel_id, user_id=user.pk))
    member = next((m for m in members if m.serves_on(item.meeting.date)), None)
    recused = Recusals([item], members).user_recused(item, user.pk, scope.school_ids)
    return reads_papers(scope, member, recused)


def can_read_request_papers(user: User, fr: FundingRequest) -> bool:
    """The request is on an agenda of a panel the user sits on and they may read its papers
    there: what opens its supporting documents to panel members (``funding.policy``)."""
    if not user.is_authenticated:
        return False
    items = (
        AgendaItem.objects.filter(request_id=fr.pk, meeting__panel__members__user_id=user.pk)
        .exclude(meeting__status=MeetingStatus.CANCELLED)
        .select_related("meeting", "request__school")
        .distinct()
    )
    return any(can_read_papers(user, item) for item in items)


def pack_refusal(meeting: Meeting, *, today: date | None = None) -> str | None:
    """Why the meeting's agenda pack is not ready (None: it is). The agenda is settled once
    the closing date has passed, so the pack is made only then."""
    if meeting.status == MeetingStatus.CANCELLED:
        return "The meeting is cancelled: it has no agenda pack."
    if (today or timezone.localdate()) <= meeting.closing_date:
        return (
            f"The agenda pack is ready once the closing date "
            f"({meeting.closing_date:%-d %B %Y}) has passed."
        )
    return None


def can_download_pack(user: User, meeting: Meeting) -> bool:
    """Members serving on the meeting's date and LA SEND officers, once the closing date has
    passed (a member's pack leaves out the papers of the items they are recused from)."""
    if not user.is_authenticated or pack_refusal(meeting) is not None:
        return False
    scope = scope_for(user)
    return (scope.is_la and scope.sees_pupil_detail) or _serving_member(user, meeting) is not None


def require_download_pack(user: User, meeting: Meeting) -> None:
    problem = pack_refusal(meeting)
    if problem:
        raise _refuse(problem)
    if not can_download_pack(user, meeting):
        raise _refuse("Only the panel's members and LA SEND officers have the agenda pack.")


# --- Letters and follow-ups -------------------------------------------------------


def can_edit_letter_templates(user: User) -> bool:
    """The LA keeps the letters' wording: its SEND officers edit it."""
    return can_manage_panels(user)


def can_add_follow_up(user: User, decision) -> bool:
    """Whoever recorded the decision (its chair), or an LA SEND officer."""
    return user.is_authenticated and (decision.chair_id == user.pk or can_manage_panels(user))


def can_read_letter(user: User, letter) -> bool:
    """A decision letter: its school's staff, the meeting's chair, LA SEND officers (the
    rule ``panels.selectors.visible_letters`` applies in SQL)."""
    scope = scope_for(user)
    if scope.user_id is None:
        return False
    if scope.is_send_officer or letter.school_id in scope.school_ids:
        return True
    chair = letter.run.meeting.chair
    return chair is not None and chair.user_id == user.pk


def can_see_meeting_letters(user: User, meeting: Meeting) -> bool:
    """Whoever may read at least one of the meeting's letters (the minutes link to them)."""
    from .models import Letter

    scope = scope_for(user)
    if scope.user_id is None or meeting.status != MeetingStatus.CLOSED:
        return False
    if scope.is_send_officer or can_chair(user, meeting):
        return True
    return Letter.objects.filter(run__meeting=meeting, school_id__in=scope.school_ids).exists()
