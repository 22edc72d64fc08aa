"""Who may do what with funding requests and streams: the funding app's one policy.

Plain functions ``can_<action>(user, obj=None) -> bool``; services refuse through
the ``require_<action>`` beside them (the app's :class:`EditError`). Pages ask
through ``{% can "funding.<action>" user obj %}`` and
``funding.services.available_transitions``. State sets come from
:mod:`funding.workflow` only.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from clusters.models import School
from portal.roles import scope_for

from .models import FundingRequest
from .workflow import CONTINUABLE, EDITABLE, State

User = AbstractBaseUser | AnonymousUser


def is_requesting_school(user: User, fr: FundingRequest) -> bool:
    """A SENCO or headteacher of the school that made the request."""
    return fr.school_id in scope_for(user).school_ids


def acts_as_send_officer(user: User) -> bool:
    """An LA SEND officer takes the LA's transitions on any request (triage, return, …)."""
    return scope_for(user).is_send_officer


def can_see_school_requests(user: User) -> bool:
    return scope_for(user).is_school_staff


def can_start_request(user: User) -> bool:
    """SENCOs and headteachers start their school's requests."""
    return scope_for(user).is_school_staff


def can_start_request_for(user: User, school: School) -> bool:
    """A SENCO or headteacher starts requests for their own school only."""
    return school.pk in scope_for(user).school_ids


def can_see_all_requests(user: User) -> bool:
    """LA officers see every school's requests across the county."""
    return scope_for(user).is_la


def can_triage(user: User) -> bool:
    return acts_as_send_officer(user)


def can_manage_streams(user: User) -> bool:
    return acts_as_send_officer(user)


def require_manage_streams(user: User) -> None:
    if not can_manage_streams(user):
        from .services import EditError

        raise EditError("Only LA SEND officers manage funding streams.")


def can_manage_need_bands(user: User) -> bool:
    """The LA SEND officer keeps the banded descriptors of need (schools and panels read them)."""
    return acts_as_send_officer(user)


def require_manage_need_bands(user: User) -> None:
    if not can_manage_need_bands(user):
        from .services import EditError

        raise EditError("Only LA SEND officers change the need bands.")


def can_manage_rate_card(user: User) -> bool:
    """LA officers (SEND and finance) keep the LA's standard hourly rates."""
    return scope_for(user).is_la


def require_manage_rate_card(user: User) -> None:
    if not can_manage_rate_card(user):
        from .services import EditError

        raise EditError("Only LA officers change the rate card.")


def can_edit(user: User, fr: FundingRequest) -> bool:
    """The requesting school changes its request while it is a draft or returned."""
    return fr.state in EDITABLE and is_requesting_school(user, fr)


def can_delete_draft(user: User, fr: FundingRequest) -> bool:
    """The requesting school deletes a draft nobody else has seen."""
    return fr.state == State.DRAFT and is_requesting_school(user, fr)


def can_see_notices(user: User) -> bool:
    """Intention notices name a pupil: the schools' own staff and LA SEND officers plan
    with them (finance officers, who see totals only, do not)."""
    scope = scope_for(user)
    return scope.is_school_staff or scope.is_send_officer


def can_give_notice(user: User) -> bool:
    """SENCOs and headteachers tell the LA a request is coming."""
    return scope_for(user).is_school_staff


def can_start_from_notice(user: User, notice) -> bool:
    """The school that gave the notice turns it into its draft, once (again if it deleted
    that draft)."""
    return not notice.started and notice.school_id in scope_for(user).school_ids


def can_start_continuation(user: User, fr: FundingRequest) -> bool:
    """The requesting school renews a request that is funded and running, or closed."""
    return fr.state in CONTINUABLE and is_requesting_school(user, fr)


def can_answer_return(user: User, fr: FundingRequest) -> bool:
    """The LA returned the request: the school answers its questions and resubmits."""
    return fr.state == State.RETURNED and is_requesting_school(user, fr)


def can_be_told_reconsideration_used(user: User, fr: FundingRequest) -> bool:
    """A school whose request was declined again after its one reconsideration."""
    return fr.state == State.DECLINED and fr.reconsideration_used and is_requesting_school(user, fr)


# Other apps that give a user a reason to read a request's papers beyond their scope
# register it here (panels: a member of the panel hearing it, not recused from the item).
_PAPERS_READERS: list[Callable[[User, FundingRequest], bool]] = []


def register_papers_reader(reader: Callable[[User, FundingRequest], bool]) -> None:
    if reader not in _PAPERS_READERS:
        _PAPERS_READERS.append(reader)


def can_read_papers_beyond_scope(user: User, fr: FundingRequest) -> bool:
    """The request's supporting documents are open to the user for another app's reason."""
    return any(reader(user, fr) for reader in _PAPERS_READERS)
