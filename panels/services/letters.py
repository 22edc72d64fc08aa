"""Decision letters: the LA's templates, and a meeting's letters, produced once.

The letters are produced in the transaction that closes the meeting (``close_meeting``
calls :func:`produce_letters`), not by the worker: they are rows of text (the PDF is
rendered when someone opens it), so producing them costs milliseconds, and done there
the letters exist exactly when the minutes are published, never a meeting closed without
them. The school hears of them once the transaction commits. ``LetterRun``'s unique
meeting makes a second run (closing twice, a re-run) a no-op that sends nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from funding.services import record_note
from funding.workflow import State
from portal.notifications import announce

from .. import policy
from ..letters import default_template, facts_for, fill, template_problems
from ..models import (
    Appeal,
    DecisionAction,
    ItemKind,
    Letter,
    LetterRun,
    LetterTemplate,
    Meeting,
    MeetingStatus,
    Outcome,
)
from ._common import PanelError

# What a letter says of an item nobody decided (the portal deferred it at closing).
NOT_REACHED = "The panel did not reach this request at the meeting."


class LetterTemplateError(PanelError):
    """A template refused, with its problems by field (for the form's error summary)."""

    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__(" ".join(m for ms in problems.values() for m in ms))


@transaction.atomic
def save_letter_template(
    outcome: str, *, by: AbstractBaseUser, subject: str, body: str
) -> LetterTemplate:
    """An LA SEND officer rewords the letter for one outcome: only the listed placeholders,
    and the ones the outcome's letter must carry (its rationale, its appeal route, …)."""
    policy.require_manage_panels(by)
    if outcome not in Outcome.values:
        raise PanelError("There is no letter for that outcome.")
    subject, body = (subject or "").strip(), (body or "").strip()
    problems = template_problems(outcome, subject, body)
    if problems:
        raise LetterTemplateError(problems)
    template, _ = LetterTemplate.objects.update_or_create(
        outcome=outcome, defaults={"subject": subject[:200], "body": body, "updated_by": by}
    )
    return template


def _facts(item, decision, appealed: set[int]):
    if decision is None:
        return Outcome.DEFERRED, facts_for(
            item,
            None,
            [],
            outcome=Outcome.DEFERRED,
            rationale=NOT_REACHED,
            appeal_heard=item.request_id in appealed,
        )
    return decision.outcome, facts_for(
        item,
        decision,
        list(decision.actions.all()),
        outcome=decision.outcome,
        rationale=decision.rationale,
        appeal_heard=item.request_id in appealed,
    )


@transaction.atomic
def produce_letters(meeting: Meeting, *, at: datetime | None = None) -> LetterRun:
    """Produce and send the closed meeting's letters, one per item heard for decision,
    each school told once of all of its letters. Run again, it returns the run already
    made and sends nothing."""
    meeting = (
        Meeting.objects.select_for_update(of=("self",)).select_related("panel").get(pk=meeting.pk)
    )
    done = LetterRun.objects.filter(meeting=meeting).first()
    if done is not None:
        return done
    if meeting.status != MeetingStatus.CLOSED:
        raise PanelError("Letters are produced when the meeting closes.")
    try:
        with transaction.atomic():
            run = LetterRun.objects.create(meeting=meeting, sent_at=at or timezone.now())
    except IntegrityError:
        # Another run got there first (the row lock makes this all but impossible).
        return LetterRun.objects.get(meeting=meeting)
    items = list(
        meeting.items.filter(kind=ItemKind.DECISION)
        .select_related(
            "request",
            "request__school",
            "request__stream",
            "decision",
            "decision__deferred_to",
        )
        .prefetch_related(
            Prefetch("decision__actions", queryset=DecisionAction.objects.order_by("kind", "pk"))
        )
    )
    for item in items:
        item.meeting = meeting
    appealed = set(
        Appeal.objects.filter(request_id__in=[i.request_id for i in items]).values_list(
            "request_id", flat=True
        )
    )
    templates = {t.outcome: t for t in LetterTemplate.objects.all()}
    letters = []
    for item in items:
        decision = getattr(item, "decision", None)
        if decision is None and item.request.state != State.DEFERRED:
            continue  # withdrawn before the meeting reached it: there is nothing to tell
        outcome, facts = _facts(item, decision, appealed)
        template = templates.get(outcome) or default_template(outcome)
        letters.append(
            Letter(
                run=run,
                item=item,
                decision=decision,
                school=item.request.school,
                outcome=outcome,
                subject=fill(template.subject, facts)[:200],
                body=fill(template.body, facts),
            )
        )
    Letter.objects.bulk_create(letters)
    by_school: dict[int, list[Letter]] = defaultdict(list)
    for letter in letters:
        by_school[letter.school_id].append(letter)
        record_note(
            letter.item.request,
            user=None,
            kind="letter_sent",
            message=f"Decision letter sent to {letter.school.name}: {letter.subject}",
        )
    for school_letters in by_school.values():
        announce(
            "decision_letters",
            school=school_letters[0].school,
            letters=school_letters,
            meeting=meeting,
        )
    return run
