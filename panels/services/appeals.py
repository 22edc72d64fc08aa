"""The LA's appeal route, once the single reconsideration is used."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from funding.models import FundingRequest
from funding.services import TransitionContext, TransitionError, apply_transition, record_note
from portal.notifications import announce

from .. import policy
from ..models import Appeal, AppealOutcome
from ..selectors import next_open_meeting, panel_for_request
from ._common import PanelError
from .meetings import schedule_request


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
    policy.require_manage_panels(by)
    if outcome not in AppealOutcome.values:
        raise PanelError("Choose whether the appeal is upheld or dismissed.")
    notes = (notes or "").strip()
    if not notes:
        raise PanelError("Record the appeal's reasons.")
    # The row lock makes two officers recording at once queue: the second is refused.
    locked = FundingRequest.objects.select_for_update(of=("self",), no_key=True).get(
        pk=funding_request.pk
    )
    problem = policy.appeal_refusal(locked)
    if problem:
        raise PanelError(problem)
    meeting = None
    if outcome == AppealOutcome.UPHELD:
        try:
            apply_transition(locked, "appeal_upheld", user=by, message=f"Appeal upheld: {notes}")
        except TransitionError as exc:
            raise PanelError(exc.message, status=exc.status) from exc
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
    announce("appeal_heard", fr=locked, appeal=appeal, meeting=meeting)
    return appeal


def guard_appeal_open(fr: FundingRequest, ctx: TransitionContext) -> str | None:
    return policy.appeal_refusal(fr)
