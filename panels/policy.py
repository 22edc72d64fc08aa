"""Who may do what on panels, meetings, decisions and appeals: the panels app's one policy.

Plain functions ``can_<action>(user, obj=None) -> bool``; services refuse through
the ``require_<action>`` beside them (:class:`panels.services.PanelError`, with the
message the user is shown). Pages ask through ``{% can "panels.<action>" user obj %}``.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from clusters.models import Role
from funding.models import FundingRequest
from funding.policy import is_requesting_school
from funding.workflow import RUNNING, State
from portal.roles import scope_for

from .models import Appeal, Meeting, MeetingStatus, Panel

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


def can_swap_chair(user: User, meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.SCHEDULED and can_manage_panels(user)


def can_record_decision(user: User, meeting: Meeting) -> bool:
    """The chair records decisions at an open meeting."""
    return meeting.status == MeetingStatus.OPEN and can_chair(user, meeting)


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
