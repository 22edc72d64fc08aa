"""Pupils with keys and decisions, for the escalation import and the impact report."""

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from clusters.models import Role
from panels.models import Decision
from portal import pupil_key
from tests.factories import make_user
from tests.reports.conftest import make_request

LONDON = ZoneInfo("Europe/London")
SECRET = "test-pupil-key-secret"


def upn(n: int) -> str:
    """A valid UPN for pupil ``n`` (LA 931, the check letter computed)."""
    rest = f"931{n:08d}0"
    return pupil_key.check_letter(rest) + rest


def key(n: int) -> str:
    return pupil_key.key_for(upn(n), SECRET)


def decide(fr, outcome: str, on: date, *, officer=None, amount=None) -> Decision:
    officer = officer or make_user(Role.LA_SEND_OFFICER)
    decision = Decision.objects.create(
        request=fr,
        outcome=outcome,
        amount=None if amount is None else Decimal(amount),
        review_date=on.replace(year=on.year + 1) if amount is not None else None,
        rationale="Decided by the panel.",
        chair=officer,
        by_chairs_action=True,
        la_officer=officer,
    )
    Decision.objects.filter(pk=decision.pk).update(
        decided_at=datetime.combine(on, time(12), tzinfo=LONDON)
    )
    return decision


def pupil(school, n: int, state: str, on: date, awarded=None, submitted=None, **fields):
    """A request for pupil ``n`` at ``school``, decided on ``on``."""
    fr = make_request(school, state, awarded, **({"submitted": submitted} if submitted else {}))
    for name, value in {"pupil_key": key(n), **fields}.items():
        setattr(fr, name, value)
    fr.save()
    outcome = (
        "declined"
        if state == "declined"
        else ("partially_approved" if state == "partially_approved" else "approved")
    )
    decide(fr, outcome, on, amount=awarded)
    return fr
